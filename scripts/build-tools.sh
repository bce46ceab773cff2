#!/usr/bin/env bash
# Builds the real tracing servers used by the end-to-end tests:
#
#   .tools/bin/jaeger      Jaeger v2 all-in-one   (module tools/jaeger)
#   .tools/bin/otelcol-dd  OpenTelemetry Collector with the Datadog receiver
#                          (module tools/otelcol)
#
# Usage: scripts/build-tools.sh [jaeger] [otelcol-dd]   (default: both)
#
# Each tool is its own Go module with a complete, committed go.sum, so the
# build needs only Go and the module proxy, and never writes go.mod/go.sum
# (-mod=readonly). A binary is rebuilt only when it is missing or older than
# its module's go.mod, go.sum or *.go files (so CI builds once per run).
#
# Environment:
#   TOOLS_BIN  output directory (default: <repo>/.tools/bin)
#   FORCE=1    rebuild even when the binary is up to date
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TOOLS_BIN:-$ROOT/.tools/bin}"

# Jaeger's Go module is versioned v1.x; the matching Jaeger v2 release is
# reported as the binary's version. Keep in sync with tools/jaeger/go.mod.
JAEGER_V2_VERSION="v2.12.0"

if ! command -v go >/dev/null 2>&1; then
  echo "build-tools: 'go' not found in PATH" >&2
  exit 1
fi

# The tools modules must be built on their own, never through a go.work that
# might appear at the repository root, and never by editing go.mod/go.sum.
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false${GOFLAGS:+ $GOFLAGS}"

mkdir -p "$BIN"

# needs_build NAME MODULE_DIR: true when BIN/NAME is missing or stale.
needs_build() {
  local out="$BIN/$1" dir="$2"
  [[ "${FORCE:-0}" == "1" ]] && return 0
  [[ -x "$out" ]] || return 0
  [[ -n "$(find "$dir" -maxdepth 1 -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -newer "$out" -print -quit)" ]]
}

# build NAME MODULE_DIR PACKAGE [LDFLAGS...]
build() {
  local name="$1" dir="$2" pkg="$3"
  shift 3
  local out="$BIN/$name"
  if ! needs_build "$name" "$dir"; then
    echo "build-tools: $name is up to date ($out)"
    return 0
  fi
  echo "build-tools: building $name from ${dir#"$ROOT"/} ($pkg) ..."
  local start=$SECONDS
  (
    cd "$dir"
    go build -trimpath -ldflags "-s -w $*" -o "$out.tmp.$$" "$pkg"
  )
  mv -f "$out.tmp.$$" "$out"
  echo "build-tools: built $name in $((SECONDS - start))s ($(du -h "$out" | cut -f1)) -> $out"
}

build_jaeger() {
  build jaeger "$ROOT/tools/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger \
    "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_V2_VERSION"
}

build_otelcol() {
  build otelcol-dd "$ROOT/tools/otelcol" .
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(jaeger otelcol-dd)
for t in "${targets[@]}"; do
  case "$t" in
    jaeger) build_jaeger ;;
    otelcol-dd | otelcol) build_otelcol ;;
    *)
      echo "build-tools: unknown tool '$t' (want: jaeger, otelcol-dd)" >&2
      exit 2
      ;;
  esac
done
