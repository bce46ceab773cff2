package httpkittest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Route is a route the suite registers. Path uses ServeMux syntax without
// the method ("/notes/{id}"); adapters translate it to their framework's.
type Route struct {
	Method  string
	Path    string
	Handler http.HandlerFunc
}

// Adapter is what an adapter package gives RunServerSuite.
type Adapter struct {
	// New returns the framework's router serving routes, with the
	// adapter's middleware installed as its users install it and
	// configured by opts.
	New func(routes []Route, opts ...httpkit.Option) http.Handler
	// Bare returns the same router without the middleware: the baseline
	// of the allocation test.
	Bare func(routes []Route) http.Handler
	// Route converts a suite path ("/notes/{id}") to the route template
	// the framework reports ("/notes/:id").
	Route func(path string) string
}

// ErrBoom is what the panic route panics with.
var ErrBoom = errors.New("boom")

// Handlers of the standard routes. They are named functions so that the
// panic test can find them on the recorded stack.

// NoteHandler writes a 4-byte body with a Content-Type and a Set-Cookie,
// and reports the ids of the span in its context in response headers.
func NoteHandler(w http.ResponseWriter, r *http.Request) {
	sc := tracing.SpanFromContext(r.Context()).SpanContext()
	w.Header().Set("X-Test-Trace-Id", sc.TraceID().String())
	w.Header().Set("X-Test-Span-Id", sc.SpanID().String())
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Set-Cookie", "sid=s3cr3t")
	_, _ = io.WriteString(w, "note")
}

// PanicHandler panics with ErrBoom.
func PanicHandler(http.ResponseWriter, *http.Request) { panic(ErrBoom) }

func panicValueHandler(http.ResponseWriter, *http.Request) { panic("kaboom") }

func abortHandler(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

// doubleHeader writes its status twice, which net/http would log as a
// superfluous WriteHeader call if a wrapper passed it on.
func doubleHeader(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusCreated)
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, "created")
}

func controllerHandler(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
		_, _ = io.WriteString(w, "SetWriteDeadline: "+err.Error())
		return
	}
	if err := rc.Flush(); err != nil {
		_, _ = io.WriteString(w, "Flush: "+err.Error())
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// childHandler starts a child span with tr (or the default tracer).
func childHandler(tr *tracing.Tracer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := tracing.Start
		if tr != nil {
			start = tr.Start
		}
		_, child := start(r.Context(), "child")
		child.End()
		NoteHandler(w, r)
	}
}

// StandardRoutes are the routes most tests use; tr is the tracer the
// child span is started on (nil: the default tracer).
func StandardRoutes(tr *tracing.Tracer, extra ...Route) []Route {
	return append([]Route{
		{"GET", "/notes/{id}", NoteHandler},
		{"GET", "/child/{id}", childHandler(tr)},
		{"POST", "/notes", status(http.StatusCreated)},
		{"GET", "/fail", status(http.StatusInternalServerError)},
		{"GET", "/teapot", status(http.StatusTeapot)},
		{"GET", "/panic", PanicHandler},
		{"GET", "/panic-value", panicValueHandler},
		{"GET", "/abort", abortHandler},
		{"GET", "/health", status(http.StatusOK)},
		{"GET", "/double", doubleHeader},
		{"GET", "/controller", controllerHandler},
	}, extra...)
}

// Server is a test server with its error log captured and the values of
// panics that reach net/http recorded.
type Server struct {
	URL    string
	Client *http.Client
	Log    *LogBuffer
	srv    *httptest.Server

	mu     sync.Mutex
	panics []any
}

// StartServer serves h. The client does not keep connections alive, so
// that it never retries a request on a reused connection. When the test
// ends, the server is closed and its log checked for superfluous
// WriteHeader warnings.
func StartServer(t testing.TB, h http.Handler) *Server {
	s := &Server{Log: &LogBuffer{}}
	spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.mu.Lock()
				s.panics = append(s.panics, v)
				s.mu.Unlock()
				panic(v)
			}
		}()
		h.ServeHTTP(w, r)
	})
	s.srv = httptest.NewUnstartedServer(spy)
	s.srv.Config.ErrorLog = log.New(s.Log, "", 0)
	s.srv.Start()
	s.URL = s.srv.URL
	tr := &http.Transport{DisableKeepAlives: true}
	s.Client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.srv.Close()
		if strings.Contains(s.Log.String(), "superfluous") {
			t.Errorf("server logged a superfluous WriteHeader call:\n%s", s.Log.String())
		}
	})
	return s
}

// Panics returns the panic values that reached net/http.
func (s *Server) Panics() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]any(nil), s.panics...)
}

// Addr returns the server's host and port.
func (s *Server) Addr() (host string, port int) {
	return httpkit.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
}

// Do sends a request and returns the response with its body read.
func (s *Server) Do(t testing.TB, method, path string, hdr http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, string(b)
}

// DoErr sends a request that is expected to fail (the handler panics).
func (s *Server) DoErr(t testing.TB, method, path string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	resp, err := s.Client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Fatalf("%s %s: got status %d, want the connection aborted", method, path, resp.StatusCode)
	}
}

// Traceparent returns a W3C traceparent with fresh ids, and the ids.
func Traceparent(sampled bool) (string, tracing.TraceID, tracing.SpanID) {
	tid := tracing.TraceIDFromUint64s(uint64(time.Now().UnixNano()), uint64(nextID()))
	sid := tracing.SpanIDFromUint64(uint64(nextID()))
	flags := "00"
	if sampled {
		flags = "01"
	}
	return "00-" + tid.String() + "-" + sid.String() + "-" + flags, tid, sid
}

var (
	idMu sync.Mutex
	id   uint64 = 0x1000
)

func nextID() uint64 {
	idMu.Lock()
	defer idMu.Unlock()
	id++
	return id
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// RunServerSuite checks an adapter's server spans on every backend in
// Backends: names, kinds, trace continuation, attributes, status rules,
// panics, malformed and huge headers, unknown methods, every option,
// concurrency, streaming, hijacking, and that the unsampled path
// allocates nothing of its own.
func RunServerSuite(t *testing.T, a Adapter) {
	tests := []struct {
		name string
		f    func(t *testing.T, a Adapter, e *Env)
	}{
		{"SpanShape", testSpanShape},
		{"TraceContinuation", testTraceContinuation},
		{"UnsampledParent", testUnsampledParent},
		{"Unmatched", testUnmatched},
		{"StatusRules", testStatusRules},
		{"Panic", testPanic},
		{"MalformedTraceHeaders", testMalformedHeaders},
		{"UnknownMethod", testUnknownMethod},
		{"Filter", testFilter},
		{"Namers", testNamers},
		{"Service", testService},
		{"Headers", testHeaders},
		{"PublicEndpoint", testPublicEndpoint},
		{"Propagator", testPropagator},
		{"TraceIDResponseHeader", testTraceIDHeader},
		{"QueryKeys", testQueryKeys},
		{"Concurrent", testConcurrent},
		{"ServerSentEvents", testSSE},
		{"Hijack", testHijack},
		{"WriterCapabilities", testWriterCapabilities},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Each(t, func(t *testing.T, e *Env) { tc.f(t, a, e) })
		})
	}
	t.Run("DefaultTracerAtRequestTime", func(t *testing.T) { testDefaultTracer(t, a) })
	t.Run("UnsampledPathAllocatesNothing", func(t *testing.T) { testAllocs(t, a) })
}

func testSpanShape(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	resp, body := s.Do(t, "GET", "/child/42?token=s3cr3t&x=1", hdr("User-Agent", "suite/1.0"))
	if resp.StatusCode != 200 || body != "note" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	spans := e.SpansExactly(t, 2)
	srv := One(t, spans, tracing.SpanKindServer)
	child := One(t, spans, tracing.SpanKindInternal)
	route := a.Route("/child/{id}")
	e.WantName(t, srv, "GET "+route, "GET "+route)
	if srv.Type != tracing.TypeWeb {
		t.Errorf("type %q, want %q", srv.Type, tracing.TypeWeb)
	}
	host, port := s.Addr()
	e.WantAttr(t, srv, httpkit.KeyMethod, tracing.StringValue("GET"))
	e.WantAttr(t, srv, httpkit.KeyRoute, tracing.StringValue(route))
	e.WantAttr(t, srv, httpkit.KeyStatusCode, tracing.Int64Value(200))
	e.WantAttr(t, srv, httpkit.KeyURLPath, tracing.StringValue("/child/42"))
	e.WantAttr(t, srv, httpkit.KeyURLScheme, tracing.StringValue("http"))
	e.WantAttr(t, srv, httpkit.KeyServerAddress, tracing.StringValue(host))
	e.WantAttr(t, srv, httpkit.KeyServerPort, tracing.Int64Value(int64(port)))
	e.WantAttr(t, srv, httpkit.KeyClientAddress, tracing.StringValue("127.0.0.1"))
	e.WantAttr(t, srv, httpkit.KeyUserAgent, tracing.StringValue("suite/1.0"))
	e.WantAttr(t, srv, httpkit.KeyProtoVersion, tracing.StringValue("1.1"))
	e.WantAttr(t, srv, httpkit.KeyRespBodySize, tracing.Int64Value(4))
	e.NoAttr(t, srv, httpkit.KeyURLQuery)
	e.NoAttr(t, srv, httpkit.KeyMethodOriginal)
	e.NoAttr(t, srv, httpkit.KeyErrorType)
	if srv.Status != tracing.StatusUnset || !srv.IsRoot() || !srv.Sampled {
		t.Errorf("status %v, root %v, sampled %v; want unset, root, sampled", srv.Status, srv.IsRoot(), srv.Sampled)
	}
	if child.TraceID != srv.TraceID || child.ParentID != srv.SpanID {
		t.Errorf("handler's span is not a child of the server span")
	}
	if got := resp.Header.Get("X-Test-Span-Id"); got != srv.SpanID.String() {
		t.Errorf("handler's context carries span %s, want the server span %s", got, srv.SpanID)
	}
	if ContainsValue(spans, "s3cr3t") {
		t.Errorf("a query value or cookie was recorded: %+v", spans)
	}
	if len(resp.Header.Values("X-Trace-Id")) != 0 || len(resp.Header.Values("Traceresponse")) != 0 {
		t.Errorf("trace id response header sent by default")
	}
	if srv.End.Before(srv.Start) {
		t.Errorf("span ends before it starts")
	}
}

func testTraceContinuation(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	tp, tid, sid := Traceparent(true)
	resp, _ := s.Do(t, "GET", "/notes/1", hdr("traceparent", tp, "tracestate", "vendor=x"))
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	if srv.TraceID != tid || srv.ParentID != sid || !srv.Sampled {
		t.Errorf("server span trace %s parent %s sampled %v; want %s %s true", srv.TraceID, srv.ParentID, srv.Sampled, tid, sid)
	}
	if got := resp.Header.Get("X-Test-Trace-Id"); got != tid.String() {
		t.Errorf("handler saw trace %s, want %s", got, tid)
	}
}

func testUnsampledParent(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	tp, tid, _ := Traceparent(false)
	resp, body := s.Do(t, "GET", "/notes/1", hdr("traceparent", tp))
	if resp.StatusCode != 200 || body != "note" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Test-Trace-Id"); got != tid.String() {
		t.Errorf("handler saw trace %s, want the unsampled caller's %s (propagation must go on)", got, tid)
	}
	// Make sure the server span would have ended by now.
	s.Do(t, "GET", "/notes/2", nil)
	want := 1
	if e.Map.ExportsUnsampled {
		want = 2
	}
	spans := e.SpansExactly(t, want)
	for _, sp := range spans {
		switch {
		case sp.TraceID != tid:
		case sp.Sampled:
			t.Errorf("span of an unsampled trace exported as sampled: %+v", sp)
		case !e.Map.ExportsUnsampled:
			t.Errorf("span of an unsampled trace exported: %+v", sp)
		case sp.ParentID.String() != strings.Split(tp, "-")[2]:
			t.Errorf("unsampled span sent with parent %s, want the caller's (%s)", sp.ParentID, tp)
		}
	}
}

func testUnmatched(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	resp, _ := s.Do(t, "GET", "/no/such/route/123", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	e.WantName(t, srv, "GET", "GET") // the fixed name of unmatched routes
	e.NoAttr(t, srv, httpkit.KeyRoute)
	e.WantAttr(t, srv, httpkit.KeyStatusCode, tracing.Int64Value(404))
	e.WantAttr(t, srv, httpkit.KeyURLPath, tracing.StringValue("/no/such/route/123"))
	if srv.Status != tracing.StatusUnset {
		t.Errorf("404 marked the span %v", srv.Status)
	}
}

func testStatusRules(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	n := 0
	for _, c := range []struct {
		path, method string
		status       int
		failed       bool
	}{
		{"/fail", "GET", 500, true},
		{"/teapot", "GET", 418, false},
		{"/notes", "POST", 201, false},
		{"/double", "GET", 0, false},
	} {
		n++
		resp, _ := s.Do(t, c.method, c.path, nil)
		if c.status == 0 {
			c.status = resp.StatusCode // whatever the framework sent
			c.failed = c.status >= 500
		} else if resp.StatusCode != c.status {
			t.Fatalf("%s: status %d, want %d", c.path, resp.StatusCode, c.status)
		}
		want := c.method + " " + a.Route(c.path)
		var srv tracingtest.SpanData
		for _, sp := range e.Spans(t, n) {
			if sp.Name == want {
				srv = sp
			}
		}
		if srv.Name == "" {
			t.Fatalf("no span named %q", want)
		}
		e.WantAttr(t, srv, httpkit.KeyStatusCode, tracing.Int64Value(int64(c.status)))
		if got := srv.Status == tracing.StatusError; got != c.failed {
			t.Errorf("%s (%d): failed %v, want %v", c.path, c.status, got, c.failed)
		}
		if c.failed {
			e.WantAttr(t, srv, httpkit.KeyErrorType, tracing.StringValue(fmt.Sprint(c.status)))
		} else {
			e.NoAttr(t, srv, httpkit.KeyErrorType)
		}
	}
}

func testPanic(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	s.DoErr(t, "GET", "/panic")
	s.DoErr(t, "GET", "/panic-value")
	s.DoErr(t, "GET", "/abort")
	spans := e.SpansExactly(t, 3)

	panics := s.Panics()
	if len(panics) != 3 || panics[0] != ErrBoom || panics[1] != "kaboom" || panics[2] != http.ErrAbortHandler { //nolint:errorlint // identity is the point
		t.Errorf("values re-raised to net/http: %#v; want ErrBoom, \"kaboom\", http.ErrAbortHandler unchanged", panics)
	}
	if l := s.Log.String(); !strings.Contains(l, "boom") || !strings.Contains(l, "kaboom") {
		t.Errorf("net/http did not log the re-raised panics:\n%s", l)
	}

	byName := map[string]tracingtest.SpanData{}
	for _, sp := range spans {
		byName[sp.Name] = sp
	}
	p := byName["GET "+a.Route("/panic")]
	if p.Status != tracing.StatusError || p.ErrorType != "*errors.errorString" || p.ErrorMessage != "boom" {
		t.Errorf("panic span: status %v, error %q %q; want error *errors.errorString boom", p.Status, p.ErrorType, p.ErrorMessage)
	}
	if first, _, _ := strings.Cut(p.ErrorStack, "\n"); !strings.HasSuffix(first, "httpkittest.PanicHandler") {
		t.Errorf("recorded stack does not start at the panicking handler:\n%s", p.ErrorStack)
	}
	e.WantAttr(t, p, httpkit.KeyErrorType, tracing.StringValue("*errors.errorString"))
	e.NoAttr(t, p, httpkit.KeyStatusCode)

	v := byName["GET "+a.Route("/panic-value")]
	if v.Status != tracing.StatusError || v.ErrorType != "string" || v.ErrorMessage != "kaboom" || v.ErrorStack == "" {
		t.Errorf("panic(string) span: status %v, error %q %q, stack %d bytes", v.Status, v.ErrorType, v.ErrorMessage, len(v.ErrorStack))
	}

	ab := byName["GET "+a.Route("/abort")]
	if ab.Name == "" {
		t.Fatalf("no span for the aborted request: %v", Names(spans))
	}
	if ab.Status == tracing.StatusError || ab.ErrorType != "" {
		t.Errorf("http.ErrAbortHandler recorded as an error: status %v, error %q", ab.Status, ab.ErrorType)
	}
}

func testMalformedHeaders(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	tid := "4bf92f3577b34da6a3ce929d0e0e4736"
	sid := "00f067aa0ba902b7"
	cases := []http.Header{
		hdr("traceparent", "garbage"),
		hdr("traceparent", "00-"+strings.ToUpper(tid)+"-"+sid+"-01"),
		hdr("traceparent", "00-00000000000000000000000000000000-"+sid+"-01"),
		hdr("traceparent", "ff-"+tid+"-"+sid+"-01"),
		hdr("traceparent", "00-"+tid+"-"+sid+"-01", "traceparent", "00-"+tid+"-"+sid+"-01"),
		hdr("traceparent", "00-"+tid+"-"+sid),
		hdr("traceparent", "00-"+tid+strings.Repeat("a", 64<<10)+"-"+sid+"-01"),
		hdr("traceparent", "00-"+tid+"-"+sid+"-01x"),
		hdr("traceparent", "00-zz-"+sid+"-01", "tracestate", strings.Repeat("k=v,", 20000)),
		hdr("baggage", strings.Repeat("k=v;p=%zz,", 8000)),
		hdr("traceparent", strings.Repeat("-", 100000)),
	}
	for i, h := range cases {
		resp, body := s.Do(t, "GET", "/notes/1", h)
		if resp.StatusCode != 200 || body != "note" {
			t.Fatalf("case %d: served %d %q", i, resp.StatusCode, body)
		}
	}
	spans := e.SpansExactly(t, len(cases))
	for i, sp := range spans {
		if sp.TraceID.String() == tid || !sp.IsRoot() {
			t.Errorf("span %d continued a malformed trace context: trace %s parent %s", i, sp.TraceID, sp.ParentID)
		}
	}
}

func testUnknownMethod(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	s.Do(t, "PURGE", "/notes/1", nil)
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	if srv.Name != "HTTP" && srv.Name != "HTTP "+a.Route("/notes/{id}") {
		t.Errorf("name %q, want HTTP (or HTTP with the route)", srv.Name)
	}
	e.WantAttr(t, srv, httpkit.KeyMethod, tracing.StringValue("_OTHER"))
	e.WantAttr(t, srv, httpkit.KeyMethodOriginal, tracing.StringValue("PURGE"))
	if srv.Status == tracing.StatusError {
		t.Errorf("unknown method failed the span")
	}
}

func testFilter(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer),
		httpkit.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/health" })))
	if resp, _ := s.Do(t, "GET", "/health", nil); resp.StatusCode != 200 {
		t.Fatalf("filtered request answered %d", resp.StatusCode)
	}
	s.Do(t, "GET", "/notes/1", nil)
	spans := e.SpansExactly(t, 1)
	if spans[0].Name != "GET "+a.Route("/notes/{id}") {
		t.Errorf("spans %v; want only the /notes one", Names(spans))
	}
}

func testNamers(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer),
		httpkit.WithSpanNamer(func(r *http.Request, route string) string { return "custom " + r.Method + " " + route }),
		httpkit.WithResourceNamer(func(r *http.Request, _ string) string { return r.Method + " " + r.URL.Path })))
	s.Do(t, "GET", "/notes/7", nil)
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	e.WantName(t, srv, "custom GET "+a.Route("/notes/{id}"), "GET /notes/7")
}

func testService(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer), httpkit.WithService("notes-api")))
	s.Do(t, "GET", "/notes/7", nil)
	if srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer); srv.Service != "notes-api" {
		t.Errorf("service %q, want notes-api", srv.Service)
	}
}

func testHeaders(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer),
		httpkit.WithRequestHeaders("x-request-id", "Authorization", "Cookie", "X-Session-Token", "X-Absent", "X-Multi"),
		httpkit.WithResponseHeaders("Content-Type", "Set-Cookie")))
	s.Do(t, "GET", "/notes/7", hdr("X-Request-Id", "req-1", "Authorization", "Bearer s3cr3t", "Cookie", "sid=s3cr3t",
		"X-Session-Token", "s3cr3t", "X-Multi", "a", "X-Multi", "b"))
	spans := e.SpansExactly(t, 1)
	srv := spans[0]
	sl := tracing.StringSliceValue
	e.WantAttr(t, srv, "http.request.header.x-request-id", sl([]string{"req-1"}))
	e.WantAttr(t, srv, "http.request.header.x-multi", sl([]string{"a", "b"}))
	e.WantAttr(t, srv, "http.request.header.authorization", sl([]string{"REDACTED"}))
	e.WantAttr(t, srv, "http.request.header.cookie", sl([]string{"REDACTED"}))
	e.WantAttr(t, srv, "http.request.header.x-session-token", sl([]string{"REDACTED"}))
	e.NoAttr(t, srv, "http.request.header.x-absent")
	e.WantAttr(t, srv, "http.response.header.content-type", sl([]string{"text/plain"}))
	e.WantAttr(t, srv, "http.response.header.set-cookie", sl([]string{"REDACTED"}))
	if ContainsValue(spans, "s3cr3t") {
		t.Errorf("a credential was recorded: %v", srv.Attrs)
	}
}

func testPublicEndpoint(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer), httpkit.WithPublicEndpoint()))
	tp, tid, sid := Traceparent(true)
	s.Do(t, "GET", "/notes/1", hdr("traceparent", tp))
	s.Do(t, "GET", "/notes/2", nil)
	spans := e.SpansExactly(t, 2)
	for _, sp := range spans {
		if !sp.IsRoot() || sp.TraceID == tid {
			t.Errorf("public endpoint span joined the caller's trace: trace %s parent %s", sp.TraceID, sp.ParentID)
		}
	}
	linked := 0
	for _, sp := range spans {
		for _, l := range sp.Links {
			if l.TraceID == tid && l.SpanID == sid {
				linked++
			}
		}
	}
	if linked != 1 {
		t.Errorf("%d spans link to the caller, want 1: %+v", linked, spans)
	}
}

// headerPropagator reads a traceparent from X-Custom-Traceparent.
type headerPropagator struct{}

func (headerPropagator) Inject(ctx context.Context, c tracing.Carrier) {
	if sc := tracing.SpanFromContext(ctx).SpanContext(); sc.IsValid() {
		c.Set("X-Custom-Traceparent", sc.Traceparent())
	}
}

func (headerPropagator) Extract(ctx context.Context, c tracing.Carrier) context.Context {
	if sc, ok := tracing.ParseTraceparent(c.Get("X-Custom-Traceparent")); ok {
		return tracing.ContextWithRemoteSpanContext(ctx, sc)
	}
	return ctx
}

func (headerPropagator) Fields() []string { return []string{"X-Custom-Traceparent"} }

// CustomPropagator returns a propagator that uses the X-Custom-Traceparent
// header only.
func CustomPropagator() tracing.Propagator { return headerPropagator{} }

func testPropagator(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer), httpkit.WithPropagator(CustomPropagator())))
	custom, tid, sid := Traceparent(true)
	w3c, _, _ := Traceparent(true)
	s.Do(t, "GET", "/notes/1", hdr("X-Custom-Traceparent", custom, "traceparent", w3c))
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	if srv.TraceID != tid || srv.ParentID != sid {
		t.Errorf("span continued %s/%s, want the custom header's %s/%s", srv.TraceID, srv.ParentID, tid, sid)
	}
}

func testTraceIDHeader(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer), httpkit.WithTraceIDResponseHeader("X-Trace-Id")))
	resp, _ := s.Do(t, "GET", "/notes/1", nil)
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	if got, want := resp.Header.Get("X-Trace-Id"), e.TraceIDString(srv.TraceID); got != want {
		t.Errorf("X-Trace-Id %q, want %s (trace %s)", got, want, srv.TraceID)
	}
}

func testQueryKeys(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer), httpkit.WithQueryKeys(true)))
	s.Do(t, "GET", "/notes/1?token=s3cr3t&page=2&empty=&flag", nil)
	spans := e.SpansExactly(t, 1)
	e.WantAttr(t, spans[0], httpkit.KeyURLQuery, tracing.StringValue("token=REDACTED&page=REDACTED&empty=REDACTED&flag=REDACTED"))
	if ContainsValue(spans, "s3cr3t") {
		t.Errorf("query value recorded")
	}
}

func testConcurrent(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	const workers, each = 16, 4
	want := map[tracing.SpanID]tracing.TraceID{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				tp, tid, sid := Traceparent(true)
				mu.Lock()
				want[sid] = tid
				mu.Unlock()
				resp, body := s.Do(t, "GET", "/notes/1", hdr("traceparent", tp))
				if resp.StatusCode != 200 || body != "note" {
					t.Errorf("got %d %q", resp.StatusCode, body)
				}
			}
		})
	}
	wg.Wait()
	spans := e.SpansExactly(t, workers*each)
	for _, sp := range spans {
		if tid, ok := want[sp.ParentID]; !ok || tid != sp.TraceID {
			t.Errorf("span %s has parent %s in trace %s: not one of the requests' callers", sp.SpanID, sp.ParentID, sp.TraceID)
		}
		delete(want, sp.ParentID)
	}
	if len(want) != 0 {
		t.Errorf("%d requests have no span", len(want))
	}
}

func testSSE(t *testing.T, a Adapter, e *Env) {
	release := make(chan struct{})
	waited := make(chan bool, 1)
	sse := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
			waited <- true
		case <-time.After(10 * time.Second):
			waited <- false // the client never saw the first event
		}
		_, _ = io.WriteString(w, "data: 2\n\n")
	}
	s := StartServer(t, a.New(StandardRoutes(e.Tracer, Route{"GET", "/events", sse}), httpkit.WithTracer(e.Tracer)))
	resp, err := s.Client.Get(s.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "data: 1\n" {
		t.Fatalf("first event %q, %v", first, err)
	}
	close(release)
	if !<-waited {
		t.Fatal("the first event was not delivered before the handler finished: the response is buffered")
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: 2\n\n" {
		t.Errorf("rest of stream %q", rest)
	}
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	e.WantAttr(t, srv, httpkit.KeyStatusCode, tracing.Int64Value(200))
}

func testHijack(t *testing.T, a Adapter, e *Env) {
	ws := func(w http.ResponseWriter, _ *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo: " + line)
		_ = brw.Flush()
	}
	s := StartServer(t, a.New(StandardRoutes(e.Tracer, Route{"GET", "/ws", ws}), httpkit.WithTracer(e.Tracer)))
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade response %v, %v", resp, err)
	}
	_, _ = io.WriteString(conn, "ping\n")
	if got, _ := br.ReadString('\n'); got != "echo: ping\n" {
		t.Fatalf("echo %q", got)
	}
	srv := One(t, e.SpansExactly(t, 1), tracing.SpanKindServer)
	if srv.Status == tracing.StatusError || srv.Name != "GET "+a.Route("/ws") {
		t.Errorf("hijacked request span %q status %v", srv.Name, srv.Status)
	}
}

func testWriterCapabilities(t *testing.T, a Adapter, e *Env) {
	s := StartServer(t, a.New(StandardRoutes(e.Tracer), httpkit.WithTracer(e.Tracer)))
	resp, body := s.Do(t, "GET", "/controller", nil)
	if resp.StatusCode != 200 || body != "ok" {
		t.Errorf("http.ResponseController through the middleware: %d %q", resp.StatusCode, body)
	}
	e.SpansExactly(t, 1)
}

func testDefaultTracer(t *testing.T, a Adapter) {
	h := a.New(StandardRoutes(nil)) // built before the default is set
	rec := tracingtest.Install(t)
	s := StartServer(t, h)
	s.Do(t, "GET", "/child/1", nil)
	spans := rec.WaitForSpans(2, 5*time.Second)
	if len(spans) != 2 {
		t.Fatalf("default tracer got %d spans, want 2: the middleware must look the default up per request", len(spans))
	}
}

// discardWriter is a ResponseWriter that allocates nothing.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

func testAllocs(t *testing.T, a Adapter) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts are only meaningful without -race and -cover")
	}
	routes := []Route{{"GET", "/notes/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }}}
	count := func(h http.Handler, traceparent string) float64 {
		w := &discardWriter{h: http.Header{}}
		r := httptest.NewRequest("GET", "/notes/1", nil)
		if traceparent != "" {
			r.Header.Set("Traceparent", traceparent)
		}
		return testing.AllocsPerRun(500, func() {
			clear(w.h)
			h.ServeHTTP(w, r)
		})
	}
	bare := a.Bare(routes)
	none := tracing.New(tracing.NoopBackend())
	rec := tracingtest.NewRecorder()
	sampledOut, _, _ := Traceparent(false)
	sampledIn, _, _ := Traceparent(true)
	base := count(bare, "")
	for _, c := range []struct {
		name        string
		h           http.Handler
		traceparent string
		extra       float64
		why         string
	}{
		{"none", a.New(routes, httpkit.WithTracer(none)), "", 0, "nothing to do"},
		{"default-none", a.New(routes), "", 0, "nothing to do"},
		{"none+traceparent", a.New(routes, httpkit.WithTracer(none)), sampledIn, 2,
			"the extracted remote context (tracing) and the request copy carrying it to the handler"},
		{"unsampled", a.New(routes, httpkit.WithTracer(rec.Tracer())), sampledOut, 3,
			"the extracted remote context (tracing), the backend's non-recording span, and the request copy"},
	} {
		got := count(c.h, c.traceparent) - base
		t.Logf("%s: %v allocations over the bare router (%v)", c.name, got, base)
		if got != c.extra {
			t.Errorf("%s: the middleware adds %v allocations per request, want %v (%s)", c.name, got, c.extra, c.why)
		}
	}
	if n := len(rec.Spans()); n != 0 {
		t.Errorf("unsampled requests recorded %d spans", n)
	}
}
