#!/usr/bin/env bash
# Checks what polytrace adds to a service's module graph. For each vendor
# backend it makes two throwaway services outside the repository:
#
#   polytrace: imports tracing, the backend and middleware/tracehttp (the
#              modules resolved from this checkout through replace lines);
#   stock:     the same service on the vendor's own stack (OpenTelemetry:
#              SDK + autoexport + otelhttp + autoprop, which a service
#              needs to honour OTEL_PROPAGATORS as the backend does;
#              Datadog: dd-trace-go v2 and its
#              net/http contrib; Jaeger: jaeger-client-go, jaeger-lib and
#              opentracing-contrib's nethttp),
#
# runs go mod tidy in each and compares `go list -m all`: the polytrace
# service may hold no module the stock one does not, other than polytrace's
# own and go.uber.org/goleak (which the tests of every module use). It
# prints go.sum lines and module counts side by side, and fails if a
# backend brings another vendor, a web framework, a SQL driver or any other
# module its vendor's stack does not.
#
# Usage: scripts/deps-check.sh [otel|datadog|jaeger ...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOWORK=off GOFLAGS=-mod=mod

# versions the stock services use: the ones the backends' modules require.
ver() { (cd "$ROOT/$1" && go list -m -f '{{.Version}}' "$2"); }

# service DIR MAINGO GETS...: a module with main.go and tidy requirements.
service() {
	local dir=$1 src=$2
	shift 2
	mkdir -p "$dir"
	printf '%s\n' "$src" >"$dir/main.go"
	(
		cd "$dir"
		go mod init example.com/svc >/dev/null 2>&1
		for r in "$@"; do
			case $r in
			replace:*) go mod edit -replace "${r#replace:}" ;;
			*) go mod edit -require "$r" ;;
			esac
		done
		go mod tidy >/dev/null 2>"$dir/tidy.log" || { cat "$dir/tidy.log" >&2; exit 1; }
		go build -o /dev/null . 2>&1
		go list -m -f '{{.Path}}' all | sort >"$dir/modules"
	)
}

polytrace_service() {
	local name=$1 pkg=$2 dir="$work/$1-polytrace"
	service "$dir" "package main

import (
	\"context\"
	\"net/http\"

	\"github.com/polytrace/polytrace/middleware/tracehttp\"
	\"github.com/polytrace/polytrace/tracing\"
	_ \"github.com/polytrace/polytrace/tracing/$pkg\"
)

func main() {
	tr, _ := tracing.FromEnv(context.Background())
	defer tr.Shutdown(context.Background())
	_ = http.ListenAndServe(\"localhost:0\", tracehttp.Handler(http.NotFoundHandler()))
}" \
		"github.com/polytrace/polytrace@v0.1.0" "github.com/polytrace/polytrace/tracing/$pkg@v0.1.0" \
		"replace:github.com/polytrace/polytrace=$ROOT" "replace:github.com/polytrace/polytrace/tracing/$pkg=$ROOT/tracing/$pkg"
}

stock_service() {
	local name=$1 dir="$work/$1-stock" src
	shift
	case $name in
	otel) src='package main

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func main() {
	exp, _ := autoexport.NewSpanExporter(context.Background())
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(autoprop.NewTextMapPropagator())
	defer tp.Shutdown(context.Background())
	_ = http.ListenAndServe("localhost:0", otelhttp.NewHandler(http.NotFoundHandler(), "server"))
}' ;;
	datadog) src='package main

import (
	"net/http"

	httptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
)

func main() {
	_ = tracer.Start()
	defer tracer.Stop()
	mux := httptrace.NewServeMux()
	_ = http.ListenAndServe("localhost:0", mux)
}' ;;
	jaeger) src='package main

import (
	"net/http"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go/config"
	"github.com/uber/jaeger-lib/metrics"
)

func main() {
	cfg, _ := config.FromEnv()
	tr, closer, _ := cfg.NewTracer(config.Metrics(metrics.NullFactory))
	defer closer.Close()
	opentracing.SetGlobalTracer(tr)
	_ = http.ListenAndServe("localhost:0", nethttp.Middleware(tr, http.NotFoundHandler()))
}' ;;
	esac
	service "$dir" "$src" "$@"
}

backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(otel datadog jaeger)
failed=0
printf '%-8s %22s %22s\n' backend "go.sum lines (ours/stock)" "modules (ours/stock)"
for b in "${backends[@]}"; do
	case $b in
	otel)
		polytrace_service otel otelbackend
		stock_service otel \
			"go.opentelemetry.io/otel/sdk@$(ver tracing/otelbackend go.opentelemetry.io/otel/sdk)" \
			"go.opentelemetry.io/contrib/exporters/autoexport@$(ver tracing/otelbackend go.opentelemetry.io/contrib/exporters/autoexport)" \
			"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp@$(ver bench go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp)" \
			"go.opentelemetry.io/contrib/propagators/autoprop@$(ver tracing/otelbackend go.opentelemetry.io/contrib/propagators/autoprop)" ;;
	datadog)
		polytrace_service datadog ddbackend
		stock_service datadog \
			"github.com/DataDog/dd-trace-go/v2@$(ver tracing/ddbackend github.com/DataDog/dd-trace-go/v2)" \
			"github.com/DataDog/dd-trace-go/contrib/net/http/v2@$(ver bench github.com/DataDog/dd-trace-go/contrib/net/http/v2)" ;;
	jaeger)
		polytrace_service jaeger jaegerbackend
		stock_service jaeger \
			"github.com/uber/jaeger-client-go@$(ver tracing/jaegerbackend github.com/uber/jaeger-client-go)" \
			"github.com/uber/jaeger-lib@$(ver tracing/jaegerbackend github.com/uber/jaeger-lib)" \
			"github.com/opentracing/opentracing-go@$(ver tracing/jaegerbackend github.com/opentracing/opentracing-go)" \
			"github.com/opentracing-contrib/go-stdlib@v1.1.0" ;;
	*) echo "unknown backend $b" >&2; exit 2 ;;
	esac
	ours="$work/$b-polytrace" stock="$work/$b-stock"
	printf '%-8s %10s / %-10s %10s / %-10s\n' "$b" "$(wc -l <"$ours/go.sum")" "$(wc -l <"$stock/go.sum")" \
		"$(wc -l <"$ours/modules")" "$(wc -l <"$stock/modules")"
	extra=$(comm -23 "$ours/modules" "$stock/modules" | grep -v -e '^example.com/svc$' -e '^github.com/polytrace/polytrace' -e '^go.uber.org/goleak$' || true)
	if [ -n "$extra" ]; then
		echo "  $b: modules the stock $b stack does not need:" >&2
		printf '    %s\n' $extra >&2
		failed=1
	fi
done
exit $failed
