// Package deps imports what the test packages use before and after the
// rewrite, so that go.mod lists it all.
package deps

import (
	_ "github.com/opentracing-contrib/go-grpc"
	_ "github.com/opentracing-contrib/go-stdlib/nethttp"
	_ "github.com/opentracing/opentracing-go"
	_ "github.com/opentracing/opentracing-go/ext"
	_ "github.com/opentracing/opentracing-go/log"
	_ "github.com/polytrace/polytrace/middleware/tracehttp"
	_ "github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/jaegerbackend"
	_ "github.com/polytrace/polytrace/tracing/otshim"
	_ "github.com/uber/jaeger-client-go"
	_ "github.com/uber/jaeger-client-go/config"
	_ "github.com/uber/jaeger-lib/metrics"
	_ "google.golang.org/grpc"
)
