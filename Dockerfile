# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` would build before the sources are here; the build runs below, once they are.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only (no tsx, esbuild, TypeScript or vitest), installed apart so npm's cache
# and the lockfile install never reach the runtime image.
FROM node:20-bookworm-slim AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime stage: production dependencies and compiled output only, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY static ./static
COPY config ./config
COPY litellm.config.yaml ./litellm.config.yaml
COPY deploy/docker-healthcheck.mjs ./deploy/docker-healthcheck.mjs
USER node
EXPOSE 4000
# Finds the port the gateway listens on by itself, so a CMD with --port (or another PORT) keeps it true.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "deploy/docker-healthcheck.mjs"]
# Mount your own routing file over /app/litellm.config.yaml, or pass --config.
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--config", "litellm.config.yaml"]
