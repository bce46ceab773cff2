package otelbackend_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
)

// The backend configured in code; here it exports to memory.
func ExampleNew() {
	exp := tracetest.NewInMemoryExporter()
	b, err := otelbackend.New(otelbackend.WithExporter(exp), otelbackend.WithoutGlobal())
	if err != nil {
		log.Fatal(err)
	}
	tracer := tracing.New(b)
	defer tracer.Shutdown(context.Background())

	ctx, root := tracer.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer))
	_, q := tracer.Start(ctx, "SELECT notes", tracing.WithService("db"),
		tracing.WithAttrs(tracing.String("db.system.name", "sqlite")))
	q.End()
	root.End()
	if err := tracer.ForceFlush(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, s := range exp.GetSpans() {
		fmt.Print(s.Name, " ", s.SpanKind)
		for _, a := range s.Attributes {
			fmt.Print(" ", a.Key, "=", a.Value.String())
		}
		fmt.Println()
	}
	// Output:
	// SELECT notes internal db.system.name=sqlite service.name=db
	// GET /notes/{id} server
}

// Opening the backend by name, with options for it passed through.
func Example_open() {
	tracer, err := tracing.Open(context.Background(), "otel",
		tracing.WithServiceName("notes"),
		tracing.WithBackendOptions(
			otelbackend.WithExporter(tracetest.NewInMemoryExporter()),
			otelbackend.WithoutGlobal()))
	if err != nil {
		log.Fatal(err)
	}
	defer tracer.Shutdown(context.Background())
	s := tracer.Summary()
	fmt.Println(s.Backend, s.Service, s.Destination)
	// Output: otel notes exporter *tracetest.InMemoryExporter
}

// A request from a service traced with a Datadog library continues its
// trace: the 128-bit trace id is rebuilt from the decimal low half and the
// _dd.p.tid tag.
func ExampleDatadog() {
	h := http.Header{}
	h.Set("x-datadog-trace-id", "1311768467294899695")
	h.Set("x-datadog-parent-id", "72623859790382856")
	h.Set("x-datadog-tags", "_dd.p.dm=-1,_dd.p.tid=640cfd8d00000000")
	h.Set("x-datadog-sampling-priority", "1")
	sc := trace.SpanContextFromContext(otelbackend.Datadog{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
	fmt.Println(sc.TraceID(), sc.SpanID(), sc.IsSampled(), sc.IsRemote())
	// Output: 640cfd8d000000001234567890abcdef 0102030405060708 true true
}

// Code using OpenTelemetry's API inside a facade span: one context, one
// trace, and each API sees the innermost span.
func ExampleBackend_TracerProvider() {
	b, err := otelbackend.New(otelbackend.WithExporter(tracetest.NewInMemoryExporter()), otelbackend.WithoutGlobal())
	if err != nil {
		log.Fatal(err)
	}
	tracer := tracing.New(b)
	defer tracer.Shutdown(context.Background())

	ctx, span := tracer.Start(context.Background(), "handler")
	defer span.End()
	// otel.Tracer("lib") is the same when the backend is installed as the
	// global provider (the default).
	octx, ospan := b.TracerProvider().Tracer("lib").Start(ctx, "lib.call")
	defer ospan.End()

	fmt.Println(ospan.SpanContext().TraceID() == trace.TraceID(span.SpanContext().TraceID()))
	fmt.Println(tracing.SpanFromContext(octx).SpanContext().SpanID() == tracing.SpanID(ospan.SpanContext().SpanID()))
	// Output:
	// true
	// true
}
