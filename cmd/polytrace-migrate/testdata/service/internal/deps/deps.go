// Package deps imports what the shop uses after polytrace-migrate, so
// that one go.mod builds it before and after the rewrite.
package deps

import (
	_ "github.com/polytrace/polytrace/middleware/tracehttp"
	_ "github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/jaegerbackend"
	_ "github.com/polytrace/polytrace/tracing/otshim"
)
