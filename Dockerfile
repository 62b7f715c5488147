# openstack-notification-exporter: `docker build -t openstack-notification-exporter .`
# The same image runs every subcommand: `serve` (default), `tail`, `check`, `simulate`.

# Build stage: the TypeScript compiler and the other dev dependencies stay here.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled JavaScript only.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged user `node`, by number so Kubernetes' runAsNonRoot can verify it: the
# exporter needs no privilege (its port is above 1024) and writes no file, so the root file
# system can be read-only (docker run --read-only, readOnlyRootFilesystem).
USER 1000:1000
EXPOSE 9851
# Liveness only: node's own fetch, so the slim image needs no curl. Readiness (consuming from
# the broker) is /-/ready; docker-compose.yml uses that one to order the demo stack.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9851/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
