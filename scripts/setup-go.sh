#!/usr/bin/env bash
# The Go builds of npm run setup, from the Go module proxy into .toolchain, each pinned by its tools
# module (tools/<name>/go.mod) and skipped when already current. Usage:
#   scripts/setup-go.sh [actionlint] [opentofu] [docker-provider] [registry]   (no argument: all four)
# npm run setup runs all of them (NEXUS_SETUP_GO chooses); .ci/run runs some beside its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- actionlint opentofu docker-provider registry
# Go builds into the project, never the home folder: module cache, build cache and config in one
# .toolchain at the root (a fixed path: go_build runs go_env inside the tools module, where $PWD differs).
ROOT=$PWD
go_env() {
  env GOPATH="$ROOT/.toolchain/go" GOCACHE="$ROOT/.toolchain/go-cache" GOMODCACHE="$ROOT/.toolchain/go/pkg/mod" \
    GOFLAGS=-modcacherw XDG_CONFIG_HOME="$ROOT/.toolchain/go-config" GOTELEMETRY=off "$@"
}
# go_build <tools module> <output> <package> [ldflags]: a stripped, niced build from that module.
go_build() {
  local module=$1 out=$ROOT/$2 package=$3 ldflags=${4:-}
  (cd "$module" && go_env nice go build -trimpath -ldflags "-s -w ${ldflags}" -o "$out" "$package")
}
# build_stamped <tools module> <output> <package> <ldflags> <what>: go_build unless the output's stamp
# (a hash of the module's go.mod and go.sum) is current.
build_stamped() {
  local stamp
  stamp=$(cat "$1/go.mod" "$1/go.sum" | sha256sum | cut -c1-16)
  if [ "$(cat "$2.stamp" 2> /dev/null)" != "$stamp" ] || [ ! -x "$2" ]; then
    echo "setup: $5 into $(dirname "$2")"
    go_build "$1" "$2" "$3" "$4"
    echo "$stamp" > "$2.stamp"
  fi
}
# actionlint checks .github/workflows in CI.
ACTIONLINT_VERSION=v1.7.8
build_actionlint() {
  if [ "$(.toolchain/go/bin/actionlint -version 2> /dev/null | head -1)" != "${ACTIONLINT_VERSION}" ]; then
    echo "setup: actionlint ${ACTIONLINT_VERSION} into .toolchain/go"
    go_env go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
  fi
}
build_opentofu() {
  # OpenTofu, the second engine (NEXUS_ENGINE=opentofu), from the Go module proxy through the tools
  # module that carries OpenTofu's replace directive; the version is pinned in tools/opentofu/go.mod.
  OPENTOFU_VERSION=$(awk '$1 == "github.com/opentofu/opentofu" { print $2 }' tools/opentofu/go.mod)
  # (A line match: tofu prints CLI-configuration warnings first, e.g. for a TF_CLI_CONFIG_FILE that is missing.)
  if ! .toolchain/opentofu/bin/tofu version 2> /dev/null | grep -qxF "OpenTofu ${OPENTOFU_VERSION}"; then
    echo "setup: OpenTofu ${OPENTOFU_VERSION} into .toolchain/opentofu (a build of about 400 CPU-seconds)"
    go_build tools/opentofu .toolchain/opentofu/bin/tofu github.com/opentofu/opentofu/cmd/tofu \
      "-X github.com/opentofu/opentofu/version.dev=no"
  fi
}
build_docker_provider() {
  # The Docker provider for the image build mode, into the filesystem-mirror layout the engines read
  # (scripts/terraform/toolchain.ts); rebuilt when its tools module changes (build_stamped).
  DOCKER_PROVIDER_VERSION=$(sed -n 's/.*version: "\([0-9.]*\)".*/\1/p' stacks/registry/docker-provider.ts)
  build_stamped tools/docker-provider \
    ".toolchain/providers/registry.terraform.io/kreuzwerker/docker/${DOCKER_PROVIDER_VERSION}/linux_amd64/terraform-provider-docker_v${DOCKER_PROVIDER_VERSION}" \
    github.com/terraform-providers/terraform-provider-docker "-X main.version=${DOCKER_PROVIDER_VERSION}" \
    "the Docker provider ${DOCKER_PROVIDER_VERSION} (about 230 CPU-seconds)"
}
build_registry() {
  # The OCI registry behind the emulator's ECR (gap 9); rebuilt when its tools module changes.
  build_stamped tools/registry .toolchain/registry/bin/registry github.com/distribution/distribution/v3/cmd/registry "" \
    "the OCI registry, distribution $(awk '$1 == "github.com/distribution/distribution/v3" { print $2 }' tools/registry/go.mod) (about 140 CPU-seconds)"
}
for part; do
  case $part in
    actionlint) build_actionlint ;;
    opentofu) build_opentofu ;;
    docker-provider) build_docker_provider ;;
    registry) build_registry ;;
    *) echo "setup-go: unknown part ${part} (actionlint, opentofu, docker-provider, registry)" >&2 && exit 2 ;;
  esac
done
