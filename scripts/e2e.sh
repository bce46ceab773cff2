#!/usr/bin/env bash
# Runs the end-to-end suite (package e2e, build tag e2e): the example
# services as real processes, reporting through every backend to a real
# Jaeger (and, for datadog, the OpenTelemetry Collector's datadog receiver),
# checked through Jaeger's query API. See e2e/doc.go.
#
# Usage: scripts/e2e.sh [go test flags]   e.g. scripts/e2e.sh -run 'TestBackends/otel'
#
# It first builds the servers into .tools/bin (scripts/build-tools.sh builds
# only what is missing or stale; TOOLS_BIN overrides the directory). The
# suite needs 127.0.0.1 ports 4317, 4318, 6831, 6832, 9411, 13133, 14250,
# 14268, 16685, 16686, 8126, 14317 and 14318 free, and fails naming the one
# that is taken.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/build-tools.sh"

# go vet ./... does not see files behind the e2e tag.
go vet -tags e2e ./e2e/...

# Only the package behind the tag: the rest of the e2e module (the vendor
# matrix of the adapters, the shim and the mixed fleet) runs with every
# other test.
go test -tags e2e -count=1 -timeout 20m -v "$@" ./e2e
