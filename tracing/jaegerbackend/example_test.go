package jaegerbackend_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
)

// The facade's semantic attributes become the OpenTracing tags Jaeger
// shows. (A service would leave the sampler and reporter to the JAEGER_*
// variables; here spans stay in memory.)
func Example() {
	spans := jaeger.NewInMemoryReporter()
	b, err := jaegerbackend.New(
		jaegerbackend.WithServiceName("notes"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithReporter(spans))
	if err != nil {
		log.Fatal(err)
	}
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	ctx, srv := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("http.response.status_code", 200)))
	_, q := tr.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient),
		tracing.WithAttrs(tracing.String("db.system.name", "sqlite"), tracing.String("db.query.text", "SELECT * FROM notes WHERE id = ?")))
	q.End()
	srv.End()

	for _, s := range spans.GetSpans() {
		js := s.(*jaeger.Span)
		fmt.Println(js.OperationName(), js.Tags())
	}
	// Output:
	// SELECT notes map[db.statement:SELECT * FROM notes WHERE id = ? db.type:sqlite span.kind:client]
	// GET /notes/{id} map[http.method:GET http.status_code:200 sampler.param:true sampler.type:const span.kind:server]
}

// A request from a jaeger-client-go service continues here, and the call
// onward carries both formats: services on any backend continue it.
func ExampleBackend_Inject() {
	b, err := jaegerbackend.New(jaegerbackend.WithServiceName("calendar"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(true)), jaegerbackend.WithReporter(jaeger.NewNullReporter()))
	if err != nil {
		log.Fatal(err)
	}
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())

	in := http.Header{}
	in.Set("Uber-Trace-Id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
	in.Set("Uberctx-Tenant", "acme")
	ctx := tr.Extract(context.Background(), tracing.HeaderCarrier(in))
	ctx, sp := tr.Start(ctx, "GET /calendar", tracing.WithKind(tracing.SpanKindServer))
	defer sp.End()

	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	fmt.Println("uber-trace-id:", strings.Split(out.Get("Uber-Trace-Id"), ":")[0])
	fmt.Println("traceparent:  ", out.Get("Traceparent")[:35])
	fmt.Println("uberctx-tenant:", out.Get("Uberctx-Tenant"), " baggage:", out.Get("Baggage"))
	// Output:
	// uber-trace-id: 4bf92f3577b34da6a3ce929d0e0e4736
	// traceparent:   00-4bf92f3577b34da6a3ce929d0e0e4736
	// uberctx-tenant: acme  baggage: tenant=acme
}
