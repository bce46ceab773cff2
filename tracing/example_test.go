package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func Example() {
	// In a service: tracer, err := tracing.FromEnv(ctx) (TRACING_BACKEND
	// picks the backend). Here a recorder stands in, so that the example
	// can show what was recorded.
	rec := tracingtest.NewRecorder()
	tracing.SetDefault(tracing.New(rec))
	defer tracing.SetDefault(nil)

	ctx, span := tracing.Start(context.Background(), "CreateNote",
		tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("note.id", "7"), tracing.Int("items", 3)))
	_, child := tracing.Start(ctx, "validate")
	child.RecordError(errors.New("description too long"))
	child.End()
	span.SetAttrs(tracing.Bool("cache.hit", false))
	span.End()

	for _, s := range rec.Spans() {
		fmt.Printf("%s kind=%s status=%s attrs=%d\n", s.Name, s.Kind, s.Status, len(s.Attrs))
	}
	// Output:
	// validate kind=internal status=error attrs=0
	// CreateNote kind=server status=unset attrs=3
}

func ExampleTracer_Inject() {
	rec := tracingtest.NewRecorder()
	tr := tracing.New(rec)

	// The client side writes the span context into the outgoing headers…
	ctx, span := tr.Start(context.Background(), "GET", tracing.WithKind(tracing.SpanKindClient))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://calendar:9090/calendar", nil)
	tr.Inject(ctx, tracing.HeaderCarrier(req.Header))
	span.End()

	// …and the server side continues the trace from them.
	sctx := tr.Extract(context.Background(), tracing.HeaderCarrier(req.Header))
	_, server := tr.Start(sctx, "GET /calendar", tracing.WithKind(tracing.SpanKindServer))
	server.End()

	fmt.Println("same trace:", server.SpanContext().TraceID() == span.SpanContext().TraceID())
	fmt.Println("parent is remote:", tracing.SpanFromContext(sctx).SpanContext().IsRemote())
	// Output:
	// same trace: true
	// parent is remote: true
}

func ExampleSpanFromContext() {
	// Code that receives a context never checks for a missing span: the
	// zero Span does nothing.
	span := tracing.SpanFromContext(context.Background())
	span.SetAttrs(tracing.String("k", "v"))
	span.End()
	fmt.Println(span.IsRecording(), span.SpanContext().IsValid())
	// Output: false false
}

func ExampleTraceID_LowDecimal() {
	id, _ := tracing.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	fmt.Println(id)              // W3C form
	fmt.Println(id.LowDecimal()) // Datadog's form of the low 64 bits
	// Output:
	// 4bf92f3577b34da6a3ce929d0e0e4736
	// 11803532876627986230
}

func ExampleParseTraceparent() {
	sc, ok := tracing.ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	fmt.Println(ok, sc.TraceID(), sc.SpanID(), sc.IsSampled())
	_, ok = tracing.ParseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
	fmt.Println(ok) // upper case is invalid
	// Output:
	// true 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 true
	// false
}

func ExampleBaggage() {
	b, _ := tracing.Baggage{}.With("tenant", "acme corp")
	fmt.Println(tracing.FormatBaggage(b))
	v, _ := tracing.ParseBaggage("tenant=acme%20corp;ttl=60").Get("tenant")
	fmt.Println(v)
	// Output:
	// tenant=acme%20corp
	// acme corp
}

func ExampleFromEnv() {
	// TRACING_BACKEND is unset here: tracing is off, and FromEnv says so
	// in one line (on stderr unless WithSummary says otherwise).
	tracer, err := tracing.FromEnv(context.Background(), tracing.WithoutSummary())
	fmt.Println(err, tracer.Summary().Backend)
	// Output: <nil> none
}
