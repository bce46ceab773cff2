#!/usr/bin/env bash
# Benchmarks: polytrace side by side with each vendor's SDK and
# instrumentation (package bench; see BENCHMARKS.md).
#
# Usage:
#   scripts/bench.sh [-count N] [-bench REGEX] [-out FILE]
#       runs go test -run '^$' -bench REGEX -benchmem -count N ./bench/...
#       (default: every benchmark, 6 counts, in rounds so that the compared
#       variants alternate), keeps the raw output in FILE (default
#       bench.out) and prints benchstat tables with the variants (impl=…)
#       as columns.
#   scripts/bench.sh -tables FILE
#       prints the tables of an earlier run's raw output.
#   scripts/bench.sh --smoke
#       runs every benchmark of the module once (-benchtime=1x, no tests),
#       so that none of them rots. No timing is judged. For CI.
#   scripts/bench.sh --load [loadtest flags]
#       the end-to-end load test of the example services (bench/loadtest).
#   scripts/bench.sh --ir PKG REGEX
#       instructions per operation of the benchmarks matching REGEX in PKG,
#       counted by valgrind's callgrind (the slope between two iteration
#       counts, so that set-up cancels out; GOGC=off, GOMAXPROCS=1);
#       deterministic where wall time is noisy. Needs valgrind
#       (apt-get install valgrind).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# benchstat: the one on PATH, else the pinned version through the module proxy.
benchstat() {
  if command -v benchstat >/dev/null 2>&1; then
    command benchstat "$@"
  else
    go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$@"
  fi
}

case "${1:-}" in
--smoke)
  # Every package's benchmarks once, in every module of the workspace
  # (go.work); -run '^$' skips the tests (CI runs them separately). The bench package's own set-up (loopback sinks, a dd-trace-go
  # start and stop per Datadog variant) dominates its time.
  start=$(date +%s)
  go test -run '^$' -bench . -benchtime 1x -timeout 10m github.com/polytrace/polytrace/... 2>&1 |
    grep -v -e 'Datadog Tracer .* WARN' -e '^goos:' -e '^goarch:' -e '^cpu:' -e '^pkg:'
  echo "benchmark smoke: every benchmark ran once in $(( $(date +%s) - start ))s"
  exit 0
  ;;
--load)
  shift
  exec go run ./bench/loadtest "$@"
  ;;
--ir)
  pkg=${2:?usage: scripts/bench.sh --ir PKG REGEX}
  re=${3:?usage: scripts/bench.sh --ir PKG REGEX}
  command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  go test -c -o "$tmp/x.test" "$pkg"
  # Run the benchmarks of one name at a time, at two iteration counts.
  names=$("$tmp/x.test" -test.run '^$' -test.bench "$re" -test.benchtime 1x -test.count 1 2>/dev/null |
    awk '/^Benchmark/{sub(/-[0-9]+$/, "", $1); print $1}')
  # The bench and ddbackend test binaries re-run themselves with dd-trace-go's
  # telemetry off; valgrind must see the process that works, so set up what
  # the re-run would have.
  quiet=(POLYTRACE_DDTEST_QUIET_CHILD=1 POLYTRACE_DDBACKEND_TEST_CHILD=1 POLYTRACE_BENCH_NOLEAKCHECK=1
    DD_INSTRUMENTATION_TELEMETRY_ENABLED=false DD_REMOTE_CONFIGURATION_ENABLED=false DD_RUNTIME_METRICS_ENABLED=false
    DD_RUNTIME_METRICS_V2_ENABLED=false DD_TRACE_STARTUP_LOGS=false DD_DATA_STREAMS_ENABLED=false DD_APPSEC_ENABLED=false)
  ir() { # ir NAME N: total instructions of running NAME N times
    env "${quiet[@]}" GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind \
      --callgrind-out-file="$tmp/cg.out" "$tmp/x.test" -test.run '^$' -test.bench "^$(sed 's/[][().*+?^$|{}]/\\&/g' <<<"$1" | sed 's#/#$/^#g')\$" \
      -test.benchtime "${2}x" -test.count 1 >/dev/null 2>&1
    callgrind_annotate "$tmp/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",", "", $1); print $1}'
  }
  # The garbage collector is off (GOGC=off): whether a collection falls in
  # a run or not would move the slope by hundreds of instructions; its cost
  # follows B/op and allocs/op, which go test reports exactly. The exporters'
  # background work is counted (GOMAXPROCS=1 runs it on the same thread).
  # IR_LO/IR_HI override the iteration counts.
  lo=${IR_LO:-2000} hi=${IR_HI:-12000}
  for name in $names; do
    a=$(ir "$name" "$lo" || true); b=$(ir "$name" "$hi" || true)
    if [ -z "$a" ] || [ -z "$b" ]; then
      printf '%-80s %s\n' "$name" "callgrind failed"
      continue
    fi
    printf '%-80s %8d instructions/op\n' "$name" $(( (b - a) / (hi - lo) ))
  done
  exit 0
  ;;
esac

count=6 bench=. out=bench.out tables_only=
while [ $# -gt 0 ]; do
  case "$1" in
  -count) count=$2; shift 2 ;;
  -bench) bench=$2; shift 2 ;;
  -out) out=$2; shift 2 ;;
  -tables) out=$2; tables_only=1; shift 2 ;;
  *) echo "unknown argument $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done

if [ -z "$tables_only" ]; then
# One test binary, run $count times in a row: each round runs every variant
# once, so the variants compared alternate in time and meet the same load.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./bench
: >"$out"
{
  echo "# $(go version) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), scripts/bench.sh -count $count -bench '$bench'"
} >>"$out"
for i in $(seq "$count"); do
  echo "round $i/$count" >&2
  (cd bench && "$tmp/bench.test" -test.run '^$' -test.bench "$bench" -test.benchmem) 2>&1 |
    grep -v 'Datadog Tracer .* WARN' >>"$out"
done
fi

# One table per comparison; the first column is the baseline (the vendor's
# own SDK, or the bare framework), the others say how far they are from it.
table() { # table FILTER COLUMNS
  # (grep without -q: with pipefail, grep -q closing the pipe early would
  # make benchstat fail.)
  if [ -n "$(benchstat -filter "$1" "$out" 2>/dev/null | grep '^[A-Z]')" ]; then
    echo
    benchstat -filter "$1" -col "/impl@($2)" "$out"
  fi
}
table '.name:Span' 'vendor facade vendor-v1'
table '.name:Propagation' 'vendor facade facade-otel'
table '.name:Server /impl:(bare OR polytrace-none OR polytrace-unsampled)' 'bare polytrace-none polytrace-unsampled'
table '.name:Server /impl:(bare OR polytrace-otel OR otelhttp OR otelgin OR otel-floor)' 'bare polytrace-otel otelhttp otelgin otel-floor'
table '.name:Server /impl:(bare OR polytrace-datadog OR ddcontrib)' 'bare polytrace-datadog ddcontrib'
table '.name:Client' 'bare polytrace-none polytrace-unsampled polytrace-otel otelhttp polytrace-datadog ddcontrib'
table '.name:SQL' 'bare tracesql-none tracesql-unsampled tracesql-otel otelsql tracesql-datadog ddsqltrace'
if grep -q '^BenchmarkExport/' "$out"; then
  echo
  benchstat -filter ".name:Export" "$out"
fi
