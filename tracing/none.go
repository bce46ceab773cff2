package tracing

import "context"

// noopBackend is the "none" backend. It lives in this package rather than in
// a package of its own because it is what an unset TRACING_BACKEND selects,
// which must work without any import.
//
// It records nothing and allocates nothing: Start returns the context
// unchanged and the zero Span. It does propagate: a W3C trace context
// extracted from a request is injected into outgoing requests unchanged, so
// a service with tracing off does not cut its callers' traces in two.
type noopBackend struct{}

func (noopBackend) Start(ctx context.Context, _ string, _ SpanConfig) (context.Context, Span) {
	return ctx, Span{}
}

func (noopBackend) Shutdown(context.Context) error { return nil }

func (noopBackend) Summary() Summary {
	return Summary{Backend: "none", Propagators: []string{"tracecontext", "baggage"}}
}

// NoopBackend returns the "none" backend.
func NoopBackend() Backend { return noopBackend{} }

func init() {
	Register("none", func(context.Context, Settings) (Backend, error) { return noopBackend{}, nil })
}
