// Package tracing is the service's own package of that name.
package tracing

import "context"

// Note does nothing; it has the name polytrace's package has.
func Note(ctx context.Context, msg string) { _, _ = ctx, msg }
