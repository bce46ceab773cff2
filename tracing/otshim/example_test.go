package otshim_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otshim"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// loadNote is legacy code, written against OpenTracing and left as it is.
func loadNote(ctx context.Context, id int) {
	sp, _ := opentracing.StartSpanFromContext(ctx, "load-note", ext.SpanKindRPCClient)
	defer sp.Finish()
	ext.DBStatement.Set(sp, "SELECT * FROM notes WHERE id = ?")
	sp.SetTag("note.id", id)
}

// One line makes OpenTracing call sites record facade spans, nested under
// the facade's spans, on whatever backend runs (here the in-memory
// recorder).
func Example() {
	rec := tracingtest.NewRecorder()
	prev := tracing.Default()
	tracing.SetDefault(rec.Tracer())
	defer tracing.SetDefault(prev)
	prevOT := opentracing.GlobalTracer()
	defer opentracing.SetGlobalTracer(prevOT)

	opentracing.SetGlobalTracer(otshim.New())

	ctx, handler := tracing.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer))
	loadNote(ctx, 7)
	handler.End()

	for _, s := range rec.Spans() {
		fmt.Printf("%s (%s) child of the handler: %v\n", s.Name, s.Kind, s.ParentID == handler.SpanContext().SpanID())
		if q := s.AttrString("db.query.text"); q != "" {
			fmt.Println("  db.query.text:", q, " note.id:", s.AttrString("note.id"))
		}
	}
	// Output:
	// load-note (client) child of the handler: true
	//   db.query.text: SELECT * FROM notes WHERE id = ?  note.id: 7
	// GET /notes/{id} (server) child of the handler: false
}

// Inject and Extract use the backend's formats: W3C trace context here.
func ExampleTracer_Inject() {
	rec := tracingtest.NewRecorder()
	shim := otshim.New(otshim.WithTracer(rec.Tracer()))
	sp := shim.StartSpan("client")
	defer sp.Finish()

	h := http.Header{}
	if err := shim.Inject(sp.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		fmt.Println(err)
	}
	wire, err := shim.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		fmt.Println(err)
	}
	remote, _ := otshim.SpanContext(wire)
	local, _ := otshim.SpanContext(sp.Context())
	fmt.Println(h.Get("traceparent") == local.Traceparent(), remote.IsRemote(), remote.SpanID() == local.SpanID())
	// Output: true true true
}
