#!/usr/bin/env bash
# Performs the Dockerfile's steps without a Docker engine, into <out>/build and <out>/app:
#   build stage:   npm ci, tsc, npm prune --omit=dev
#   runtime stage: package.json + production node_modules + dist, nothing else
# Not reproduced: the base image and the RDS CA bundle download (no internet here); the test
# that runs the result uses DB_SSL=disable against local PostgreSQL.
# Usage: scripts/image-steps.sh <out>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: image-steps.sh <out>}"
rm -rf "$out" && mkdir -p "$out/build" "$out/app"

# FROM ... AS build / WORKDIR /build
cd "$out/build"
cp "$root/worker/package.json" "$root/worker/package-lock.json" .        # COPY worker/package*.json
npm ci --no-audit --no-fund --loglevel=error                               # RUN npm ci
cp "$root/worker/tsconfig.json" . && cp -r "$root/worker/src" ./src        # COPY tsconfig + src
npm run --silent build && npm prune --omit=dev --loglevel=error            # RUN build && prune

# FROM ... AS runtime / WORKDIR /app
cp package.json "$out/app/" && cp -r node_modules dist "$out/app/"         # COPY --from=build
echo "image-steps: runtime tree at $out/app ($(du -sh "$out/app" | cut -f1))"
