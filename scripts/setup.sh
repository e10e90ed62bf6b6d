#!/usr/bin/env bash
# Installs everything Nexus needs on a fresh machine, from the lockfiles and pins:
# npm packages (root and worker) and the Python tools (Checkov, moto) in a project-local .venv.
# Safe to run again: npm ci reinstalls from the lockfile; pip skips what is already pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "setup: npm packages (root)"
npm ci --no-audit --no-fund --loglevel=error
if [ -f worker/package-lock.json ]; then
  echo "setup: npm packages (worker)"
  npm ci --prefix worker --no-audit --no-fund --loglevel=error
fi

echo "setup: Python tools in .venv ($(python3 --version))"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
echo "setup: done"
