package tracezap

import (
	"context"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/polytrace/polytrace/tracing"
)

// Option configures Fields, Logger and NewCore.
type Option func(*config)

// WithTracer makes tracezap ask t's backend for the keys and the id form of
// spans whose own backend does not say (default: the process default
// Tracer at the time of each call, entry, or With that gives a context);
// see tracing.LogCorrelation.
func WithTracer(t *tracing.Tracer) Option { return func(c *config) { c.corr.Tracer = t } }

// WithKeys sets the field keys, whatever the backend. By default they are
// the backend's (tracing.LogKeyer): "dd.trace_id" and "dd.span_id" on
// Datadog, "trace_id" and "span_id" elsewhere. An empty key keeps the
// backend's.
func WithKeys(traceKey, spanKey string) Option {
	return func(c *config) { c.corr.TraceKey, c.corr.SpanKey = traceKey, spanKey }
}

type config struct{ corr tracing.LogCorrelator }

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// ids returns the ids of the span in ctx under c's keys. A nil c is the
// default configuration.
func (c *config) ids(ctx context.Context) (tracing.LogIDs, bool) {
	if c == nil {
		return tracing.LogCorrelation(ctx)
	}
	return c.corr.IDs(ctx)
}

// hasSpan reports whether ctx carries a span whose ids LogCorrelation
// gives, without looking at options.
func hasSpan(ctx context.Context) bool {
	return tracing.SpanFromContext(ctx).SpanContext().IsValid()
}

// correlate returns the ids of the span in ctx as opts say. It does not
// allocate when ctx carries no span.
func correlate(ctx context.Context, opts []Option) (tracing.LogIDs, bool) {
	if !hasSpan(ctx) {
		return tracing.LogIDs{}, false
	}
	var c *config
	if len(opts) > 0 {
		c = newConfig(opts)
	}
	return c.ids(ctx)
}

// Fields returns the trace and span ids of the span in ctx as two string
// fields, or nil (without allocating) when ctx carries no valid span:
//
//	logger.Info("note created", append(tracezap.Fields(ctx), zap.Int("id", id))...)
func Fields(ctx context.Context, opts ...Option) []zap.Field {
	ids, ok := correlate(ctx, opts)
	if !ok {
		return nil
	}
	return []zap.Field{zap.String(ids.TraceKey, ids.TraceID), zap.String(ids.SpanKey, ids.SpanID)}
}

// Logger returns a child of l whose entries carry the trace and span ids of
// the span in ctx (l.With), or l itself when ctx carries no valid span.
func Logger(ctx context.Context, l *zap.Logger, opts ...Option) *zap.Logger {
	ids, ok := correlate(ctx, opts)
	if !ok || l == nil {
		return l
	}
	return l.With(zap.String(ids.TraceKey, ids.TraceID), zap.String(ids.SpanKey, ids.SpanID))
}

// Context returns a field that carries ctx to a core made by NewCore, which
// replaces it by the ids of ctx's span, and to otelzap's core, which uses
// ctx as the context of its log records. Other cores skip it: unlike
// zap.Any("context", ctx), which NewCore accepts as well, it never writes
// the context itself.
func Context(ctx context.Context) zap.Field {
	return zap.Field{Key: "context", Type: zapcore.SkipType, Interface: ctx}
}
