#!/usr/bin/env bash
# Performs the Dockerfile's steps without a Docker engine, into <out>/build and <out>/app:
#   build stage:   npm ci, tsc, the RDS CA bundle, npm prune --omit=dev
#   runtime stage: certs + package.json + production node_modules + dist, nothing else
# Not reproduced: the base image. The test that runs the result uses DB_SSL=disable against local
# PostgreSQL. The e2e builds the real image with a Docker engine (scripts/e2e/image-build.ts).
# Usage: scripts/image-steps.sh <out>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: image-steps.sh <out>}"
rm -rf "$out" && mkdir -p "$out/build" "$out/app"

# FROM ... AS build / WORKDIR /build
cd "$out/build"
cp "$root/worker/package.json" "$root/worker/package-lock.json" .        # COPY worker/package*.json
npm ci --no-audit --no-fund --loglevel=error                               # RUN npm ci
cp "$root/worker/tsconfig.json" . && cp -r "$root/worker/scripts" "$root/worker/src" .  # COPY
npm run --silent build                                                     # RUN build && certs && prune
mkdir certs && node scripts/rds-ca-bundle.mjs > certs/rds-global-bundle.pem
npm prune --omit=dev --loglevel=error

# FROM ... AS runtime / WORKDIR /app
cp package.json "$out/app/" && cp -r certs node_modules dist "$out/app/"   # COPY --from=build
echo "image-steps: runtime tree at $out/app ($(du -sh "$out/app" | cut -f1))"
