package ddbackend_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestOptions: options given in code override the environment and reach
// the spans; a custom HTTP client's transport carries the agent requests.
func TestOptions(t *testing.T) {
	t.Setenv("DD_ENV", "from-env")
	a := newAgent(t, ddtest.Config{})
	ct := &countingTransport{base: &http.Transport{}}
	defer ct.base.(*http.Transport).CloseIdleConnections()
	b := newBackend(t, a,
		ddbackend.WithServiceName("svc"), ddbackend.WithEnvironment("from-code"), ddbackend.WithVersion("9"),
		ddbackend.WithHTTPClient(&http.Client{Transport: ct}), ddbackend.WithAgentTimeout(5*time.Second),
		ddbackend.WithDatabaseService(""))
	tr := tracing.New(b)
	_, q := tr.Start(bg(), "SELECT", tracing.WithKind(tracing.SpanKindClient), tracing.WithAttrs(tracing.String("db.system.name", "mysql")))
	q.End()
	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "mysql.query")
	if s.Service != "svc" || s.Meta["env"] != "from-code" || s.Meta["version"] != "9" {
		t.Errorf("span service %q env %q version %q", s.Service, s.Meta["env"], s.Meta["version"])
	}
	if ct.n.Load() < 2 { // /info and /v0.4/traces
		t.Errorf("custom transport carried %d requests", ct.n.Load())
	}
}

// TestSchemaV1: DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1 names operations as
// dd-trace-go's contrib packages do under it.
func TestSchemaV1(t *testing.T) {
	t.Setenv("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA", "v1")
	t.Setenv("DD_SERVICE", "notes")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	ctx, srv := tr.Start(bg(), "GET /x", tracing.WithKind(tracing.SpanKindServer), tracing.WithAttrs(tracing.String("http.request.method", "GET")))
	_, c := tr.Start(ctx, "GET", tracing.WithKind(tracing.SpanKindClient), tracing.WithAttrs(tracing.String("http.request.method", "GET")))
	c.End()
	_, q := tr.Start(ctx, "SELECT", tracing.WithKind(tracing.SpanKindClient), tracing.WithAttrs(tracing.String("db.system.name", "redis")))
	q.End()
	srv.End()
	tracingtest.Shutdown(t, b)
	spans := a.Spans()
	checkSpan(t, ddtest.SpanNamed(t, spans, "http.server.request"), ddtest.Span{Name: "http.server.request", Resource: "GET /x", Type: "web", Service: "notes"}, nil, nil)
	checkSpan(t, ddtest.SpanNamed(t, spans, "http.client.request"), ddtest.Span{Name: "http.client.request", Resource: "GET", Type: "http", Service: "notes"}, nil, nil)
	checkSpan(t, ddtest.SpanNamed(t, spans, "redis.query"), ddtest.Span{Name: "redis.query", Resource: "SELECT", Type: "redis", Service: "notes"}, nil, nil)
}
