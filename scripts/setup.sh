#!/usr/bin/env bash
# Installs everything Nexus needs on a fresh machine, from the lockfiles and pins:
# npm packages (root and worker), the Python tools (Checkov, moto, pytest) in a project-local .venv
# and actionlint (Go) in .toolchain/go. Terraform itself is a prerequisite (see README).
# Safe to run again: npm install follows the lockfile; pip skips what is already pinned.
# Why `npm install` and not `npm ci`: under npm 11, jest's resolver (unrs-resolver) declares optional
# bindings for other platforms that this registry does not resolve, so the lockfile lists them
# without entries and `npm ci` refuses it ("Missing: @unrs/resolver-binding-... from lock file").
# Direct dependencies are pinned exactly in package.json, so the result is the same tree.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "setup: npm packages (root)"
npm install --no-audit --no-fund --loglevel=error
if [ -f worker/package-lock.json ]; then
  echo "setup: npm packages (worker)"
  npm ci --prefix worker --no-audit --no-fund --loglevel=error
fi

echo "setup: Python tools in .venv ($(python3 --version))"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# actionlint checks .github/workflows in CI; a Go module, built into the project (never the home folder).
ACTIONLINT_VERSION=v1.7.8
if command -v go > /dev/null; then
  if [ "$(.toolchain/go/bin/actionlint -version 2> /dev/null | head -1)" != "${ACTIONLINT_VERSION}" ]; then
    echo "setup: actionlint ${ACTIONLINT_VERSION} into .toolchain/go"
    GOPATH="$PWD/.toolchain/go" GOCACHE="$PWD/.toolchain/go-cache" GOMODCACHE="$PWD/.toolchain/go/pkg/mod" GOFLAGS=-modcacherw \
      go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
  fi
else
  echo "setup: no Go toolchain: npm run lint:workflows will not be available"
fi
echo "setup: done"
