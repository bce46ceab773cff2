package otelbackend_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

const (
	w3cTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	w3cParent = "00f067aa0ba902b7"
	// A Datadog trace: 128-bit id 0x640cfd8d00000000_0x1234567890abcdef.
	ddHigh   = "640cfd8d00000000"
	ddLow    = uint64(0x1234567890abcdef)
	ddParent = uint64(0x0102030405060708)
)

// newMemBackend returns a backend exporting to memory, shut down when the
// test ends. Call tracingtest.IsolateEnv first.
func newMemBackend(t testing.TB, opts ...otelbackend.Option) (*otelbackend.Backend, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	b, err := otelbackend.New(append([]otelbackend.Option{otelbackend.WithExporter(exp), otelbackend.WithoutGlobal()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tracingtest.Shutdown(t, b) })
	return b, exp
}

func ddHeaders(priority string) http.Header {
	h := http.Header{}
	h.Set("x-datadog-trace-id", strconv.FormatUint(ddLow, 10))
	h.Set("x-datadog-parent-id", strconv.FormatUint(ddParent, 10))
	h.Set("x-datadog-tags", "_dd.p.dm=-1,_dd.p.tid="+ddHigh)
	if priority != "" {
		h.Set("x-datadog-sampling-priority", priority)
	}
	return h
}

// TestExtractFormats: the default propagator reads W3C, Jaeger and
// Datadog headers, with W3C winning, and the result is a remote parent
// for both APIs; the exported child continues the trace.
func TestExtractFormats(t *testing.T) {
	ddTrace := ddHigh + "1234567890abcdef"
	ddSpan := "0102030405060708"
	cases := []struct {
		name              string
		headers           http.Header
		wantTrace, wantID string // "" means no span context
		wantSampled       bool
	}{
		{"w3c", http.Header{"Traceparent": {"00-" + w3cTrace + "-" + w3cParent + "-01"}}, w3cTrace, w3cParent, true},
		{"datadog", ddHeaders("1"), ddTrace, ddSpan, true},
		{"datadog user keep", ddHeaders("2"), ddTrace, ddSpan, true},
		{"datadog drop", ddHeaders("0"), ddTrace, ddSpan, false},
		{"datadog user reject", ddHeaders("-1"), ddTrace, ddSpan, false},
		{"datadog no priority", ddHeaders(""), ddTrace, ddSpan, false},
		// As dd-trace-go: a priority that is not an integer corrupts the
		// context, and a leading "-" makes an id a signed number.
		{"datadog malformed priority", func() http.Header { h := ddHeaders(""); h.Set("x-datadog-sampling-priority", "high"); return h }(), "", "", false},
		{"datadog 64-bit", func() http.Header { h := ddHeaders("1"); h.Del("x-datadog-tags"); return h }(), "00000000000000001234567890abcdef", ddSpan, true},
		{"datadog malformed tid", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-tags", "_dd.p.tid=xyz"); return h }(),
			"00000000000000001234567890abcdef", ddSpan, true},
		{"datadog short tid", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-tags", "_dd.p.tid=640cfd8d"); return h }(),
			"00000000000000001234567890abcdef", ddSpan, true},
		{"datadog bad trace id", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-trace-id", "12ab"); return h }(), "", "", false},
		{"datadog zero trace id", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-trace-id", "0"); return h }(), "", "", false},
		{"datadog negative trace id", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-trace-id", "-5"); return h }(), ddHigh + "fffffffffffffffb", ddSpan, true},
		{"datadog malformed tags", func() http.Header {
			h := ddHeaders("1")
			h.Set("x-datadog-tags", "_dd.p.tid="+ddHigh+",junk")
			return h
		}(),
			"00000000000000001234567890abcdef", ddSpan, true},
		{"datadog upper-case tid", func() http.Header {
			h := ddHeaders("1")
			h.Set("x-datadog-tags", "_dd.p.tid=640CFD8D00000000")
			return h
		}(),
			"00000000000000001234567890abcdef", ddSpan, true},
		{"datadog overflowing trace id", func() http.Header { h := ddHeaders("1"); h.Set("x-datadog-trace-id", "18446744073709551616"); return h }(), "", "", false},
		{"datadog no parent", func() http.Header { h := ddHeaders("1"); h.Del("x-datadog-parent-id"); return h }(), "", "", false},
		{"jaeger", http.Header{"Uber-Trace-Id": {w3cTrace + ":" + w3cParent + ":0:1"}}, w3cTrace, w3cParent, true},
		{"w3c wins over datadog", func() http.Header {
			h := ddHeaders("1")
			h.Set("traceparent", "00-"+w3cTrace+"-"+w3cParent+"-00")
			return h
		}(), w3cTrace, w3cParent, false},
		{"w3c wins over jaeger", http.Header{
			"Traceparent":   {"00-" + w3cTrace + "-" + w3cParent + "-01"},
			"Uber-Trace-Id": {"1111111111111111:2222222222222222:0:1"},
		}, w3cTrace, w3cParent, true},
		{"invalid w3c falls back to datadog", func() http.Header {
			h := ddHeaders("1")
			h.Set("traceparent", "00-"+strings.ToUpper(w3cTrace)+"-"+w3cParent+"-01")
			return h
		}(), ddTrace, ddSpan, true},
		{"jaeger wins over datadog", func() http.Header {
			h := ddHeaders("1")
			h.Set("uber-trace-id", w3cTrace+":"+w3cParent+":0:0")
			return h
		}(), w3cTrace, w3cParent, false},
		{"nothing", http.Header{"Traceparent": {"garbage"}}, "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			b, exp := newMemBackend(t)
			tr := tracing.New(b)
			// Both carrier kinds: canonical HTTP headers and a lower-case map.
			lower := tracing.MapCarrier{}
			for k, v := range tc.headers {
				lower[strings.ToLower(k)] = v[0]
			}
			for _, c := range []tracing.Carrier{tracing.HeaderCarrier(tc.headers), lower} {
				ctx := tr.Extract(context.Background(), c)
				sc := tracing.SpanFromContext(ctx).SpanContext()
				osc := trace.SpanContextFromContext(ctx)
				if tc.wantTrace == "" {
					if sc.IsValid() || osc.IsValid() {
						t.Errorf("%T: extracted %v / %v from malformed headers", c, sc, osc)
					}
					continue
				}
				if sc.TraceID().String() != tc.wantTrace || sc.SpanID().String() != tc.wantID || sc.IsSampled() != tc.wantSampled || !sc.IsRemote() {
					t.Errorf("%T: facade sees %v remote=%v, want %s-%s sampled=%v remote", c, sc, sc.IsRemote(), tc.wantTrace, tc.wantID, tc.wantSampled)
				}
				if osc.TraceID().String() != tc.wantTrace || osc.SpanID().String() != tc.wantID || !osc.IsRemote() {
					t.Errorf("%T: OpenTelemetry sees %v, want the same remote parent", c, osc)
				}
				_, child := tr.Start(ctx, "child")
				child.End()
			}
			tracingtest.Flush(t, b)
			spans := exp.GetSpans()
			if tc.wantTrace == "" || !tc.wantSampled {
				if len(spans) != 0 && tc.wantTrace != "" {
					t.Errorf("children of an unsampled parent were exported: %d", len(spans))
				}
				return
			}
			if len(spans) != 2 {
				t.Fatalf("exported %d children, want 2", len(spans))
			}
			for _, s := range spans {
				if s.SpanContext.TraceID().String() != tc.wantTrace || s.Parent.SpanID().String() != tc.wantID {
					t.Errorf("child exported in %s under %s, want %s under %s", s.SpanContext.TraceID(), s.Parent.SpanID(), tc.wantTrace, tc.wantID)
				}
			}
		})
	}
}

// TestInjectDefault: W3C trace context and baggage only, with both APIs'
// baggage merged.
func TestInjectDefault(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, _ := newMemBackend(t)
	tr := tracing.New(b)
	ctx, sp := tr.Start(context.Background(), "client")
	defer sp.End()
	fb, _ := tracing.Baggage{}.With("tenant", "acme corp")
	ctx = tracing.ContextWithBaggage(ctx, fb)
	m, _ := baggage.NewMemberRaw("region", "eu")
	ob, _ := baggage.New(m)
	ctx = baggage.ContextWithBaggage(ctx, ob)

	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	if got, want := h.Get("traceparent"), sp.SpanContext().Traceparent(); got != want {
		t.Errorf("traceparent %q, want %q", got, want)
	}
	parsed := tracing.ParseBaggage(h.Get("baggage"))
	if v, _ := parsed.Get("tenant"); v != "acme corp" {
		t.Errorf("baggage %q lacks the facade's tenant", h.Get("baggage"))
	}
	if v, _ := parsed.Get("region"); v != "eu" {
		t.Errorf("baggage %q lacks OpenTelemetry's region", h.Get("baggage"))
	}
	for k := range h {
		if k != "Traceparent" && k != "Baggage" {
			t.Errorf("default Inject wrote %s", k)
		}
	}
	fields := b.Fields()
	slices.Sort(fields)
	if got := strings.Join(fields, ","); got != "baggage,traceparent,tracestate" {
		t.Errorf("Fields %q", got)
	}
}

// TestExtractBaggage: extracted baggage lands in both APIs, merged with
// what the context had, properties kept.
func TestExtractBaggage(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, _ := newMemBackend(t)
	tr := tracing.New(b)
	prior, _ := tracing.Baggage{}.With("keep", "me")
	ctx := tracing.ContextWithBaggage(context.Background(), prior)
	h := http.Header{"Baggage": {"tenant=acme%20corp;ttl=60,user=42"}}
	ctx = tr.Extract(ctx, tracing.HeaderCarrier(h))
	fb := tracing.BaggageFromContext(ctx)
	for k, want := range map[string]string{"tenant": "acme corp", "user": "42", "keep": "me"} {
		if v, _ := fb.Get(k); v != want {
			t.Errorf("facade baggage %s = %q, want %q (%v)", k, v, want, fb.Members())
		}
	}
	for _, m := range fb.Members() {
		if m.Key == "tenant" && m.Properties != "ttl=60" {
			t.Errorf("tenant properties %q, want ttl=60", m.Properties)
		}
	}
	if v := baggage.FromContext(ctx).Member("tenant").Value(); v != "acme corp" {
		t.Errorf("OpenTelemetry baggage tenant = %q", v)
	}
}

// TestPropagatorsFromEnv: OTEL_PROPAGATORS selects the formats, through
// autoprop.
func TestPropagatorsFromEnv(t *testing.T) {
	t.Run("b3", func(t *testing.T) {
		tracingtest.IsolateEnv(t, nil)
		t.Setenv("OTEL_PROPAGATORS", "b3")
		b, _ := newMemBackend(t)
		tr := tracing.New(b)
		ctx, sp := tr.Start(context.Background(), "client")
		defer sp.End()
		h := http.Header{}
		tr.Inject(ctx, tracing.HeaderCarrier(h))
		sc := sp.SpanContext()
		if want := sc.TraceID().String() + "-" + sc.SpanID().String() + "-1"; h.Get("b3") != want || h.Get("traceparent") != "" {
			t.Errorf("headers %v, want only b3 %s", h, want)
		}
		in := tr.Extract(context.Background(), tracing.HeaderCarrier(http.Header{"B3": {w3cTrace + "-" + w3cParent + "-1"}}))
		if got := tracing.SpanFromContext(in).SpanContext(); got.TraceID().String() != w3cTrace || !got.IsRemote() {
			t.Errorf("extracted %v from b3", got)
		}
		w3c := tr.Extract(context.Background(), tracing.HeaderCarrier(http.Header{"Traceparent": {"00-" + w3cTrace + "-" + w3cParent + "-01"}}))
		if tracing.SpanFromContext(w3c).SpanContext().IsValid() {
			t.Error("traceparent extracted although OTEL_PROPAGATORS=b3")
		}
	})
	t.Run("none", func(t *testing.T) {
		tracingtest.IsolateEnv(t, nil)
		t.Setenv("OTEL_PROPAGATORS", "tracecontext,none")
		b, _ := newMemBackend(t)
		tr := tracing.New(b)
		ctx, sp := tr.Start(context.Background(), "client")
		defer sp.End()
		h := http.Header{}
		tr.Inject(ctx, tracing.HeaderCarrier(h))
		if len(h) != 0 {
			t.Errorf("OTEL_PROPAGATORS=none injected %v", h)
		}
	})
	t.Run("datadog", func(t *testing.T) {
		tracingtest.IsolateEnv(t, nil)
		t.Setenv("OTEL_PROPAGATORS", "datadog")
		b, _ := newMemBackend(t)
		ctx := tracing.New(b).Extract(context.Background(), tracing.HeaderCarrier(ddHeaders("1")))
		if got := tracing.SpanFromContext(ctx).SpanContext(); got.SpanID().Uint64() != ddParent {
			t.Errorf("extracted %v with OTEL_PROPAGATORS=datadog", got)
		}
	})
}

// TestForeignRemoteParent: a span context another propagator put in the
// context (tracing.ContextWithRemoteSpanContext) is the parent of spans
// started here and is what Inject sends on.
func TestForeignRemoteParent(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, exp := newMemBackend(t)
	tr := tracing.New(b)
	tid, _ := tracing.TraceIDFromHex(w3cTrace)
	sid, _ := tracing.SpanIDFromHex(w3cParent)
	remote := tracing.NewSpanContext(tracing.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: tracing.FlagsSampled, TraceState: "vendor=x"})
	ctx := tracing.ContextWithRemoteSpanContext(context.Background(), remote)

	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	if got := h.Get("traceparent"); got != "00-"+w3cTrace+"-"+w3cParent+"-01" || h.Get("tracestate") != "vendor=x" {
		t.Errorf("injected %v, want the foreign remote context", h)
	}
	_, sp := tr.Start(ctx, "server")
	sp.End()
	// And inside a span of this backend, a foreign context set later wins.
	outerCtx, outer := tr.Start(context.Background(), "outer")
	_, inner := tr.Start(tracing.ContextWithRemoteSpanContext(outerCtx, remote), "inner")
	inner.End()
	outer.End()
	tracingtest.Flush(t, b)
	for _, s := range exp.GetSpans() {
		if s.Name == "outer" {
			continue
		}
		if s.Parent.TraceID().String() != w3cTrace || s.Parent.SpanID().String() != w3cParent || !s.Parent.IsRemote() {
			t.Errorf("%s has parent %v, want the remote %s", s.Name, s.Parent, remote)
		}
	}
}

// TestGlobalPropagator: the backend installs its propagation as
// OpenTelemetry's global propagator, so instrumentation using the OTel API
// reads Datadog headers and fills the facade's context and baggage too.
func TestGlobalPropagator(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
	b, err := otelbackend.New(otelbackend.WithExporter(tracetest.NewInMemoryExporter()))
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	h := ddHeaders("1")
	h.Set("baggage", "tenant=acme")
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), propagation.HeaderCarrier(h))
	if got := tracing.SpanFromContext(ctx).SpanContext(); got.SpanID().Uint64() != ddParent || !got.IsRemote() {
		t.Errorf("facade sees %v after the global propagator extracted Datadog headers", got)
	}
	if v, _ := tracing.BaggageFromContext(ctx).Get("tenant"); v != "acme" {
		t.Errorf("facade baggage tenant %q", v)
	}
}
