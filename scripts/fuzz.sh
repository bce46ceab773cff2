#!/usr/bin/env bash
# Runs every fuzz target of the module (func FuzzXxx in a package's
# fuzz_test.go: the header parsers and each backend's Extract) for a short
# time each, one after the other (go test -fuzz takes one target at a time).
#
# Usage: scripts/fuzz.sh [package…]     e.g. scripts/fuzz.sh ./tracing/ddbackend
#
#   FUZZTIME   time per target, as go test -fuzztime takes it (default 10s;
#              "1000x" for a number of runs)
#
# A failing input is written under the package's testdata/fuzz/<target>/
# by go test; check it in once fixed, so that plain `go test` replays it.
# The script runs every target and exits non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FUZZTIME="${FUZZTIME:-10s}"

if [ "$#" -gt 0 ]; then
	pkgs=("$@")
else
	pkgs=()
	while IFS= read -r f; do
		pkgs+=("./$(dirname "$f")")
	done < <(grep -rl --include=fuzz_test.go '^func Fuzz' . | sed 's|^\./||' | sort)
fi

failed=()
for pkg in "${pkgs[@]}"; do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	if [ -z "$targets" ]; then
		echo "fuzz.sh: no fuzz targets in $pkg" >&2
		continue
	fi
	for target in $targets; do
		echo "=== $pkg $target ($FUZZTIME)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz.sh: failing targets:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: every target passed"
