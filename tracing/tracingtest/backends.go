package tracingtest

import (
	"context"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// DatadogLogIDs wraps a backend (a Recorder, say) so that it names and
// formats log correlation ids as the Datadog backend does: dd.trace_id and
// dd.span_id, decimal. Tests of log integrations use it to check that
// they follow the backend's keys and form without starting dd-trace-go.
func DatadogLogIDs(b tracing.Backend) tracing.Backend { return datadogLogIDs{b} }

type datadogLogIDs struct{ tracing.Backend }

func (datadogLogIDs) FormatIDs(sc tracing.SpanContext) (string, string) {
	return sc.TraceID().LowDecimal(), sc.SpanID().Decimal()
}

func (datadogLogIDs) LogKeys() (string, string) { return "dd.trace_id", "dd.span_id" }

// CountsBackend is a backend whose span counts a test sets through its
// Counters, for tests of what publishes them (metrics, expvar): its Stats
// and ExportStats report the Counters. It records no spans.
type CountsBackend struct {
	Counters backendkit.Counters
}

// Start implements tracing.Backend: no span.
func (b *CountsBackend) Start(ctx context.Context, _ string, _ tracing.SpanConfig) (context.Context, tracing.Span) {
	return ctx, tracing.Span{}
}

// Shutdown implements tracing.Backend.
func (b *CountsBackend) Shutdown(context.Context) error { return nil }

// Stats implements tracing.StatsReporter.
func (b *CountsBackend) Stats() tracing.Stats { return b.Counters.Stats() }

// ExportStats implements tracing.ExportReporter.
func (b *CountsBackend) ExportStats() tracing.ExportStats { return b.Counters.ExportStats() }
