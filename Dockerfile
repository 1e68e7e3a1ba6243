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
USER node
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["resolve", "quay.io/openshift-release-dev/ocp-release@sha256:3f1fa1ee2ab2e7f2b0bd9c2e2fa2e2a0d9d8c8f6c0a1f4b5d0a7b1e2c3d4e5f6", "--rules", "config/rules"]
