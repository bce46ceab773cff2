package ddbackend

import (
	"context"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// ddKey is the context key under which dd-trace-go (v2, and v1, which
// delegates to v2) keeps the active *tracer.Span. It is unexported, so it is
// read once from dd-trace-go itself: SpanFromContext asks a probe context
// for it.
//
// If dd-trace-go ever finds its span differently, ddKey is a key nobody
// asks for: facade and dd-trace-go spans then no longer see each other,
// and everything else works.
var ddKey = func() any {
	if k, ok := backendkit.ProbeContextKey(func(ctx context.Context) { tracer.SpanFromContext(ctx) }); ok {
		return k
	}
	return unknownKey{}
}()

// unknownKey stands for a vendor's context key that could not be found.
type unknownKey struct{}

// noDDSpan is the answer to dd-trace-go's key below a remote parent: a nil
// *tracer.Span, which dd-trace-go treats as "no span" (so that it does not
// see a dd span further up the context instead).
var noDDSpan *tracer.Span

// parentOf returns the span context to continue from ctx: node is the
// parent when it is a span of this backend, local the dd span when the
// parent is in this process (nil for a remote parent), pctx its span
// context (nil when there is no parent).
//
// The facade (tracing.ContextKey) and dd-trace-go (its own key) each find
// their nearest span. Facade spans of this backend answer both keys, so
// when the two differ a span of dd-trace-go's own API (v1 or v2, contrib
// packages) was started below the facade's and is the nearer one.
func parentOf(ctx context.Context) (node *span, local *tracer.Span, pctx *tracer.SpanContext) {
	bs, _ := ctx.Value(tracing.ContextKey{}).(tracing.BackendSpan)
	dds, _ := ctx.Value(ddKey).(*tracer.Span)
	switch p := bs.(type) {
	case *span:
		if dds != nil && dds != p.dd {
			return nil, dds, dds.Context()
		}
		return p, p.dd, p.dd.Context()
	case *remote:
		if dds != nil {
			return nil, dds, dds.Context()
		}
		return nil, nil, p.dd
	case nil:
		if dds != nil {
			return nil, dds, dds.Context()
		}
		return nil, nil, nil
	default:
		// Another backend's span, or a context from tracing's own
		// propagators (tracing.ContextWithRemoteSpanContext).
		sc := p.SpanContext()
		if dds != nil && (!sc.IsValid() || dds.Context().TraceIDBytes() == [16]byte(sc.TraceID())) {
			return nil, dds, dds.Context()
		}
		if !sc.IsValid() {
			return nil, nil, nil
		}
		return nil, nil, tracer.FromGenericCtx(&foreignContext{sc: sc})
	}
}

// remote is the context node Extract returns: it carries the extracted
// dd-trace-go span context, and is the facade's non-recording span for it.
type remote struct {
	context.Context
	backendkit.NoopSpan
	dd *tracer.SpanContext
	sc tracing.SpanContext
}

func (r *remote) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(r)
	}
	if key == ddKey {
		return noDDSpan
	}
	return r.Context.Value(key)
}

// ContextValue implements tracing.ContextValuer.
func (r *remote) ContextValue(key any) (any, bool) {
	if key == ddKey {
		return noDDSpan, true
	}
	return nil, false
}

func (r *remote) String() string { return "ddbackend.remote(" + r.sc.String() + ")" }

func (r *remote) SpanContext() tracing.SpanContext { return r.sc }

// spanContextOf converts a dd-trace-go span context to the facade's: the
// full 128-bit trace id, the sampled flag when the sampling priority is
// positive (what dd-trace-go writes in traceparent), and the random flag,
// which dd-trace-go does not keep (see randomFlag).
func spanContextOf(c *tracer.SpanContext, isRemote bool, traceState string, random bool) tracing.SpanContext {
	var flags tracing.TraceFlags
	if p, ok := c.SamplingPriority(); ok && p > 0 {
		flags = tracing.FlagsSampled
	}
	if random {
		flags |= tracing.FlagsRandom
	}
	return tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID:    c.TraceIDBytes(),
		SpanID:     tracing.SpanIDFromUint64(c.SpanID()),
		TraceFlags: flags,
		TraceState: traceState,
		Remote:     isRemote,
	})
}

// randomFlag reports whether the W3C Level 2 random trace id flag is set
// for a span started from ctx, parentOf having found pnode and pctx in it
// (or for ctx's own span context, to inject). dd-trace-go has no such flag
// (its span contexts keep a sampling priority, and it writes traceparent
// flags 00 or 01), so the backend keeps it on its span nodes and remote
// contexts: a trace dd-trace-go starts has it, since dd-trace-go draws the
// low 64 bits of its trace ids at random; a continued trace has it as its
// parent does (as the caller's traceparent had it, for a remote parent).
// The parent of a span of dd-trace-go's own API is not known: it has the
// flag if the facade span nearest to it in ctx, in the same trace, does.
func randomFlag(ctx context.Context, pnode *span, pctx *tracer.SpanContext) bool {
	switch {
	case pctx == nil:
		return true
	case pnode != nil:
		return pnode.random
	}
	if bs, ok := ctx.Value(tracing.ContextKey{}).(tracing.BackendSpan); ok {
		if sc := bs.SpanContext(); sc.TraceID() == tracing.TraceID(pctx.TraceIDBytes()) {
			return sc.TraceFlags()&tracing.FlagsRandom != 0
		}
	}
	return false
}

// foreignContext presents a facade span context that did not come from
// this backend to tracer.FromGenericCtx. Besides ddtrace.SpanContext it
// implements the methods FromGenericCtx reads from v1 span contexts, so
// that the sampling decision and the W3C tracestate carry over.
type foreignContext struct {
	sc tracing.SpanContext
}

func (f *foreignContext) SpanID() uint64                            { return f.sc.SpanID().Uint64() }
func (f *foreignContext) TraceID() string                           { return f.sc.TraceID().String() }
func (f *foreignContext) TraceIDBytes() [16]byte                    { return f.sc.TraceID() }
func (f *foreignContext) TraceIDLower() uint64                      { return f.sc.TraceID().Low64() }
func (f *foreignContext) ForeachBaggageItem(func(k, v string) bool) {}
func (f *foreignContext) SamplingDecision() uint32                  { return 0 }
func (f *foreignContext) Origin() string                            { return "" }
func (f *foreignContext) Tags() map[string]string                   { return nil }
func (f *foreignContext) PropagatingTags() map[string]string {
	if ts := f.sc.TraceState(); ts != "" {
		return map[string]string{"tracestate": ts}
	}
	return nil
}

// Priority is dd-trace-go's AutoKeep (1) for a sampled context, else
// AutoReject (0).
func (f *foreignContext) Priority() *float64 {
	p := 0.0
	if f.sc.IsSampled() {
		p = 1
	}
	return &p
}
