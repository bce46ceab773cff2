package tracelog

import (
	"context"
	"log/slog"

	"github.com/polytrace/polytrace/tracing"
)

// The attribute keys used when neither WithKeys nor the span's backend
// (tracing.LogKeyer) names others.
const (
	DefaultTraceKey = tracing.DefaultLogTraceKey
	DefaultSpanKey  = tracing.DefaultLogSpanKey
)

// Option configures a Handler.
type Option func(*Handler)

// WithTracer makes the handler ask t's backend for the keys and the id
// form of spans whose own backend does not say (default: the process
// default Tracer at the time of each record); see tracing.LogCorrelation.
func WithTracer(t *tracing.Tracer) Option { return func(h *Handler) { h.corr.Tracer = t } }

// WithKeys sets the attribute keys, whatever the backend. By default they
// are the backend's (tracing.LogKeyer): "dd.trace_id" and "dd.span_id" on
// Datadog, "trace_id" and "span_id" elsewhere. An empty key keeps the
// backend's.
func WithKeys(traceKey, spanKey string) Option {
	return func(h *Handler) { h.corr.TraceKey, h.corr.SpanKey = traceKey, spanKey }
}

// Handler is a slog.Handler that adds the trace and span ids of the span in
// each record's context, under the keys and in the form its backend
// prefers (see tracing.LogCorrelation), then passes the record on. Records
// logged without a context, or with one that carries no valid span, pass
// unchanged.
//
// The ids are always top-level attributes, even under WithGroup, so that
// log pipelines find them where they look.
type Handler struct {
	base slog.Handler // next, with the attributes added before any group
	goas []groupOrAttrs
	corr tracing.LogCorrelator
}

type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

// NewHandler returns a Handler that passes records on to next.
func NewHandler(next slog.Handler, opts ...Option) *Handler {
	h := &Handler{base: next}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	return h
}

// Enabled reports whether the next handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.base.Enabled(ctx, level)
}

// WithAttrs returns a Handler whose records carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	if len(h.goas) == 0 {
		h2.base = h.base.WithAttrs(attrs)
		return &h2
	}
	h2.goas = append(h.goas[:len(h.goas):len(h.goas)], groupOrAttrs{attrs: attrs})
	return &h2
}

// WithGroup returns a Handler that puts later attributes in group name.
// The group is applied by this handler, not the next one, so that the ids
// it adds stay at the top level.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.goas = append(h.goas[:len(h.goas):len(h.goas)], groupOrAttrs{group: name})
	return &h2
}

// Handle adds the ids and passes r on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	ids, ok := h.corr.IDs(ctx)
	if len(h.goas) == 0 {
		if ok {
			r = r.Clone()
			r.AddAttrs(slog.String(ids.TraceKey, ids.TraceID), slog.String(ids.SpanKey, ids.SpanID))
		}
		return h.base.Handle(ctx, r)
	}
	// Rebuild the record with the groups applied here.
	var inner []slog.Attr
	r.Attrs(func(a slog.Attr) bool { inner = append(inner, a); return true })
	for i := len(h.goas) - 1; i >= 0; i-- {
		g := h.goas[i]
		if g.group != "" {
			if len(inner) > 0 {
				inner = []slog.Attr{{Key: g.group, Value: slog.GroupValue(inner...)}}
			}
			continue
		}
		inner = append(append([]slog.Attr(nil), g.attrs...), inner...)
	}
	r2 := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if ok {
		r2.AddAttrs(slog.String(ids.TraceKey, ids.TraceID), slog.String(ids.SpanKey, ids.SpanID))
	}
	r2.AddAttrs(inner...)
	return h.base.Handle(ctx, r2)
}
