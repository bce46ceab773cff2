package tracelogrus

import (
	"github.com/sirupsen/logrus"

	"github.com/polytrace/polytrace/tracing"
)

// Option configures a Hook.
type Option func(*Hook)

// WithTracer makes the hook ask t's backend for the keys and the id form of
// spans whose own backend does not say (default: the process default
// Tracer at the time of each entry); see tracing.LogCorrelation.
func WithTracer(t *tracing.Tracer) Option { return func(h *Hook) { h.corr.Tracer = t } }

// WithKeys sets the field keys, whatever the backend. By default they are
// the backend's (tracing.LogKeyer): "dd.trace_id" and "dd.span_id" on
// Datadog, "trace_id" and "span_id" elsewhere. An empty key keeps the
// backend's.
func WithKeys(traceKey, spanKey string) Option {
	return func(h *Hook) { h.corr.TraceKey, h.corr.SpanKey = traceKey, spanKey }
}

// Hook is a logrus.Hook that adds the trace and span ids of the span in an
// entry's context (Entry.Context, set by WithContext) to the entry's
// fields, replacing fields of the same keys. Entries without a context, or
// whose context carries no valid span, are left unchanged. A Hook is safe
// for concurrent use.
type Hook struct {
	corr tracing.LogCorrelator
}

var _ logrus.Hook = (*Hook)(nil)

// NewHook returns a Hook; add it with logger.AddHook.
func NewHook(opts ...Option) *Hook {
	h := &Hook{}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	return h
}

// Levels returns every level: ids are added whatever the entry's level.
func (h *Hook) Levels() []logrus.Level { return logrus.AllLevels }

// Fire adds the ids to e's fields. It never fails.
func (h *Hook) Fire(e *logrus.Entry) error {
	if e == nil || e.Context == nil {
		return nil
	}
	ids, ok := h.corr.IDs(e.Context)
	if !ok {
		return nil
	}
	if e.Data == nil {
		e.Data = make(logrus.Fields, 2)
	}
	e.Data[ids.TraceKey] = ids.TraceID
	e.Data[ids.SpanKey] = ids.SpanID
	return nil
}
