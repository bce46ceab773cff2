package httpkit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMethod(t *testing.T) {
	for _, c := range []struct{ in, method, original string }{
		{"GET", "GET", ""}, {"PATCH", "PATCH", ""}, {"get", "GET", "get"}, {"Delete", "DELETE", "Delete"},
		{"PURGE", "_OTHER", "PURGE"}, {"", "_OTHER", ""}, {"GETX", "_OTHER", "GETX"},
	} {
		m, o := Method(c.in)
		if m != c.method || o != c.original {
			t.Errorf("Method(%q) = %q, %q; want %q, %q", c.in, m, o, c.method, c.original)
		}
	}
}

func TestRouteAndSpanName(t *testing.T) {
	for _, c := range []struct{ pattern, route string }{
		{"GET /notes/{id}", "/notes/{id}"}, {"example.com/x", "/x"}, {"POST example.com/", "/"},
		{"/{$}", "/{$}"}, {"", ""}, {"GET", ""},
	} {
		if got := RouteFromPattern(c.pattern); got != c.route {
			t.Errorf("RouteFromPattern(%q) = %q, want %q", c.pattern, got, c.route)
		}
	}
	for _, c := range []struct{ method, route, name string }{
		{"GET", "/notes/{id}", "GET /notes/{id}"}, {"GET", "", "GET"}, {"_OTHER", "/x", "HTTP /x"}, {"_OTHER", "", "HTTP"},
	} {
		if got := SpanName(c.method, c.route); got != c.name {
			t.Errorf("SpanName(%q, %q) = %q, want %q", c.method, c.route, got, c.name)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = SpanName("PUT", "/cached/{id}") }); n != 0 {
		t.Errorf("naming a seen route allocates %v times", n)
	}
	if ClientSpanName("_OTHER") != "HTTP" || ClientSpanName("GET") != "GET" {
		t.Errorf("ClientSpanName")
	}
}

func TestNameCacheIsBounded(t *testing.T) {
	var c nameCache
	for i := range maxNames + 50 {
		c.store(nameKey{"GET", "/r/" + StatusString(100+i%500) + "/" + strings.Repeat("x", i/500)}, "n")
	}
	if m := c.m.Load(); len(*m) > maxNames {
		t.Errorf("cache grew to %d entries", len(*m))
	}
}

func TestSplitHostPort(t *testing.T) {
	for _, c := range []struct {
		in   string
		host string
		port int
	}{
		{"example.com:8080", "example.com", 8080}, {"example.com", "example.com", -1}, {"[::1]:443", "::1", 443},
		{"[::1]", "::1", -1}, {"::1", "::1", -1}, {"127.0.0.1:0", "127.0.0.1", 0}, {"h:99999", "h", -1},
		{"h:abc", "h", -1}, {"[::1", "", -1}, {"", "", -1}, {":80", "", 80}, {"h:", "h", -1},
	} {
		h, p := SplitHostPort(c.in)
		if h != c.host || p != c.port {
			t.Errorf("SplitHostPort(%q) = %q, %d; want %q, %d", c.in, h, p, c.host, c.port)
		}
	}
}

func TestClientAddressAndProtocol(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:5555"
	if got := ClientAddress(r); got != "10.0.0.1" {
		t.Errorf("from RemoteAddr: %q", got)
	}
	r.Header.Set("X-Forwarded-For", " 203.0.113.7 , 10.0.0.1")
	if got := ClientAddress(r); got != "203.0.113.7" {
		t.Errorf("from X-Forwarded-For: %q", got)
	}
	for _, c := range []struct {
		proto        string
		major, minor int
		want         string
	}{{"HTTP/1.1", 1, 1, "1.1"}, {"HTTP/2.0", 2, 0, "2"}, {"HTTP/1.0", 1, 0, "1.0"}, {"HTTP/3", 3, 0, "3"}, {"X/9.9", 9, 9, "9.9"}, {"", 0, 0, ""}} {
		if got := ProtocolVersion(c.proto, c.major, c.minor); got != c.want {
			t.Errorf("ProtocolVersion(%q) = %q, want %q", c.proto, got, c.want)
		}
	}
}

func TestRedaction(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a=1&b=2", "a=REDACTED&b=REDACTED"}, {"token", "token=REDACTED"}, {"=v&&k=", "k=REDACTED"},
		{"", ""}, {"a=1;b=secret", "a=REDACTED"}, {"q=%41%42", "q=REDACTED"},
	} {
		if got := RedactQuery(c.in); got != c.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		keys bool
		want string
	}{
		{"https://u:p@example.com:8443/a%20b?k=v#f", true, "https://REDACTED:REDACTED@example.com:8443/a%20b?k=REDACTED"},
		{"https://u@example.com/x?k=v", false, "https://REDACTED:REDACTED@example.com/x?REDACTED"},
		{"http://example.com", true, "http://example.com"},
		{"http://example.com/?", true, "http://example.com/?"},
		{"mailto:someone@example.com", true, "mailto://REDACTED"},
		{"/relative?x=1", true, "/relative?x=REDACTED"},
	} {
		u, err := url.Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactedURL(u, c.keys); got != c.want {
			t.Errorf("RedactedURL(%q, %v) = %q, want %q", c.in, c.keys, got, c.want)
		}
	}
	if RedactedURL(nil, true) != "" {
		t.Error("nil URL")
	}
	for name, want := range map[string]bool{
		"Authorization": true, "Cookie": true, "Set-Cookie": true, "Proxy-Authorization": true, "X-Api-Key": true,
		"X-Auth-Token": true, "X-Session-Id": true, "X-Client-Secret": true, "X-Amz-Security-Token": true,
		"Content-Type": false, "X-Request-Id": false, "User-Agent": false, "Www-Authenticate": false,
	} {
		if got := SensitiveHeader(name); got != want {
			t.Errorf("SensitiveHeader(%q) = %v", name, got)
		}
	}
}

func TestHeaderOptions(t *testing.T) {
	c := NewConfig([]Option{nil, WithRequestHeaders("x-a", " X-A ", "", "authorization"), WithResponseHeaders("set-cookie")})
	if len(c.ReqHeaders) != 2 || c.ReqHeaders[0].Key != "http.request.header.x-a" || c.ReqHeaders[1].Name != "Authorization" || !c.ReqHeaders[1].Redact {
		t.Errorf("request captures %+v", c.ReqHeaders)
	}
	attrs := HeaderAttrs(nil, append(c.ReqHeaders, c.RespHeaders...), http.Header{"X-A": {"1", "2"}, "Authorization": {"x"}, "Set-Cookie": {"s"}})
	if len(attrs) != 3 || attrs[0].Value.String() != "[1 2]" || attrs[1].Value.String() != "[REDACTED]" || attrs[2].Value.String() != "[REDACTED]" {
		t.Errorf("header attributes %v", attrs)
	}
}

func TestPanicStackStartsAtThePanic(t *testing.T) {
	var stack string
	func() {
		defer func() {
			if recover() != nil {
				stack = panicStack()
			}
		}()
		panickingFunction()
	}()
	if first, _, _ := strings.Cut(stack, "\n"); !strings.HasSuffix(first, "httpkit.panickingFunction") {
		t.Errorf("stack starts at %q:\n%s", first, stack)
	}
}

func panickingFunction() { panic("x") }

// A status outside what HTTP allows fails the span, with a description.
func TestInvalidStatus(t *testing.T) {
	rec := tracingtest.NewRecorder()
	s := NewServer([]Option{WithTracer(rec.Tracer())})
	_, ss := s.Start(httptest.NewRequest("GET", "/", nil), "/")
	ss.End(Outcome{Route: "/", Status: 999})
	sp := rec.Spans()[0]
	if sp.Status != tracing.StatusError || sp.StatusMsg != "invalid HTTP status code 999" {
		t.Errorf("status %v %q", sp.Status, sp.StatusMsg)
	}
}

// Ending a span that does not record does nothing, and errors are
// recorded without failing a 4xx.
func TestEndVariants(t *testing.T) {
	none := NewServer([]Option{WithTracer(tracing.New(tracing.NoopBackend()))})
	_, ss := none.Start(httptest.NewRequest("GET", "/", nil), "")
	if ss.Recording() {
		t.Fatal("none records")
	}
	ss.End(Outcome{Status: 500}, errors.New("x"))
	ss.EndPanic("p", Outcome{})

	rec := tracingtest.NewRecorder()
	s := NewServer([]Option{WithTracer(rec.Tracer()), WithErrorStatus(func(c int) bool { return c == 418 })})
	_, ss = s.Start(httptest.NewRequest("GET", "/", nil), "")
	ss.End(Outcome{Status: 418}, nil, errors.New("teapot"))
	_, ss = s.Start(httptest.NewRequest("GET", "/", nil), "")
	ss.End(Outcome{Status: 500}, errors.New("not an error here"))
	spans := rec.Spans()
	if spans[0].Status != tracing.StatusError || spans[0].StatusMsg != "teapot" {
		t.Errorf("custom error status: %v %q", spans[0].Status, spans[0].StatusMsg)
	}
	if spans[1].Status != tracing.StatusUnset || spans[1].ErrorMessage != "not an error here" {
		t.Errorf("non-failing error: %v %q", spans[1].Status, spans[1].ErrorMessage)
	}
}

func TestConfigTracerAndPropagator(t *testing.T) {
	var c Config
	tr, p := c.TracerAndPropagator()
	if tr != tracing.Default() || p == nil {
		t.Errorf("defaults: %v %v", tr, p)
	}
	var custom tracing.Propagator = tracing.BaggagePropagator{}
	c = NewConfig([]Option{WithPropagator(custom)})
	if _, p := c.TracerAndPropagator(); p != custom {
		t.Errorf("propagator override lost")
	}
	own := tracing.New(tracing.NoopBackend())
	c = NewConfig([]Option{WithTracer(own)})
	if tr, _ := c.TracerAndPropagator(); tr != own {
		t.Errorf("tracer override lost")
	}
}

// With tracing off, a caller's context goes on to the handler, except
// through a public endpoint.
func TestNonePublicEndpointDoesNotForward(t *testing.T) {
	none := tracing.New(tracing.NoopBackend())
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx, _ := NewServer([]Option{WithTracer(none)}).Start(r, "")
	if !tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Error("none backend dropped the caller's context")
	}
	ctx, _ = NewServer([]Option{WithTracer(none), WithPublicEndpoint()}).Start(r, "")
	if tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Error("public endpoint forwarded an outside caller's context")
	}
}
