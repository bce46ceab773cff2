package tracehttp_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
)

func mux(routes []httpkittest.Route) *http.ServeMux {
	m := http.NewServeMux()
	for _, r := range routes {
		m.HandleFunc(r.Method+" "+r.Path, r.Handler)
	}
	return m
}

var muxAdapter = httpkittest.Adapter{
	New: func(routes []httpkittest.Route, opts ...tracehttp.Option) http.Handler {
		return tracehttp.Handler(mux(routes), opts...)
	},
	Bare:  func(routes []httpkittest.Route) http.Handler { return mux(routes) },
	Route: func(p string) string { return p },
}

func TestServer(t *testing.T) { httpkittest.RunServerSuite(t, muxAdapter) }

// A handler registered on a mux, rather than the mux, is wrapped: the
// pattern is already known when the span starts.
func TestHandlerInsideMux(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		m := http.NewServeMux()
		var nameAtStart string
		m.Handle("GET example.com/calendar/{day}", tracehttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nameAtStart = r.Pattern
		}), tracehttp.WithTracer(e.Tracer)))
		m.Handle("/", tracehttp.Handler(http.NotFoundHandler(), tracehttp.WithTracer(e.Tracer)))
		r := httptest.NewRequest("GET", "http://example.com/calendar/monday", nil)
		m.ServeHTTP(httptest.NewRecorder(), r)
		m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://example.com/other", nil))
		spans := e.SpansExactly(t, 2)
		if spans[0].Name != "GET /calendar/{day}" || nameAtStart == "" {
			t.Errorf("name %q, want GET /calendar/{day} (host and method stripped)", spans[0].Name)
		}
		e.WantAttr(t, spans[0], httpkit.KeyRoute, tracing.StringValue("/calendar/{day}"))
		e.WantAttr(t, spans[0], httpkit.KeyServerAddress, tracing.StringValue("example.com"))
		if spans[1].Name != "GET /" {
			t.Errorf("catch-all named %q, want GET /", spans[1].Name)
		}
	})
}

// Writers that implement a subset of the optional interfaces.
type (
	plainWriter struct{ h http.Header }
	flushWriter struct{ plainWriter }
	fullWriter  struct{ flushWriter }
)

func (w *plainWriter) Header() http.Header         { return w.h }
func (w *plainWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *plainWriter) WriteHeader(int)             {}
func (w *flushWriter) Flush()                      {}
func (w *fullWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}
func (w *fullWriter) Push(string, *http.PushOptions) error { return nil }
func (w *fullWriter) ReadFrom(r io.Reader) (int64, error)  { return io.Copy(io.Discard, r) }

func TestWriterKeepsExactlyTheInterfaces(t *testing.T) {
	rec := tracingRecorder(t)
	for _, base := range []http.ResponseWriter{
		&plainWriter{h: http.Header{}},
		&flushWriter{plainWriter{h: http.Header{}}},
		&fullWriter{flushWriter{plainWriter{h: http.Header{}}}},
		httptest.NewRecorder(),
	} {
		var got http.ResponseWriter
		h := tracehttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got = w }), tracehttp.WithTracer(rec))
		h.ServeHTTP(base, httptest.NewRequest("GET", "/", nil))
		for _, c := range []struct {
			name string
			has  func(any) bool
		}{
			{"http.Flusher", func(x any) bool { _, ok := x.(http.Flusher); return ok }},
			{"http.Hijacker", func(x any) bool { _, ok := x.(http.Hijacker); return ok }},
			{"http.Pusher", func(x any) bool { _, ok := x.(http.Pusher); return ok }},
			{"io.ReaderFrom", func(x any) bool { _, ok := x.(io.ReaderFrom); return ok }},
		} {
			if c.has(got) != c.has(base) {
				t.Errorf("%T: wrapper has %s = %v, underlying %v", base, c.name, c.has(got), c.has(base))
			}
		}
		u, ok := got.(interface{ Unwrap() http.ResponseWriter })
		if !ok || u.Unwrap() != base {
			t.Errorf("%T: wrapper does not Unwrap to the underlying writer", base)
		}
	}
}

func tracingRecorder(t *testing.T) *tracing.Tracer {
	h := httpkittest.RecorderHarness(t)
	return tracing.New(h.Backend)
}

// The wrapper counts bytes however they are written, and the first write
// or flush implies 200.
func TestWriterCountsEveryWritePath(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		h := tracehttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("ab"))
			_, _ = io.WriteString(w, "cde")
			_, _ = w.(io.ReaderFrom).ReadFrom(strings.NewReader("fghi"))
			w.WriteHeader(http.StatusTeapot) // too late: not the status
		}), tracehttp.WithTracer(e.Tracer))
		s := httpkittest.StartServer(t, h)
		resp, body := s.Do(t, "GET", "/", nil)
		if resp.StatusCode != 200 || body != "abcdefghi" {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		sp := e.SpansExactly(t, 1)[0]
		e.WantAttr(t, sp, httpkit.KeyStatusCode, tracing.Int64Value(200))
		e.WantAttr(t, sp, httpkit.KeyRespBodySize, tracing.Int64Value(9))
	})
}

// Informational responses pass through and do not count as the status.
func TestInformationalStatus(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		h := tracehttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}), tracehttp.WithTracer(e.Tracer))
		s := httpkittest.StartServer(t, h)
		if resp, _ := s.Do(t, "GET", "/", nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("status %d", resp.StatusCode)
		}
		e.WantAttr(t, e.SpansExactly(t, 1)[0], httpkit.KeyStatusCode, tracing.Int64Value(202))
	})
}

func TestMiddlewareForm(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		mw := tracehttp.Middleware(tracehttp.WithTracer(e.Tracer))
		h := mw(mux([]httpkittest.Route{{Method: "GET", Path: "/x/{id}", Handler: httpkittest.NoteHandler}}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x/1", nil))
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), []byte("note")) {
			t.Fatalf("got %d %q", w.Code, w.Body)
		}
		if sp := e.SpansExactly(t, 1)[0]; sp.Name != "GET /x/{id}" {
			t.Errorf("name %q", sp.Name)
		}
	})
}
