package otelbackend_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// useGlobal lets the backend install itself as OpenTelemetry's globals for
// the test, restoring the previous ones afterwards.
func useGlobal(t *testing.T) {
	t.Helper()
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })
}

// parentOf returns the exported span named name and checks it is unique.
func exported(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span %q, got %d of %d", name, len(found), len(spans))
	}
	return found[0]
}

func checkParent(t *testing.T, spans tracetest.SpanStubs, child, parent string) {
	t.Helper()
	c, p := exported(t, spans, child), exported(t, spans, parent)
	if c.SpanContext.TraceID() != p.SpanContext.TraceID() || c.Parent.SpanID() != p.SpanContext.SpanID() {
		t.Errorf("%s is in trace %s under %s, want trace %s under %s (%s)", child, c.SpanContext.TraceID(), c.Parent.SpanID(),
			p.SpanContext.TraceID(), p.SpanContext.SpanID(), parent)
	}
}

// TestOTelAPINesting: code using OpenTelemetry's API directly and facade
// code share one context and one trace, in both directions, and each API
// sees the innermost span whichever API started it.
func TestOTelAPINesting(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	useGlobal(t)
	exp := tracetest.NewInMemoryExporter()
	b, err := otelbackend.New(otelbackend.WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	tr := tracing.New(b)
	otr := otel.Tracer("legacy/lib")

	ctx, facadeRoot := tr.Start(context.Background(), "facade-root")
	// OpenTelemetry sees the facade span as current.
	if got := trace.SpanFromContext(ctx); got.SpanContext().SpanID() != trace.SpanID(facadeRoot.SpanContext().SpanID()) || !got.IsRecording() {
		t.Errorf("trace.SpanFromContext = %v, want the facade span", got.SpanContext())
	}
	octx, otelChild := otr.Start(ctx, "otel-child")
	// The facade sees the OpenTelemetry span as current.
	if got := tracing.SpanFromContext(octx).SpanContext(); got.SpanID() != tracing.SpanID(otelChild.SpanContext().SpanID()) {
		t.Errorf("tracing.SpanFromContext = %v, want the OpenTelemetry span %v", got, otelChild.SpanContext())
	}
	tracing.SpanFromContext(octx).SetAttrs(tracing.String("set.through", "facade"))
	fctx, facadeGrandchild := tr.Start(octx, "facade-grandchild")
	_, otelLeaf := otr.Start(fctx, "otel-leaf")
	otelLeaf.End()
	facadeGrandchild.End()
	otelChild.End()
	facadeRoot.End()
	tracingtest.Flush(t, b)

	spans := exp.GetSpans()
	checkParent(t, spans, "otel-child", "facade-root")
	checkParent(t, spans, "facade-grandchild", "otel-child")
	checkParent(t, spans, "otel-leaf", "facade-grandchild")
	for _, a := range exported(t, spans, "otel-child").Attributes {
		if a.Key == "set.through" && a.Value.AsString() == "facade" {
			return
		}
	}
	t.Error("attribute set through tracing.SpanFromContext on the OpenTelemetry span is missing")
}

// TestOTelHTTPInterop: a facade client calls a server instrumented with
// otelhttp (global provider and propagator); the handler's facade span
// nests under otelhttp's server span, all in the client's trace.
func TestOTelHTTPInterop(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	useGlobal(t)
	exp := tracetest.NewInMemoryExporter()
	b, err := otelbackend.New(otelbackend.WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	tr := tracing.New(b)
	srv := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, _ := tracing.BaggageFromContext(r.Context()).Get("tenant"); v != "acme" {
			t.Errorf("handler sees baggage tenant %q", v)
		}
		_, sp := tr.Start(r.Context(), "handler-work")
		sp.End()
		_, _ = io.WriteString(w, "ok")
	}), "server", otelhttp.WithSpanNameFormatter(func(string, *http.Request) string { return "otelhttp-server" })))
	defer srv.Close()

	ctx, client := tr.Start(context.Background(), "facade-client", tracing.WithKind(tracing.SpanKindClient))
	bag, _ := tracing.Baggage{}.With("tenant", "acme")
	ctx = tracing.ContextWithBaggage(ctx, bag)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	tr.Inject(ctx, tracing.HeaderCarrier(req.Header))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	client.End()
	tracingtest.Flush(t, b)

	spans := exp.GetSpans()
	checkParent(t, spans, "otelhttp-server", "facade-client")
	checkParent(t, spans, "handler-work", "otelhttp-server")
}

// TestTracerProviderOption: with the application's provider, spans go to
// it, and Shutdown flushes it but leaves it running.
func TestTracerProviderOption(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	exp := tracetest.NewInMemoryExporter()
	// A batcher that would hold spans for an hour unless flushed.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(3600e9)))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	b, err := otelbackend.New(otelbackend.WithTracerProvider(tp), otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	if d := tr.Summary().Destination; d != "application's TracerProvider (*trace.TracerProvider)" {
		t.Errorf("destination %q", d)
	}
	_, sp := tr.Start(context.Background(), "via-facade")
	sp.End()
	tracingtest.Shutdown(t, b)
	if n := len(exp.GetSpans()); n != 1 {
		t.Fatalf("Shutdown did not flush the application's provider: %d spans exported", n)
	}
	if s := b.Stats(); s.Ended != 1 {
		t.Errorf("stats %+v, want 1 ended", s)
	}
	_, osp := tp.Tracer("app").Start(context.Background(), "after-backend-shutdown")
	osp.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != 2 {
		t.Errorf("the application's provider stopped working after the backend's Shutdown: %d spans", n)
	}
}

// TestInteropProviderWithoutGlobal: Backend.TracerProvider gives the same
// interoperability to instrumentation configured explicitly.
func TestInteropProviderWithoutGlobal(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	b, exp := newMemBackend(t)
	tr := tracing.New(b)
	ctx, root := tr.Start(context.Background(), "root")
	octx, osp := b.TracerProvider().Tracer("explicit").Start(ctx, "explicit-child")
	if got := tracing.SpanFromContext(octx).SpanContext(); got.SpanID() != tracing.SpanID(osp.SpanContext().SpanID()) {
		t.Errorf("facade sees %v, want the explicit provider's span", got)
	}
	if _, ok := osp.(sdktrace.ReadWriteSpan); !ok {
		t.Errorf("the span is a %T, not the SDK's own", osp)
	}
	osp.End()
	root.End()
	tracingtest.Flush(t, b)
	checkParent(t, exp.GetSpans(), "explicit-child", "root")
}
