package tracechi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleMiddleware() {
	rec := tracingtest.NewRecorder() // any backend; the recorder keeps spans in memory
	r := chi.NewRouter()
	r.Use(tracechi.Middleware(tracechi.WithTracer(rec.Tracer())))
	r.Get("/notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%s}`, chi.URLParam(r, "id"))
	})
	r.Route("/api", func(r chi.Router) {
		r.Delete("/notes/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	})

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/notes/7", nil),
		httptest.NewRequest("DELETE", "/api/notes/7", nil),
		httptest.NewRequest("GET", "/nothing/here", nil),
	} {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	for _, s := range rec.Spans() {
		fmt.Printf("%s | route=%q status=%s\n", s.Name, s.AttrString("http.route"), s.AttrString("http.response.status_code"))
	}
	// Output:
	// GET /notes/{id} | route="/notes/{id}" status=200
	// DELETE /api/notes/{id} | route="/api/notes/{id}" status=204
	// GET | route="" status=404
}
