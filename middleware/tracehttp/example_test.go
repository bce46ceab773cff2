package tracehttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleHandler() {
	rec := tracingtest.NewRecorder() // any backend; the recorder keeps spans in memory
	mux := http.NewServeMux()
	mux.HandleFunc("GET /notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%s}`, r.PathValue("id"))
	})
	h := tracehttp.Handler(mux, tracehttp.WithTracer(rec.Tracer()))

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes/7?secret=x", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nothing/here", nil))

	for _, s := range rec.Spans() {
		fmt.Printf("%s | kind=%s type=%s resource=%q status=%s path=%s\n", s.Name, s.Kind, s.Type, s.Resource,
			s.AttrString("http.response.status_code"), s.AttrString("url.path"))
	}
	// Output:
	// GET /notes/{id} | kind=server type=web resource="GET /notes/{id}" status=200 path=/notes/7
	// GET | kind=server type=web resource="GET" status=404 path=/nothing/here
}

func ExampleWrapClient() {
	rec := tracingtest.NewRecorder()
	calendar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "traceparent sent: %v", r.Header.Get("Traceparent") != "")
	}))
	defer calendar.Close()

	client := tracehttp.WrapClient(calendar.Client(),
		tracehttp.WithTracer(rec.Tracer()),
		// Datadog's tutorial names client resources "METHOD path".
		tracehttp.WithResourceNamer(func(r *http.Request, _ string) string { return r.Method + " " + r.URL.Path }))

	ctx, parent := rec.Tracer().Start(context.Background(), "CreateNote")
	req, _ := http.NewRequestWithContext(ctx, "GET", calendar.URL+"/calendar?day=1", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close() // ends the client span
	parent.End()

	fmt.Println(string(body))
	s, _ := rec.Span("GET")
	fmt.Printf("%s | kind=%s type=%s resource=%q status=%s child of CreateNote: %v\n", s.Name, s.Kind, s.Type, s.Resource,
		s.AttrString("http.response.status_code"), s.ParentID == parent.SpanContext().SpanID())
	// Output:
	// traceparent sent: true
	// GET | kind=client type=http resource="GET /calendar" status=200 child of CreateNote: true
}

func ExampleWithFilter() {
	rec := tracingtest.NewRecorder()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /notes", func(http.ResponseWriter, *http.Request) {})
	h := tracehttp.Handler(mux,
		tracehttp.WithTracer(rec.Tracer()),
		tracehttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/health" }))

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/health", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes", nil))
	for _, s := range rec.Spans() {
		fmt.Println(s.Name)
	}
	// Output: GET /notes
}
