package ddbackend

import "github.com/polytrace/polytrace/tracing"

// The backend's spans answer for their ids in logs as the backend does, so
// that a log line carries Datadog's form and keys whichever tracer the
// logger consults (tracing.LogCorrelation asks the span first).

// FormatIDs implements tracing.IDFormatter (see Backend.FormatIDs).
func (n *span) FormatIDs(sc tracing.SpanContext) (traceID, spanID string) { return n.b.FormatIDs(sc) }

// LogKeys implements tracing.LogKeyer (see Backend.LogKeys).
func (n *span) LogKeys() (traceKey, spanKey string) { return n.b.LogKeys() }

var (
	_ tracing.IDFormatter = (*span)(nil)
	_ tracing.LogKeyer    = (*span)(nil)
)
