# syntax=docker/dockerfile:1
# Build and push (README "Container image"):
#   docker build -t REGISTRY/mirrorgate:$(node -p 'require("./package.json").version') \
#     --build-arg VERSION=$(node -p 'require("./package.json").version') --build-arg REVISION=$(git rev-parse HEAD) .
#   docker push REGISTRY/mirrorgate:VERSION

# The base image, pinned by digest so a rebuild gets the same bytes. This digest of
# node:22-bookworm-slim is the one published in public Dockerfiles pinned by Dependabot; it was
# NOT checked against Docker Hub from the machine that wrote this (no internet there). Before a
# release, check and refresh it: `docker buildx imagetools inspect node:22-bookworm-slim`, and
# pass --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:<digest> to override.
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c

# Build stage: compile TypeScript, then keep only production dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled app, production node_modules, example config.
FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="mirrorgate" \
      org.opencontainers.image.description="Pull-through container registry proxy that applies OpenShift mirror rules" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
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
# serve and healthcheck read this file when no --config is given: point it at your own
# settings (rather than passing --config to serve) and the health check follows.
ENV MIRRORGATE_CONFIG=/app/config/mirrorgate.toml
EXPOSE 5000
USER node
# Probes /healthz where the settings serve it: the admin listener when admin.listen is set,
# else the pull listener, over HTTPS when server.tls_cert is set.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli/main.js", "healthcheck", "--timeout-ms", "4000"]
ENTRYPOINT ["node", "--initial-old-space-size=128", "dist/cli/main.js"]
CMD ["serve", "--config", "config/mirrorgate.toml"]
