package ddbackend_test

import (
	"context"
	"fmt"
	"log"

	ddtracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// The backend registered as "datadog": a server span and a database span,
// as Datadog receives them.
func Example() {
	agent := ddtest.Start(ddtest.Config{}) // stands in for the Datadog agent
	defer agent.Close()

	tracer, err := tracing.Open(context.Background(), "datadog",
		tracing.WithServiceName("notes"), tracing.WithEnvironment("prod"),
		tracing.WithBackendOptions(ddbackend.WithAgentURL(agent.URL())))
	if err != nil {
		log.Fatal(err)
	}

	ctx, server := tracer.Start(context.Background(), "GET /notes/{id}",
		tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.String("http.route", "/notes/{id}")))
	_, query := tracer.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"),
		tracing.WithAttrs(tracing.String("db.system.name", "sqlite"), tracing.String("db.query.text", "SELECT * FROM notes WHERE id = ?")))
	query.End()
	server.SetAttrs(tracing.Int("http.response.status_code", 200))
	server.End()
	if err := tracer.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}

	for _, s := range agent.Spans() {
		fmt.Printf("service=%s env=%s operation=%s resource=%q type=%s status=%s\n",
			s.Service, s.Meta["env"], s.Name, s.Resource, s.Type, s.Meta["http.status_code"])
	}
	// Output:
	// service=notes env=prod operation=http.request resource="GET /notes/{id}" type=web status=200
	// service=db env=prod operation=sqlite.query resource="SELECT * FROM notes WHERE id = ?" type=sql status=
}

// dd-trace-go's own API, and its contrib packages, nest under facade spans.
func ExampleDDSpan() {
	agent := ddtest.Start(ddtest.Config{})
	defer agent.Close()
	b, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL()))
	if err != nil {
		log.Fatal(err)
	}
	tracer := tracing.New(b)

	ctx, parent := tracer.Start(context.Background(), "facade.parent")
	child, _ := ddtracer.StartSpanFromContext(ctx, "dd.child") // dd-trace-go's own API
	child.Finish()
	parentID := ddbackend.DDSpan(parent).Context().SpanID()
	parent.End()
	if err := tracer.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, s := range agent.Spans() {
		fmt.Printf("%s: child of the facade span: %v\n", s.Name, s.ParentID == parentID)
	}
	// Output:
	// facade.parent: child of the facade span: false
	// dd.child: child of the facade span: true
}

// Log correlation ids in Datadog's form.
func ExampleBackend_FormatIDs() {
	agent := ddtest.Start(ddtest.Config{})
	defer agent.Close()
	b, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL()))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Shutdown(context.Background())

	sc := tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(0x6b01fd4300000000, 1234567890123), SpanID: tracing.SpanIDFromUint64(42),
	})
	traceID, spanID := b.FormatIDs(sc)
	fmt.Printf("dd.trace_id=%s dd.span_id=%s\n", traceID, spanID)
	// Output:
	// dd.trace_id=1234567890123 dd.span_id=42
}
