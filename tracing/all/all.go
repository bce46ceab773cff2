// Package all registers every polytrace backend, so that TRACING_BACKEND can
// name any of them:
//
//	import _ "github.com/polytrace/polytrace/tracing/all"
//
// It links every vendor's SDK into the program; import a single backend
// package instead to link only the vendor you use.
package all

import (
	_ "github.com/polytrace/polytrace/tracing/console"       // console
	_ "github.com/polytrace/polytrace/tracing/ddbackend"     // datadog, dd
	_ "github.com/polytrace/polytrace/tracing/jaegerbackend" // jaeger
	_ "github.com/polytrace/polytrace/tracing/otelbackend"   // otel
)
