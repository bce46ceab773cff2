package jaegerbackend_test

import (
	"context"
	"strings"
	"testing"
	"time"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-lib/metrics/metricstest"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

type notFound struct{ id int }

func (e *notFound) Error() string { return "note not found" }

// TestWireMapping checks what the client sends over UDP for the facade's
// semantic attributes (DESIGN §4): OpenTracing tags, error logs, the
// overrides as tags, and the service identity with its fallbacks.
func TestWireMapping(t *testing.T) {
	b, a := newAgentBackend(t, map[string]string{
		"JAEGER_SERVICE_NAME": "", "OTEL_SERVICE_NAME": "notes", "DD_ENV": "prod", "DD_VERSION": "1.2.3",
		"JAEGER_TAGS": "team=notes,region=${POLYTRACE_TEST_REGION:eu}",
	})
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())

	ctx, srv := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.String("url.path", "/notes/7"),
			tracing.String("url.scheme", "https"), tracing.String("http.route", "/notes/{id}"),
			tracing.Int("http.response.status_code", 404), tracing.Int("note.id", 7)))
	cctx, cli := tr.Start(ctx, "GET", tracing.WithKind(tracing.SpanKindClient), tracing.WithResource("GET /calendar"),
		tracing.WithSpanType(tracing.TypeHTTP), tracing.WithAttrs(tracing.String("server.address", "calendar"),
			tracing.Int("server.port", 9090), tracing.String("url.full", "https://u:pw@calendar:9090/calendar?key=secret")))
	cli.SetAttrs(tracing.Int("http.response.status_code", 503))
	cli.SetStatus(tracing.StatusError, "calendar returned 503")
	cli.End()
	_, q := tr.Start(cctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"),
		tracing.WithSpanType(tracing.TypeSQL), tracing.WithResource("SELECT * FROM notes WHERE id = ?"),
		tracing.WithAttrs(tracing.String("db.system.name", "sqlite"), tracing.String("db.query.text", "SELECT * FROM notes WHERE id = ?"),
			tracing.String("db.namespace", "main")))
	q.End()
	srv.RecordError(&notFound{7}, tracing.WithStack())
	srv.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := a.Spans(t, 3, wait)
	if len(spans) != 3 {
		t.Fatalf("got %d spans, want 3", len(spans))
	}
	byName := map[string]*j.Span{}
	for _, s := range spans {
		byName[s.OperationName] = s
	}
	check := func(span string, want map[string]any) {
		t.Helper()
		tags := jaegertest.Tags(byName[span])
		for k, w := range want {
			got, ok := tags[k]
			var wv tracing.Value
			switch w := w.(type) {
			case string:
				wv = tracing.StringValue(w)
			case int:
				wv = tracing.Int64Value(int64(w))
			case bool:
				wv = tracing.BoolValue(w)
			case nil:
				if ok {
					t.Errorf("%s: tag %s = %v, want none", span, k, got)
				}
				continue
			}
			if !ok || !got.Equal(wv) {
				t.Errorf("%s: tag %s = %v (present %v), want %v", span, k, got, ok, wv)
			}
		}
	}
	check("GET /notes/{id}", map[string]any{
		"span.kind": "server", "http.method": "GET", "http.url": "/notes/7", "http.route": "/notes/{id}",
		"http.status_code": 404, "url.scheme": "https", "note.id": 7, "error": true, "otel.status_code": "ERROR",
		"http.request.method": nil, "url.path": nil, "http.response.status_code": nil,
	})
	check("GET", map[string]any{
		"span.kind": "client", "peer.hostname": "calendar", "peer.port": 9090, "http.url": "https://calendar:9090/calendar",
		"http.status_code": 503, "error": true, "otel.status_code": "ERROR", "otel.status_description": "calendar returned 503",
		"resource.name": "GET /calendar", "span.type": "http", "server.address": nil,
	})
	check("SELECT notes", map[string]any{
		"span.kind": "client", "db.type": "sqlite", "db.statement": "SELECT * FROM notes WHERE id = ?", "db.instance": "main",
		"service.name": "db", "resource.name": "SELECT * FROM notes WHERE id = ?", "span.type": "sql", "error": nil,
	})
	for _, s := range spans {
		for _, tg := range s.Tags {
			if strings.Contains(jaegertest.Value(tg).String(), "secret") || strings.Contains(jaegertest.Value(tg).String(), "pw@") {
				t.Errorf("%s: tag %s keeps a secret: %q", s.OperationName, tg.Key, jaegertest.Value(tg))
			}
		}
	}

	// The error: a log record with OpenTracing's fields.
	var fields map[string]string
	for _, l := range byName["GET /notes/{id}"].Logs {
		f := map[string]string{}
		for _, x := range l.Fields {
			f[x.Key] = jaegertest.Value(x).String()
		}
		if f["event"] == "error" {
			fields = f
		}
	}
	if fields["error.object"] != "note not found" || fields["message"] != "note not found" ||
		fields["error.kind"] != "*jaegerbackend_test.notFound" || !strings.Contains(fields["stack"], "TestWireMapping") {
		t.Errorf("error log fields %v", fields)
	}

	// Parentage and 128-bit ids.
	srvSpan, cliSpan, qSpan := byName["GET /notes/{id}"], byName["GET"], byName["SELECT notes"]
	if srvSpan.TraceIdHigh == 0 || cliSpan.ParentSpanId != srvSpan.SpanId || qSpan.ParentSpanId != cliSpan.SpanId {
		t.Errorf("ids: trace high %x, parents %x→%x, %x→%x", srvSpan.TraceIdHigh, cliSpan.ParentSpanId, srvSpan.SpanId, qSpan.ParentSpanId, cliSpan.SpanId)
	}
	if got, want := srv.SpanContext().TraceID(), tracing.TraceIDFromUint64s(uint64(srvSpan.TraceIdHigh), uint64(srvSpan.TraceIdLow)); got != want {
		t.Errorf("facade trace id %s, sent %s", got, want)
	}

	// The process: service from OTEL_SERVICE_NAME, env and version from
	// DD_ENV and DD_VERSION, JAEGER_TAGS with its ${VAR:default}.
	batches, err := a.Batches()
	if err != nil || len(batches) == 0 {
		t.Fatalf("batches: %v", err)
	}
	p := batches[0].Process
	pt := jaegertest.ProcessTags(batches[0])
	if p.ServiceName != "notes" || pt[jaegerbackend.TagEnvironment].String() != "prod" || pt[jaegerbackend.TagVersion].String() != "1.2.3" ||
		pt["team"].String() != "notes" || pt["region"].String() != "eu" || pt["jaeger.version"].String() == "" {
		t.Errorf("process %s with tags %v", p.ServiceName, pt)
	}
}

// TestCollectorHTTP checks the HTTP collector transport: basic
// authentication, the thrift content type, and a summary without the
// password.
func TestCollectorHTTP(t *testing.T) {
	c := jaegertest.StartCollector(t)
	tracingtest.IsolateEnv(t, map[string]string{
		"JAEGER_SERVICE_NAME": "notes", "JAEGER_ENDPOINT": c.URL(), "JAEGER_USER": "svc", "JAEGER_PASSWORD": "hunter2",
		"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "1",
	})
	b, err := jaegerbackend.New()
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "work")
	sp.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := c.Spans(t, 1, wait); len(s) != 1 || s[0].OperationName != "work" {
		t.Fatalf("collector got %v", s)
	}
	req := c.Requests()[0]
	if u, p, ok := req.BasicAuth(); !ok || u != "svc" || p != "hunter2" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-thrift" {
		t.Errorf("content type %q", ct)
	}
	s := b.Summary()
	if s.Destination != c.URL() || s.Sampler != "100% of new traces (probabilistic 1)" || strings.Contains(s.String(), "hunter2") {
		t.Errorf("summary %s", s)
	}
	if st := b.Stats(); st.Ended != 1 || st.Exported != 1 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestSpanTooLargeForUDP: a span bigger than one datagram is dropped and
// counted, the others still arrive, and the client tells the agent.
func TestSpanTooLargeForUDP(t *testing.T) {
	// Without a value length limit: the default one (16384 characters
	// for log fields) keeps a span this size in one datagram.
	b, a := newAgentBackend(t, nil, jaegerbackend.WithAttributeValueLengthLimit(-1))
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	_, big := tr.Start(context.Background(), "big")
	big.AddEvent("dump", tracing.String("body", strings.Repeat("x", 70_000)))
	big.End()
	_, small := tr.Start(context.Background(), "small")
	small.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := a.Spans(t, 1, wait)
	if len(jaegertest.Named(spans, "small")) != 1 || len(jaegertest.Named(spans, "big")) != 0 {
		t.Fatalf("got %d spans", len(spans))
	}
	if st := b.Stats(); st.Ended != 2 || st.Exported != 1 || st.Dropped != 1 {
		t.Errorf("stats %+v, want 2 ended, 1 exported, 1 dropped", st)
	}
	_, again := tr.Start(context.Background(), "again")
	again.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Spans(t, 2, wait)
	batches, _ := a.Batches()
	last := batches[len(batches)-1]
	if last.Stats == nil || last.Stats.TooLargeDroppedSpans != 1 {
		t.Errorf("client stats sent to the agent: %+v", last.Stats)
	}
}

// TestQueueFullDropsAreCounted: the reporter's queue overflows while the
// transport is busy; Stats counts the drops through jaeger's own metric,
// which still reaches the user's metrics factory.
func TestQueueFullDropsAreCounted(t *testing.T) {
	c := jaegertest.StartCollector(t)
	hold := make(chan struct{})
	c.SetFault(jaegertest.Fault{Hold: hold})
	tracingtest.IsolateEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "q", "JAEGER_ENDPOINT": c.URL(), "JAEGER_SAMPLER_TYPE": "const",
		"JAEGER_SAMPLER_PARAM": "1", "JAEGER_REPORTER_MAX_QUEUE_SIZE": "2"})
	mf := metricstest.NewFactory(0)
	b, err := jaegerbackend.New(jaegerbackend.WithMetricsFactory(mf))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	_, first := tr.Start(context.Background(), "first")
	first.End()
	flushed := make(chan error, 1)
	go func() { flushed <- tr.ForceFlush(context.Background()) }()
	if !c.WaitAttempts(1, 30*time.Second) { // then it is busy sending "first"
		t.Fatal("the transport never reached the collector")
	}
	for range 6 {
		_, sp := tr.Start(context.Background(), "burst")
		sp.End()
	}
	st := b.Stats()
	counters, _ := mf.Snapshot()
	forwarded := counters["jaeger.tracer.reporter_spans|result=dropped"]
	// The reporter holds at most one span plus a queue of two: at least
	// three of the six were dropped.
	if st.Dropped < 3 || int64(st.Dropped) != forwarded {
		t.Errorf("dropped %d (metric forwarded to the user's factory: %d), want at least 3 and equal", st.Dropped, forwarded)
	}
	close(hold)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.Ended != 7 || st.Exported+st.Dropped != 7 {
		t.Errorf("after shutdown: %+v, want 7 ended, all exported or dropped", st)
	}
}
