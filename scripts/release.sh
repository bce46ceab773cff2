#!/usr/bin/env bash
# Prepares a release of every module at one version, as opentelemetry-go
# releases its modules: all modules of the workspace are tagged together at
# the same commit (v0.2.0 for the root module, tracing/otelbackend/v0.2.0
# for tracing/otelbackend, and so on), and each module requires the others
# at that version.
#
# Usage: scripts/release.sh vX.Y.Z
#
# It rewrites every go.mod's requirements on polytrace modules to vX.Y.Z
# (the replace lines that point at the sibling directories stay: Go ignores
# them in a module used as a dependency, and they keep the repository
# working without a go.work), then prints the git commands that commit and
# tag the release. It tags nothing itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
v=${1:?usage: scripts/release.sh vX.Y.Z}
[[ $v =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "not a semantic version: $v" >&2; exit 2; }

mapfile -t dirs < <(go list -m -f '{{.Dir}}' | sed "s|^$ROOT/\?||")
for d in "${dirs[@]}"; do
	mod="$ROOT/${d:-.}/go.mod"
	for req in $(GOWORK=off go mod edit -json "$mod" | sed -n 's/.*"Path": "\(github.com\/polytrace\/polytrace[^"]*\)".*/\1/p' | sort -u); do
		GOWORK=off go mod edit -require "$req@$v" "$mod"
	done
done
echo "requirements set to $v; now:"
echo "  git commit -am 'Release $v'"
for d in "${dirs[@]}"; do
	if [ -z "$d" ]; then echo "  git tag $v"; else echo "  git tag $d/$v"; fi
done
echo "  git push origin --tags"
