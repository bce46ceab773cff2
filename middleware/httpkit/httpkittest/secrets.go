package httpkittest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
)

// RunSecretsSuite plants secrets in requests, responses and the calls a handler
// makes, through tracehttp's handler and transport on every backend of
// Backends, and checks that none appears in anything a backend exported,
// by default and with every option that could reveal them.
func RunSecretsSuite(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T)
	}{
		{"SecurityDefaults", securityDefaults},
	} {
		t.Run(tc.name, tc.f)
	}
}

// secrets planted in a request, its response and the calls its handler
// makes; none may appear anywhere in what a backend exported (names,
// resources, attributes and tags, events, links, status and error
// messages), by default and with every option that could reveal them.
var secrets = []string{
	"s3cr3t-query", "s3cr3t-auth", "s3cr3t-cookie", "s3cr3t-proxy", "s3cr3t-apikey", "s3cr3t-setcookie",
	"s3cr3t-user", "s3cr3t-pass", "s3cr3t-frag", "s3cr3t-down-query", "s3cr3t-down-auth", "s3cr3t-down-setcookie",
	"s3cr3t-down-user", "s3cr3t-down-pass", "s3cr3t-failed-query", "s3cr3t-form",
}

func securityDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tracehttp.Option
		// headers: the sensitive headers are allow-listed and must be
		// recorded as REDACTED.
		headers bool
	}{
		{name: "defaults"},
		{name: "sensitive headers allow-listed", headers: true, opts: []tracehttp.Option{
			tracehttp.WithRequestHeaders("Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key"),
			tracehttp.WithResponseHeaders("Set-Cookie"),
			tracehttp.WithQueryKeys(true),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Each(t, func(t *testing.T, e *Env) { testSecrets(t, e, tc.opts, tc.headers) })
		})
	}
}

func testSecrets(t *testing.T, e *Env, opts []tracehttp.Option, headers bool) {
	opts = append([]tracehttp.Option{tracehttp.WithTracer(e.Tracer)}, opts...)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Set-Cookie", "sid=s3cr3t-down-setcookie")
		_, _ = io.WriteString(w, "down")
	}))
	defer down.Close()
	closed := closedAddr(t)
	client := tracehttp.WrapClient(down.Client(), opts...)
	m := http.NewServeMux()
	m.HandleFunc("/notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		u := strings.Replace(down.URL, "http://", "http://s3cr3t-down-user:s3cr3t-down-pass@", 1) + "/x?key=s3cr3t-down-query#s3cr3t-frag"
		req, _ := http.NewRequestWithContext(r.Context(), "GET", u, nil)
		req.Header.Set("Authorization", "Bearer s3cr3t-down-auth")
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		// A failing call: its error is recorded, its URL's secrets not.
		req, _ = http.NewRequestWithContext(r.Context(), "GET", "http://"+closed+"/x?key=s3cr3t-failed-query", nil)
		if resp, err := client.Transport.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
		w.Header().Set("Set-Cookie", "sid=s3cr3t-setcookie")
		_, _ = io.WriteString(w, "ok")
	})
	srv := StartServer(t, tracehttp.Handler(m, opts...))

	// An absolute-form request target with user information, query
	// values, every credential header and a form body.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := "password=s3cr3t-form"
	_, _ = io.WriteString(conn, "POST http://s3cr3t-user:s3cr3t-pass@"+strings.TrimPrefix(srv.URL, "http://")+"/notes/7?token=s3cr3t-query&page=2 HTTP/1.1\r\n"+
		"Host: "+strings.TrimPrefix(srv.URL, "http://")+"\r\n"+
		"Authorization: Bearer s3cr3t-auth\r\n"+
		"Cookie: sid=s3cr3t-cookie\r\n"+
		"Proxy-Authorization: Basic s3cr3t-proxy\r\n"+
		"X-Api-Key: s3cr3t-apikey\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\n"+
		"Connection: close\r\n"+
		"Content-Length: "+itoa(len(body))+"\r\n\r\n"+body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("served %d %q", resp.StatusCode, b)
	}

	spans := e.SpansExactly(t, 3) // server, two client calls
	for _, s := range secrets {
		if ContainsValue(spans, s) {
			t.Errorf("%s recorded %q somewhere: %+v", e.Name, s, spans)
		}
	}
	srvSpan := One(t, spans, tracing.SpanKindServer)
	e.WantAttr(t, srvSpan, httpkit.KeyURLPath, tracing.StringValue("/notes/7"))
	if !headers {
		e.NoAttr(t, srvSpan, httpkit.KeyURLQuery)
		for _, h := range []string{"authorization", "cookie", "proxy-authorization", "x-api-key"} {
			e.NoAttr(t, srvSpan, "http.request.header."+h)
		}
		e.NoAttr(t, srvSpan, "http.response.header.set-cookie")
		return
	}
	redacted := tracing.StringSliceValue([]string{"REDACTED"})
	for _, h := range []string{"authorization", "cookie", "proxy-authorization", "x-api-key"} {
		e.WantAttr(t, srvSpan, "http.request.header."+h, redacted)
	}
	e.WantAttr(t, srvSpan, "http.response.header.set-cookie", redacted)
	e.WantAttr(t, srvSpan, httpkit.KeyURLQuery, tracing.StringValue("token=REDACTED&page=REDACTED"))
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
