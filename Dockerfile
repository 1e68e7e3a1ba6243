# syntax=docker/dockerfile:1
# Build stage: compile TypeScript, then keep only production dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled app, production node_modules, example config.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
# Mount your own rules over /app/config/rules (a ConfigMap volume in Kubernetes).
VOLUME ["/app/config/rules"]
# Inside a container, listen on every interface; the file's default is loopback.
ENV MIRRORGATE_SERVER_LISTEN=0.0.0.0:5000
EXPOSE 5000
USER node
# The image has no curl; Node's fetch checks /healthz on the listen port.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const a=(process.env.MIRRORGATE_SERVER_LISTEN||'127.0.0.1:5000').split(',')[0].trim().replace('0.0.0.0','127.0.0.1');fetch('http://'+a+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--config", "config/mirrorgate.toml"]
