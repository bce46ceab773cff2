package jaegerbackend_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestInjectBothFormatsByDefault(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())

	bag, _ := tracing.Baggage{}.With("tenant", "acme corp")
	ctx := tracing.ContextWithBaggage(context.Background(), bag)
	ctx, sp := tr.Start(ctx, "client", tracing.WithKind(tracing.SpanKindClient))
	defer sp.End()
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	sc := sp.SpanContext()
	if got, want := h.Get("uber-trace-id"), fmt.Sprintf("%s:%s:%016x:1", sc.TraceID(), sc.SpanID(), 0); got != want {
		t.Errorf("uber-trace-id %q, want %q", got, want)
	}
	if got, want := h.Get("traceparent"), "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-03"; got != want { // sampled, random (a new trace)
		t.Errorf("traceparent %q, want %q", got, want)
	}
	if got := h.Get("uberctx-tenant"); got != "acme+corp" {
		t.Errorf("uberctx-tenant %q, want acme+corp (URL-encoded, as jaeger's HTTP headers)", got)
	}
	if got := h.Get("baggage"); got != "tenant=acme%20corp" {
		t.Errorf("baggage %q", got)
	}
	if got := b.Fields(); strings.Join(got, ",") != "uber-trace-id,traceparent,tracestate,baggage" {
		t.Errorf("Fields %v", got)
	}
}

func TestPropagationFormatsSetting(t *testing.T) {
	for _, c := range []struct {
		name     string
		env      string
		opt      []jaegerbackend.Option
		want     []string
		wantNone []string
	}{
		{"w3c only", "w3c", nil, []string{"traceparent", "baggage"}, []string{"uber-trace-id", "uberctx-tenant"}},
		{"jaeger only", "jaeger", nil, []string{"uber-trace-id", "uberctx-tenant"}, []string{"traceparent", "baggage"}},
		{"option wins", "jaeger", []jaegerbackend.Option{jaegerbackend.WithPropagation(jaegerbackend.FormatW3C)},
			[]string{"traceparent"}, []string{"uber-trace-id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, _ := newAgentBackend(t, map[string]string{jaegerbackend.EnvPropagation: c.env}, c.opt...)
			tr := tracing.New(b)
			defer tr.Shutdown(context.Background())
			bag, _ := tracing.Baggage{}.With("tenant", "acme")
			ctx, sp := tr.Start(tracing.ContextWithBaggage(context.Background(), bag), "x")
			defer sp.End()
			h := http.Header{}
			tr.Inject(ctx, tracing.HeaderCarrier(h))
			for _, k := range c.want {
				if h.Get(k) == "" {
					t.Errorf("%s not injected: %v", k, h)
				}
			}
			for _, k := range c.wantNone {
				if h.Get(k) != "" {
					t.Errorf("%s injected: %v", k, h)
				}
			}
		})
	}
}

func TestExtract(t *testing.T) {
	const (
		tid128 = "4bf92f3577b34da6a3ce929d0e0e4736"
		sid    = "00f067aa0ba902b7"
		tidB   = "0af7651916cd43dd8448eb211c80319c"
		sidB   = "b7ad6b7169203331"
	)
	for _, c := range []struct {
		name        string
		headers     map[string]string
		wantTrace   string
		wantSpan    string
		wantSampled bool
		wantState   string
		wantBaggage map[string]string
	}{
		{name: "uber-trace-id, 128 bits", headers: map[string]string{"uber-trace-id": tid128 + ":" + sid + ":0:1", "uberctx-tenant": "acme+corp"},
			wantTrace: tid128, wantSpan: sid, wantSampled: true, wantBaggage: map[string]string{"tenant": "acme corp"}},
		{name: "uber-trace-id, 64 bits", headers: map[string]string{"uber-trace-id": "a3ce929d0e0e4736:" + sid + ":0:1"},
			wantTrace: "0000000000000000a3ce929d0e0e4736", wantSpan: sid, wantSampled: true},
		{name: "uber-trace-id, not sampled", headers: map[string]string{"uber-trace-id": tid128 + ":" + sid + ":0:0"},
			wantTrace: tid128, wantSpan: sid},
		{name: "traceparent only", headers: map[string]string{"traceparent": "00-" + tidB + "-" + sidB + "-01", "tracestate": "congo=t61rcWkgMzE",
			"baggage": "user=u-7;prop=1"},
			wantTrace: tidB, wantSpan: sidB, wantSampled: true, wantState: "congo=t61rcWkgMzE", wantBaggage: map[string]string{"user": "u-7"}},
		{name: "both, same trace: tracestate kept", headers: map[string]string{"uber-trace-id": tidB + ":" + sid + ":0:1",
			"traceparent": "00-" + tidB + "-" + sidB + "-01", "tracestate": "congo=t61rcWkgMzE"},
			wantTrace: tidB, wantSpan: sid, wantSampled: true, wantState: "congo=t61rcWkgMzE"},
		{name: "both valid, different: uber-trace-id wins", headers: map[string]string{"uber-trace-id": tid128 + ":" + sid + ":0:1",
			"traceparent": "00-" + tidB + "-" + sidB + "-00", "tracestate": "congo=t61rcWkgMzE"},
			wantTrace: tid128, wantSpan: sid, wantSampled: true},
		{name: "malformed uber-trace-id, valid traceparent", headers: map[string]string{"uber-trace-id": "not:a:trace",
			"traceparent": "00-" + tidB + "-" + sidB + "-01"},
			wantTrace: tidB, wantSpan: sidB, wantSampled: true},
		{name: "baggage in both formats: the jaeger item wins", headers: map[string]string{"uber-trace-id": tid128 + ":" + sid + ":0:1",
			"uberctx-tenant": "jaeger", "baggage": "Tenant=w3c,user=u-7"},
			wantTrace: tid128, wantSpan: sid, wantSampled: true, wantBaggage: map[string]string{"Tenant": "jaeger", "user": "u-7"}},
		{name: "nothing valid", headers: map[string]string{"uber-trace-id": "0:0:0:1", "traceparent": "00-zz-00-01"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, a := newAgentBackend(t, nil)
			tr := tracing.New(b)
			defer tr.Shutdown(context.Background())
			h := http.Header{}
			lower := tracing.MapCarrier{}
			for k, v := range c.headers {
				h.Set(k, v)
				lower[k] = v
			}
			for _, carrier := range []tracing.Carrier{tracing.HeaderCarrier(h), lower} {
				ctx := tr.Extract(context.Background(), carrier)
				sc := tracing.SpanFromContext(ctx).SpanContext()
				if c.wantTrace == "" {
					if sc.IsValid() {
						t.Errorf("extracted %v from %v", sc, c.headers)
					}
					continue
				}
				if sc.TraceID().String() != c.wantTrace || sc.SpanID().String() != c.wantSpan || sc.IsSampled() != c.wantSampled ||
					!sc.IsRemote() || sc.TraceState() != c.wantState {
					t.Errorf("%T: extracted %v remote %v state %q, want %s-%s sampled %v state %q",
						carrier, sc, sc.IsRemote(), sc.TraceState(), c.wantTrace, c.wantSpan, c.wantSampled, c.wantState)
				}
				bag := tracing.BaggageFromContext(ctx)
				for k, v := range c.wantBaggage {
					if got, _ := bag.Get(k); got != v {
						t.Errorf("%T: baggage %s = %q, want %q (all: %v)", carrier, k, got, v, bag.Members())
					}
				}
				if len(c.wantBaggage) > 0 && bag.Len() != len(c.wantBaggage) {
					t.Errorf("%T: baggage %v, want %v", carrier, bag.Members(), c.wantBaggage)
				}
				_, child := tr.Start(ctx, "child", tracing.WithKind(tracing.SpanKindServer))
				if got := child.SpanContext(); got.TraceID() != sc.TraceID() || got.IsSampled() != c.wantSampled || got.TraceState() != c.wantState {
					t.Errorf("child %v state %q, want trace %s sampled %v", got, got.TraceState(), sc.TraceID(), c.wantSampled)
				}
				child.End()
			}
			if c.wantTrace == "" || !c.wantSampled {
				return
			}
			_ = tr.ForceFlush(context.Background())
			for _, s := range a.SpanData(t, 2, wait) {
				if s.TraceID.String() != c.wantTrace || s.ParentID.String() != c.wantSpan {
					t.Errorf("child sent with trace %s parent %s, want %s %s", s.TraceID, s.ParentID, c.wantTrace, c.wantSpan)
				}
			}
		})
	}
}

// TestSharesTraceWithW3CBackends: a service on this backend and one on a
// backend that speaks only W3C trace context (the recorder, as the otel
// backend does by default) continue each other's traces.
func TestSharesTraceWithW3CBackends(t *testing.T) {
	b, a := newAgentBackend(t, nil)
	jt := tracing.New(b)
	defer jt.Shutdown(context.Background())
	rec := tracingtest.NewRecorder()
	rt := rec.Tracer()

	// W3C service → jaeger service → W3C service.
	ctx, up := rt.Start(context.Background(), "upstream", tracing.WithKind(tracing.SpanKindClient))
	jctx, mid := jt.Start(tracingtest.Hop(ctx, rt, jt), "middle", tracing.WithKind(tracing.SpanKindServer))
	_, down := rt.Start(tracingtest.Hop(jctx, jt, rt), "downstream", tracing.WithKind(tracing.SpanKindServer))
	down.End()
	mid.End()
	up.End()
	_ = jt.ForceFlush(context.Background())

	u, _ := rec.Span("upstream")
	d, _ := rec.Span("downstream")
	m := a.SpanData(t, 1, wait)[0]
	if m.TraceID != u.TraceID || m.ParentID != u.SpanID {
		t.Errorf("jaeger span %s parent %s, want trace %s parent %s", m.TraceID, m.ParentID, u.TraceID, u.SpanID)
	}
	if d.TraceID != u.TraceID || d.ParentID != m.SpanID {
		t.Errorf("downstream %s parent %s, want trace %s parent %s", d.TraceID, d.ParentID, u.TraceID, m.SpanID)
	}
}

// TestOpenTracingCodecsSpeakW3C: the codecs registered with
// jaeger-client-go make its own Inject and Extract (used by code holding
// the jaeger tracer) write and read traceparent too.
func TestOpenTracingCodecsSpeakW3C(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	defer b.Shutdown(context.Background())
	ot := b.OpenTracingTracer()
	sp := ot.StartSpan("raw")
	defer sp.Finish()
	sp.SetBaggageItem("tenant", "acme")
	jc := sp.Context().(jaeger.SpanContext)
	for _, format := range []any{opentracing.HTTPHeaders, opentracing.TextMap} {
		tm := opentracing.TextMapCarrier{}
		if err := ot.Inject(sp.Context(), format, tm); err != nil {
			t.Fatal(err)
		}
		wantTP := fmt.Sprintf("00-%016x%016x-%016x-01", jc.TraceID().High, jc.TraceID().Low, uint64(jc.SpanID()))
		if tm["uber-trace-id"] == "" || tm["traceparent"] != wantTP || tm["uberctx-tenant"] != "acme" || tm["baggage"] != "tenant=acme" {
			t.Errorf("%v: injected %v, want traceparent %s", format, tm, wantTP)
		}
		got, err := ot.Extract(format, opentracing.TextMapCarrier{"traceparent": tm["traceparent"], "baggage": "user=u-7"})
		if err != nil {
			t.Fatalf("%v: extract traceparent alone: %v", format, err)
		}
		gjc := got.(jaeger.SpanContext)
		items := map[string]string{}
		gjc.ForeachBaggageItem(func(k, v string) bool { items[k] = v; return true })
		if gjc.TraceID() != jc.TraceID() || gjc.SpanID() != jc.SpanID() || !gjc.IsSampled() || items["user"] != "u-7" {
			t.Errorf("%v: extracted %v %v", format, gjc, items)
		}
	}
	if _, err := ot.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{})); err == nil {
		t.Error("extracted a span context from no headers")
	}
}

// TestBaggageSync: the facade's baggage and the jaeger span's baggage
// items are one set, whichever API sets them.
func TestBaggageSync(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	bag, _ := tracing.Baggage{}.With("tenant", "acme")
	ctx, root := tr.Start(tracing.ContextWithBaggage(context.Background(), bag), "root")
	defer root.End()
	js := jaegerbackend.Jaeger(root)
	if js == nil || js.BaggageItem("tenant") != "acme" {
		t.Fatalf("jaeger span of a facade span with baggage: %v", js)
	}
	// Set through OpenTracing: the facade sees it in the span's context.
	opentracing.SpanFromContext(ctx).SetBaggageItem("user", "u-7")
	if v, _ := tracing.BaggageFromContext(ctx).Get("user"); v != "u-7" {
		t.Errorf("facade baggage after SetBaggageItem: %v", tracing.BaggageFromContext(ctx).Members())
	}
	// Set through the facade after start: children and Inject carry it.
	bag2, _ := tracing.BaggageFromContext(ctx).With("flag", "on")
	cctx, child := tr.Start(tracing.ContextWithBaggage(ctx, bag2), "child")
	defer child.End()
	cjs := jaegerbackend.Jaeger(child)
	if cjs.BaggageItem("tenant") != "acme" || cjs.BaggageItem("user") != "u-7" || cjs.BaggageItem("flag") != "on" {
		t.Errorf("child's jaeger baggage: %v", cjs.Context())
	}
	// Removed through the facade: gone from the child and the headers.
	cctx2, child2 := tr.Start(tracing.ContextWithBaggage(cctx, tracing.BaggageFromContext(cctx).Without("user")), "child2")
	defer child2.End()
	h := http.Header{}
	tr.Inject(cctx2, tracing.HeaderCarrier(h))
	if jaegerbackend.Jaeger(child2).BaggageItem("user") != "" || h.Get("uberctx-user") != "" || strings.Contains(h.Get("baggage"), "user") {
		t.Errorf("removed item still there: %v", h)
	}
	if h.Get("uberctx-tenant") != "acme" || h.Get("uberctx-flag") != "on" {
		t.Errorf("headers %v", h)
	}
}

// TestExtractBoundsBaggage: thousands of baggage headers cost linear time
// and keep at most the W3C limits' worth of items per format.
func TestExtractBoundsBaggage(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	h := http.Header{}
	h.Set("uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
	var jb strings.Builder
	for i := range 20000 {
		h.Set(fmt.Sprintf("uberctx-k%d", i), "v")
		fmt.Fprintf(&jb, "j%d=v,", i)
	}
	h.Set("jaeger-baggage", jb.String())
	ctx := tr.Extract(context.Background(), tracing.HeaderCarrier(h))
	if !tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Fatal("the trace was lost")
	}
	if n := tracing.BaggageFromContext(ctx).Len(); n == 0 || n > 2*tracing.MaxBaggageMembers {
		t.Errorf("%d baggage members kept", n)
	}
	ctx, sp := tr.Start(ctx, "child")
	defer sp.End()
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	if len(out) > 2*tracing.MaxBaggageMembers+4 {
		t.Errorf("injected %d headers", len(out))
	}
}

// TestRandomFlag: the W3C random trace id flag, which a jaeger span
// context cannot hold (its 0x02 is jaeger's debug flag), is kept by the
// backend: set on the traces it starts (jaeger-client-go draws trace ids
// at random), as the caller sent it on continued ones (children
// included), and not set for a trace continued from uber-trace-id alone,
// whose ids were made who knows how.
func TestRandomFlag(t *testing.T) {
	b, _ := newAgentBackend(t, nil)
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	const tid, pid = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	random := func(sc tracing.SpanContext) bool { return sc.TraceFlags()&tracing.FlagsRandom != 0 }

	ctx, root := tr.Start(context.Background(), "root")
	_, child := tr.Start(tracing.ContextWithSpan(context.Background(), root), "child") // through the facade's own node
	if !random(root.SpanContext()) || !random(child.SpanContext()) {
		t.Errorf("a new trace: %v, child %v, want the random flag", root.SpanContext(), child.SpanContext())
	}
	child.End()
	root.End()
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	if got := h.Get("traceparent"); got[53:] != "03" {
		t.Errorf("new trace injected %q, want flags 03", got)
	}
	for _, c := range []struct {
		name string
		in   map[string]string
		want string // the flags sent on
	}{
		{"random sampled", map[string]string{"traceparent": "00-" + tid + "-" + pid + "-03"}, "03"},
		{"random unsampled", map[string]string{"traceparent": "00-" + tid + "-" + pid + "-02"}, "02"},
		{"not random", map[string]string{"traceparent": "00-" + tid + "-" + pid + "-01"}, "01"},
		{"uber-trace-id and the same traceparent", map[string]string{"uber-trace-id": tid + ":" + pid + ":0:1", "traceparent": "00-" + tid + "-" + pid + "-03"}, "03"},
		{"uber-trace-id alone", map[string]string{"uber-trace-id": tid + ":" + pid + ":0:1"}, "01"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := tr.Extract(context.Background(), tracing.MapCarrier(c.in))
			ctx, srv := tr.Start(ctx, "server", tracing.WithKind(tracing.SpanKindServer))
			defer srv.End()
			ctx, cl := tr.Start(ctx, "client", tracing.WithKind(tracing.SpanKindClient))
			defer cl.End()
			out := http.Header{}
			tr.Inject(ctx, tracing.HeaderCarrier(out))
			if got := out.Get("traceparent"); len(got) != 55 || got[3:35] != tid || got[53:] != c.want {
				t.Errorf("sent on %q, want trace %s with flags %s", got, tid, c.want)
			}
		})
	}
}
