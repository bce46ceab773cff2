//go:build polytrace_deps

// Package deps pins the vendor modules the backends, middleware, tests and
// benchmarks use, so that go.mod and go.sum hold them before the code that
// imports them is written. It is never built.
package deps

import (
	_ "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	_ "github.com/XSAM/otelsql"
	_ "github.com/gin-gonic/gin"
	_ "github.com/go-chi/chi/v5"
	_ "github.com/labstack/echo/v4"
	_ "github.com/opentracing/opentracing-go"
	_ "github.com/opentracing/opentracing-go/ext"
	_ "github.com/opentracing/opentracing-go/log"
	_ "github.com/tinylib/msgp/msgp"
	_ "github.com/uber/jaeger-client-go"
	_ "github.com/uber/jaeger-client-go/config"
	_ "github.com/uber/jaeger-client-go/thrift-gen/agent"
	_ "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	_ "github.com/uber/jaeger-lib/metrics"
	_ "go.opentelemetry.io/contrib/exporters/autoexport"
	_ "go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	_ "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	_ "go.opentelemetry.io/contrib/propagators/autoprop"
	_ "go.opentelemetry.io/contrib/propagators/b3"
	_ "go.opentelemetry.io/contrib/propagators/jaeger"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	_ "go.uber.org/goleak"
	_ "google.golang.org/grpc"
	_ "gopkg.in/DataDog/dd-trace-go.v1/contrib/database/sql"
	_ "gopkg.in/DataDog/dd-trace-go.v1/contrib/gin-gonic/gin"
	_ "gopkg.in/DataDog/dd-trace-go.v1/contrib/go-chi/chi.v5"
	_ "gopkg.in/DataDog/dd-trace-go.v1/contrib/labstack/echo.v4"
	_ "gopkg.in/DataDog/dd-trace-go.v1/contrib/net/http"
	_ "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/mocktracer"
	_ "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"
	_ "modernc.org/sqlite"
)
