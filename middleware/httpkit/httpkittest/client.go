package httpkittest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// RunClientSuite runs the client transport's tests (tracehttp.NewTransport, WrapClient)
// on every backend of Backends: span shape and options, status rules,
// transport errors, spans that end with the body, redirects and retries,
// protocol switches, concurrency, and propagation with tracing off.
func RunClientSuite(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"ClientSpanShape", clientSpanShape},
		{"ClientOptions", clientOptions},
		{"ClientStatusRules", clientStatusRules},
		{"ClientTransportError", clientTransportError},
		{"ClientSpanEndsWithTheBody", clientSpanEndsWithTheBody},
		{"ClientRedirectsAndRetries", clientRedirectsAndRetries},
		{"ClientProtocolSwitch", clientProtocolSwitch},
		{"ClientConcurrent", clientConcurrent},
		{"ClientNonePropagates", clientNonePropagates},
		{"ClientNonePathAllocatesNothing", clientNonePathAllocatesNothing},
		{"TransportNilUsesDefault", transportNilUsesDefault},
		{"WrapClientLeavesTheOriginal", wrapClientLeavesTheOriginal},
		{"ClientBodyError", clientBodyError},
	} {
		t.Run(tc.name, tc.f)
	}
}

// upstream is a server that reports the trace headers it received.
func upstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Got-Traceparent", r.Header.Get("Traceparent"))
			w.Header().Set("Set-Cookie", "sid=s3cr3t")
			_, _ = io.WriteString(w, `"2024-01-02"`)
		}
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func clientSpans(spans []tracingtest.SpanData) []tracingtest.SpanData {
	return tracingtest.Filter(spans, func(s tracingtest.SpanData) bool { return s.Kind == tracing.SpanKindClient })
}

func clientSpanShape(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, nil)
		c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer))
		ctx, parent := e.Tracer.Start(context.Background(), "CreateNote")
		u := strings.Replace(up.URL, "http://", "http://alice:pa55word@", 1) + "/calendar?key=s3cr3t&day=1#frag"
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		req.Header.Set("User-Agent", "notes/1.0")
		before := req.Header.Clone()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		parent.End()
		if string(body) != `"2024-01-02"` {
			t.Fatalf("body %q", body)
		}
		if !equalHeader(before, req.Header) {
			t.Errorf("caller's request changed: header %v → %v", before, req.Header)
		}

		spans := e.SpansExactly(t, 2)
		cl := One(t, spans, tracing.SpanKindClient)
		p := One(t, spans, tracing.SpanKindInternal)
		e.WantName(t, cl, "GET", "GET")
		if cl.Type != tracing.TypeHTTP {
			t.Errorf("type %q, want http", cl.Type)
		}
		if cl.ParentID != p.SpanID || cl.TraceID != p.TraceID {
			t.Errorf("client span is not a child of the caller's span")
		}
		host, port := httpkit.SplitHostPort(strings.TrimPrefix(up.URL, "http://"))
		e.WantAttr(t, cl, httpkit.KeyMethod, tracing.StringValue("GET"))
		e.WantAttr(t, cl, httpkit.KeyURLFull, tracing.StringValue(fmt.Sprintf("http://REDACTED:REDACTED@%s:%d/calendar?key=REDACTED&day=REDACTED", host, port)))
		e.WantAttr(t, cl, httpkit.KeyServerAddress, tracing.StringValue(host))
		e.WantAttr(t, cl, httpkit.KeyServerPort, tracing.Int64Value(int64(port)))
		e.WantAttr(t, cl, httpkit.KeyStatusCode, tracing.Int64Value(200))
		e.WantAttr(t, cl, httpkit.KeyProtoVersion, tracing.StringValue("1.1"))
		e.WantAttr(t, cl, httpkit.KeyUserAgent, tracing.StringValue("notes/1.0"))
		e.WantAttr(t, cl, httpkit.KeyRespBodySize, tracing.Int64Value(int64(len(body))))
		if cl.Status != tracing.StatusUnset {
			t.Errorf("status %v", cl.Status)
		}
		if got := resp.Header.Get("X-Got-Traceparent"); !injectedFor(got, cl) {
			t.Errorf("server received traceparent %q, want the client span's %s", got, cl.SpanID)
		}
		for _, secret := range []string{"s3cr3t", "alice", "pa55word", "frag"} {
			if ContainsValue(spans, secret) {
				t.Errorf("%q recorded", secret)
			}
		}
	})
}

// injectedFor reports whether traceparent names span s (sampled).
func injectedFor(traceparent string, s tracingtest.SpanData) bool {
	sc, ok := tracing.ParseTraceparent(traceparent)
	return ok && sc.TraceID() == s.TraceID && sc.SpanID() == s.SpanID && sc.IsSampled()
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

func clientOptions(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Got-Custom", r.Header.Get("X-Custom-Traceparent"))
			w.Header().Set("X-Got-Traceparent", r.Header.Get("Traceparent"))
			w.Header().Set("Set-Cookie", "sid=s3cr3t")
			w.Header().Set("X-Upstream", "u1")
		})
		c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer),
			tracehttp.WithResourceNamer(func(r *http.Request, _ string) string { return r.Method + " " + r.URL.Path }),
			tracehttp.WithService("calendar-client"),
			tracehttp.WithPropagator(CustomPropagator()),
			tracehttp.WithQueryKeys(false),
			tracehttp.WithRequestHeaders("Authorization", "X-Req"),
			tracehttp.WithResponseHeaders("Set-Cookie", "X-Upstream"),
			tracehttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/skip" }))
		req, _ := http.NewRequest("GET", up.URL+"/calendar?key=s3cr3t", nil)
		req.Header.Set("Authorization", "Bearer s3cr3t")
		req.Header.Set("X-Req", "r1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		skip, err := c.Get(up.URL + "/skip")
		if err != nil {
			t.Fatal(err)
		}
		skip.Body.Close()

		spans := e.SpansExactly(t, 1)
		cl := spans[0]
		e.WantName(t, cl, "GET", "GET /calendar")
		if cl.Service != "calendar-client" {
			t.Errorf("service %q, want calendar-client", cl.Service)
		}
		if got := resp.Header.Get("X-Got-Custom"); !injectedFor(got, cl) {
			t.Errorf("custom propagator injected %q", got)
		}
		if got := resp.Header.Get("X-Got-Traceparent"); got != "" {
			t.Errorf("W3C header injected despite the propagator override: %q", got)
		}
		if got := skip.Header.Get("X-Got-Custom"); got != "" {
			t.Errorf("filtered request was instrumented: %q", got)
		}
		sl := tracing.StringSliceValue
		e.WantAttr(t, cl, httpkit.KeyURLFull, tracing.StringValue(up.URL+"/calendar?REDACTED"))
		e.WantAttr(t, cl, "http.request.header.authorization", sl([]string{"REDACTED"}))
		e.WantAttr(t, cl, "http.request.header.x-req", sl([]string{"r1"}))
		e.WantAttr(t, cl, "http.response.header.set-cookie", sl([]string{"REDACTED"}))
		e.WantAttr(t, cl, "http.response.header.x-upstream", sl([]string{"u1"}))
		if ContainsValue(spans, "s3cr3t") {
			t.Errorf("secret recorded")
		}
	})
}

func clientStatusRules(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, func(w http.ResponseWriter, r *http.Request) {
			var code int
			_, _ = fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/"), &code)
			w.WriteHeader(code)
		})
		strict := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer))
		lenient := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer), tracehttp.WithErrorStatus(func(c int) bool { return c >= 500 }))
		for _, c := range []struct {
			client *http.Client
			code   int
			failed bool
		}{
			{strict, 200, false}, {strict, 404, true}, {strict, 503, true},
			{lenient, 404, false}, {lenient, 500, true},
		} {
			e.Tracer.ForceFlush(context.Background())
			resp, err := c.client.Get(fmt.Sprintf("%s/%d", up.URL, c.code))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		spans := e.SpansExactly(t, 5)
		want := []bool{false, true, true, false, true}
		codes := []int64{200, 404, 503, 404, 500}
		for i, sp := range spans {
			e.WantAttr(t, sp, httpkit.KeyStatusCode, tracing.Int64Value(codes[i]))
			if got := sp.Status == tracing.StatusError; got != want[i] {
				t.Errorf("%d: failed %v, want %v", codes[i], got, want[i])
			}
			if want[i] {
				e.WantAttr(t, sp, httpkit.KeyErrorType, tracing.StringValue(fmt.Sprint(codes[i])))
			}
		}
	})
}

func clientTransportError(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tracehttp.Transport(tr, tracehttp.WithTracer(e.Tracer))}
		if _, err := c.Get("http://" + addr + "/x"); err == nil {
			t.Fatal("request to a closed port succeeded")
		}
		sp := e.SpansExactly(t, 1)[0]
		if sp.Status != tracing.StatusError || sp.ErrorType != "*net.OpError" || !strings.Contains(sp.ErrorMessage, "refused") {
			t.Errorf("status %v error %q %q", sp.Status, sp.ErrorType, sp.ErrorMessage)
		}
		e.WantAttr(t, sp, httpkit.KeyErrorType, tracing.StringValue("*net.OpError"))
		e.NoAttr(t, sp, httpkit.KeyStatusCode)
	})
}

// The span ends when the body is read to its end or closed, not when
// RoundTrip returns.
func clientSpanEndsWithTheBody(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "part1")
			w.(http.Flusher).Flush() // chunked: no Content-Length
			_, _ = io.WriteString(w, "part2")
		})
		c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer))

		resp, err := c.Get(up.URL + "/read")
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.H.Spans(t, 0)); n != 0 {
			t.Fatalf("%d spans ended before the body was read", n)
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, resp.Body); err != nil || buf.String() != "part1part2" {
			t.Fatalf("copy: %q %v", buf.String(), err)
		}
		read := e.SpansExactly(t, 1)[0]
		e.WantAttr(t, read, httpkit.KeyRespBodySize, tracing.Int64Value(10))
		resp.Body.Close()

		resp, err = c.Get(up.URL + "/close")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // unread
		e.SpansExactly(t, 2)
	})
}

// Each redirect hop and each retry is its own client span; the servers'
// spans are children of the hop that reached them.
func clientRedirectsAndRetries(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		var mu sync.Mutex
		attempts := 0
		m := http.NewServeMux()
		m.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
		m.HandleFunc("GET /b", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "b") })
		m.HandleFunc("GET /flaky", func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			attempts++
			first := attempts == 1
			mu.Unlock()
			if first {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = io.WriteString(w, "ok")
		})
		up := httptest.NewServer(tracehttp.Handler(m, tracehttp.WithTracer(e.Tracer)))
		defer up.Close()
		c := &http.Client{Transport: retry{tracehttp.Transport(up.Client().Transport, tracehttp.WithTracer(e.Tracer))}}

		ctx, root := e.Tracer.Start(context.Background(), "root")
		for _, p := range []string{"/a", "/flaky"} {
			req, _ := http.NewRequestWithContext(ctx, "GET", up.URL+p, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
		root.End()
		spans := e.SpansExactly(t, 9) // root, 4 client attempts, 4 server spans
		var r tracingtest.SpanData
		for _, s := range spans {
			if s.Name == "root" {
				r = s
			}
		}
		clients := clientSpans(spans)
		if len(clients) != 4 {
			t.Fatalf("%d client spans, want 4 (2 hops, 2 attempts)", len(clients))
		}
		var statuses []string
		for _, cl := range clients {
			if cl.ParentID != r.SpanID {
				t.Errorf("client span %s is not a child of root", cl.SpanID)
			}
			v, _ := e.Attr(cl, httpkit.KeyStatusCode)
			statuses = append(statuses, v.String())
			kids := tracingtest.Children(spans, cl)
			if len(kids) != 1 || kids[0].Kind != tracing.SpanKindServer {
				t.Errorf("client span %s has %d server children, want 1", cl.SpanID, len(kids))
			}
		}
		if got := strings.Join(statuses, ","); got != "302,200,503,200" {
			t.Errorf("statuses in order %s, want 302,200,503,200", got)
		}
	})
}

// retry retries a request once on 503.
type retry struct{ next http.RoundTripper }

func (rt retry) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return rt.next.RoundTrip(r)
}

// A 101 response's body is an io.ReadWriteCloser: it stays one.
func clientProtocolSwitch(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			_ = brw.Flush()
			line, _ := brw.ReadString('\n')
			_, _ = brw.WriteString("echo: " + line)
			_ = brw.Flush()
		})
		c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer))
		req, _ := http.NewRequest("GET", up.URL+"/ws", nil)
		req.Header.Set("Upgrade", "echo")
		req.Header.Set("Connection", "Upgrade")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rw, ok := resp.Body.(io.ReadWriteCloser)
		if !ok {
			t.Fatalf("101 body %T is not an io.ReadWriteCloser", resp.Body)
		}
		_, _ = io.WriteString(rw, "ping\n")
		line, _ := bufio.NewReader(rw).ReadString('\n')
		rw.Close()
		if line != "echo: ping\n" {
			t.Errorf("echo %q", line)
		}
		sp := e.SpansExactly(t, 1)[0]
		e.WantAttr(t, sp, httpkit.KeyStatusCode, tracing.Int64Value(101))
	})
}

func clientConcurrent(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		up := upstream(t, nil)
		c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(e.Tracer))
		const n = 32
		got := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp, err := c.Get(up.URL + "/x")
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				got[i] = resp.Header.Get("X-Got-Traceparent")
			})
		}
		wg.Wait()
		spans := e.SpansExactly(t, n)
		injected := map[string]bool{}
		for _, tp := range got {
			if len(tp) > 2 {
				injected[tp[:len(tp)-2]] = true
			}
		}
		for _, sp := range spans {
			if !injected["00-"+sp.TraceID.String()+"-"+sp.SpanID.String()+"-"] {
				t.Errorf("span %s was not the one injected into its request", sp.SpanID)
			}
		}
	})
}

// With tracing off, a context from upstream still propagates, and without
// one the request goes out untouched.
func clientNonePropagates(t *testing.T) {
	up := upstream(t, nil)
	none := tracing.New(tracing.NoopBackend())
	c := tracehttp.WrapClient(up.Client(), tracehttp.WithTracer(none))
	tp, tid, sid := Traceparent(true)
	ctx := none.Extract(context.Background(), tracing.HeaderCarrier(http.Header{"Traceparent": {tp}}))
	req, _ := http.NewRequestWithContext(ctx, "GET", up.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if sc, _ := tracing.ParseTraceparent(resp.Header.Get("X-Got-Traceparent")); sc.TraceID() != tid || sc.SpanID() != sid {
		t.Errorf("forwarded %v, want the upstream context %s/%s", sc, tid, sid)
	}
	resp, err = c.Get(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Got-Traceparent"); got != "" {
		t.Errorf("injected %q without a context", got)
	}
}

type stubRT struct{ resp *http.Response }

func (s stubRT) RoundTrip(*http.Request) (*http.Response, error) { return s.resp, nil }

func clientNonePathAllocatesNothing(t *testing.T) {
	stub := stubRT{&http.Response{StatusCode: 200, Body: http.NoBody}}
	rt := tracehttp.Transport(stub, tracehttp.WithTracer(tracing.New(tracing.NoopBackend())))
	req := httptest.NewRequest("GET", "http://example.com/x", nil)
	if n := testing.AllocsPerRun(200, func() { _, _ = rt.RoundTrip(req) }); n != 0 {
		t.Errorf("RoundTrip with tracing off allocates %v times", n)
	}
}

func transportNilUsesDefault(t *testing.T) {
	up := upstream(t, nil)
	rec := tracingtest.NewRecorder()
	c := &http.Client{Transport: tracehttp.Transport(nil, tracehttp.WithTracer(rec.Tracer()))}
	resp, err := c.Get(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
	if n := len(rec.Spans()); n != 1 {
		t.Errorf("%d spans", n)
	}
	if u, ok := c.Transport.(interface{ Unwrap() http.RoundTripper }); !ok || u.Unwrap() != http.DefaultTransport {
		t.Errorf("Transport(nil) does not wrap http.DefaultTransport")
	}
}

func wrapClientLeavesTheOriginal(t *testing.T) {
	orig := &http.Client{}
	wrapped := tracehttp.WrapClient(orig)
	if orig.Transport != nil || wrapped == orig || wrapped.Transport == nil {
		t.Errorf("WrapClient changed its argument or returned it")
	}
	if tracehttp.WrapClient(nil).Transport == nil {
		t.Errorf("WrapClient(nil) has no transport")
	}
}

// A body read error fails the span.
func clientBodyError(t *testing.T) {
	Each(t, func(t *testing.T, e *Env) {
		boom := errors.New("connection reset")
		stub := stubRT{&http.Response{StatusCode: 200, ContentLength: -1, Body: io.NopCloser(io.MultiReader(strings.NewReader("ab"), errReader{boom}))}}
		c := &http.Client{Transport: tracehttp.Transport(stub, tracehttp.WithTracer(e.Tracer))}
		resp, err := c.Get("http://example.com/")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, boom) {
			t.Fatalf("read error %v", err)
		}
		resp.Body.Close()
		sp := e.SpansExactly(t, 1)[0]
		if sp.Status != tracing.StatusError || sp.ErrorMessage != "connection reset" {
			t.Errorf("status %v error %q", sp.Status, sp.ErrorMessage)
		}
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
