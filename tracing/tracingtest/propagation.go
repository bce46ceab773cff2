package tracingtest

// Helpers for the backends' fuzz tests of Extract and Inject.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
)

// Headers returns a header holding each value under its name, the name
// as given (not canonicalised), leaving out empty values: fuzz tests build
// the headers they extract from with it.
func Headers(values map[string]string) http.Header {
	h := http.Header{}
	for k, v := range values {
		if v != "" {
			h[k] = []string{v}
		}
	}
	return h
}

// ContinueTrace does what a service between two others does with in: it
// extracts it with tr, starts a child span of what it extracted, and
// injects that into a new header, which check validates (returning the
// context of the traceparent it read). ContinueTrace fails t unless a
// trace that was extracted is the one continued. It is the body of the
// backends' FuzzExtract: nothing may panic, and what goes on must be
// well-formed whatever came in.
func ContinueTrace(t *testing.T, tr *tracing.Tracer, in http.Header, check func(*testing.T, http.Header) tracing.SpanContext) {
	t.Helper()
	ctx := tr.Extract(context.Background(), tracing.HeaderCarrier(in))
	remote := tracing.SpanFromContext(ctx).SpanContext()
	ctx, sp := tr.Start(ctx, "child")
	defer sp.End()
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	if got := check(t, out); remote.IsValid() && got.TraceID() != remote.TraceID() {
		t.Fatalf("extracted %v but sent on trace %s", remote, got.TraceID())
	}
}

// InjectedTraceparent checks that out holds one valid version 00
// traceparent, and returns its context.
func InjectedTraceparent(t testing.TB, out http.Header) tracing.SpanContext {
	t.Helper()
	tps := out.Values("Traceparent")
	if len(tps) != 1 {
		t.Fatalf("injected %d traceparent headers", len(tps))
	}
	sc, ok := tracing.ParseTraceparent(tps[0])
	if !ok || len(tps[0]) != 55 || !strings.HasPrefix(tps[0], "00-") {
		t.Fatalf("injected traceparent %q is not a valid version 00 traceparent", tps[0])
	}
	return sc
}

// Hop carries the trace of ctx from one service to another as an HTTP
// request between them does: from injects it into request headers, and
// to extracts it from them into a new context, whose span is the remote
// parent of what to starts there.
func Hop(ctx context.Context, from, to *tracing.Tracer) context.Context {
	h := http.Header{}
	from.Inject(ctx, tracing.HeaderCarrier(h))
	return to.Extract(context.Background(), tracing.HeaderCarrier(h))
}

// ExtractAllocsBounded checks that extracting each of the headers in huge
// (of any size and number) costs p's Extract at most slack allocations more
// than extracting small: hostile headers cost bounded memory.
func ExtractAllocsBounded(t *testing.T, p tracing.Propagator, small http.Header, huge map[string]http.Header, slack float64) {
	t.Helper()
	count := func(h http.Header) float64 {
		return testing.AllocsPerRun(10, func() { p.Extract(context.Background(), tracing.HeaderCarrier(h)) })
	}
	base := count(small)
	for name, h := range huge {
		got := count(h)
		t.Logf("%s: %v allocations (small headers: %v)", name, got, base)
		if got > base+slack {
			t.Errorf("%s: %v allocations, small headers %v: not bounded", name, got, base)
		}
	}
}

// Repeated returns n copies of v: the values of a header sent n times.
func Repeated(v string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = v
	}
	return out
}
