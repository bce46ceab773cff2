package otshim_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	ddtracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console/consoletest"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// backend is one row of the table the shim's tests run over: a way to get
// a tracer over a fresh backend and to read back, decoded from what the
// backend really wrote or sent, the spans it exported.
type backend struct {
	name string
	open func(t *testing.T) (*tracing.Tracer, spansFunc)
	// keys maps a facade attribute key to the key the backend records it
	// under, where they differ (its semantic mapping).
	keys map[string]string
	// headers are headers Inject must write besides W3C trace context.
	headers []string
	// values converts a value as set to the value the backend records
	// under the (mapped) key, where they differ.
	values map[string]func(tracing.Value) tracing.Value
	// equal compares a value as set with the value read back (nil:
	// tracing.Value.Equal), accepting the backend's documented type
	// mapping.
	equal func(want, got tracing.Value) bool
}

// spansFunc returns at least want spans (after the tracer was flushed),
// waiting a few seconds at most.
type spansFunc func(t testing.TB, want int) []tracingtest.SpanData

// backends is the table: every backend, each read back from what it
// really sent.
var backends = []backend{
	{name: "recorder", open: openRecorder},
	{name: "console", open: openConsole},
	{name: "otel", open: openOTel},
	{name: "datadog", open: openDatadog, keys: datadogKeys, headers: []string{"x-datadog-trace-id", "x-datadog-parent-id"},
		values: map[string]func(tracing.Value) tracing.Value{"http.status_code": decimalString}, equal: ddtest.ValueEqual},
	{name: "jaeger", open: openJaeger, keys: jaegerKeys, headers: []string{"uber-trace-id"}},
}

func (b backend) key(k string) string {
	if w, ok := b.keys[k]; ok {
		return w
	}
	return k
}

// want returns the value the backend records for v set under the facade
// key k, and the comparison to use.
func (b backend) wantEqual(k string, v, got tracing.Value) bool {
	if f, ok := b.values[b.key(k)]; ok {
		v = f(v)
	}
	if b.equal != nil {
		return b.equal(v, got)
	}
	return v.Equal(got)
}

func decimalString(v tracing.Value) tracing.Value {
	return tracing.StringValue(strconv.FormatInt(v.AsInt64(), 10))
}

// datadogKeys is the datadog backend's mapping to dd-trace-go's tags
// (see tracing/ddbackend's package documentation): a status code is the
// string dd contrib writes, and the query text of a span that is not a
// database client span is sql.query.
var datadogKeys = map[string]string{
	"http.request.method":       "http.method",
	"http.response.status_code": "http.status_code",
	"url.full":                  "http.url",
	"db.query.text":             "sql.query",
	"db.system.name":            "db.system",
	"server.address":            "network.destination.name",
}

func openOTel(t *testing.T) (*tracing.Tracer, spansFunc) {
	r := otlptest.Start(t)
	b, err := otelbackend.New(otelbackend.WithEndpointURL(r.HTTPURL), otelbackend.WithProtocol(otelbackend.ProtocolHTTPProtobuf),
		otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	t.Cleanup(func() { shutdown(t, tr) })
	return tr, r.Spans
}

// shutdown shuts tr down when the test ends (t.Context is done by then).
func shutdown(t *testing.T, tr *tracing.Tracer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// ddLogger drops dd-trace-go's log lines (its logger is process-global).
type ddLogger struct{}

func (ddLogger) Log(string) {}

// openDatadog starts the Datadog backend against a fake agent. dd-trace-go
// is process-global: the backend is shut down when the subtest ends,
// before the next one opens another.
func openDatadog(t *testing.T) (*tracing.Tracer, spansFunc) {
	a := ddtest.Start(ddtest.Config{SpanEvents: true})
	t.Cleanup(a.Close)
	b, err := ddbackend.New(ddbackend.WithAgentURL(a.URL()), ddbackend.WithServiceName("otshim-test"),
		ddbackend.WithStartOptions(ddtracer.WithLogger(ddLogger{})))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	t.Cleanup(func() { shutdown(t, tr) })
	return tr, func(t testing.TB, want int) []tracingtest.SpanData {
		return a.SpanData(t, want, 5*time.Second)
	}
}

func openRecorder(t *testing.T) (*tracing.Tracer, spansFunc) {
	r := tracingtest.NewRecorder()
	tr := r.Tracer()
	t.Cleanup(func() { _ = tr.Shutdown(t.Context()) })
	return tr, func(t testing.TB, want int) []tracingtest.SpanData {
		return r.WaitForSpans(want, 5*time.Second)
	}
}

func openConsole(t *testing.T) (*tracing.Tracer, spansFunc) {
	b, spans := consoletest.Start()
	tr := tracing.New(b)
	t.Cleanup(func() { _ = tr.Shutdown(t.Context()) })
	return tr, func(t testing.TB, want int) []tracingtest.SpanData { return spans(t) }
}

// jaegerKeys is the jaeger backend's mapping to OpenTracing's tags.
var jaegerKeys = map[string]string{
	"http.request.method":       "http.method",
	"http.response.status_code": "http.status_code",
	"url.full":                  "http.url",
	"db.query.text":             "db.statement",
	"db.system.name":            "db.type",
	"server.address":            "peer.hostname",
}

func openJaeger(t *testing.T) (*tracing.Tracer, spansFunc) {
	a := jaegertest.StartAgent(t)
	b, err := jaegerbackend.New(
		jaegerbackend.WithServiceName("otshim-test"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithConfig(func(c *config.Configuration) {
			c.Reporter = &config.ReporterConfig{LocalAgentHostPort: a.Addr(), QueueSize: 1000}
		}))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	t.Cleanup(func() { shutdown(t, tr) })
	return tr, func(t testing.TB, want int) []tracingtest.SpanData {
		return a.SpanData(t, want, 5*time.Second)
	}
}

// forEachBackend runs f once per backend, as a subtest.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			tr, spans := b.open(t)
			flushed := func(t testing.TB, want int) []tracingtest.SpanData {
				t.Helper()
				if err := tr.ForceFlush(t.Context()); err != nil {
					t.Errorf("ForceFlush: %v", err)
				}
				got := spans(t, want)
				if len(got) < want {
					t.Fatalf("%s exported %d spans, want %d", b.name, len(got), want)
				}
				return got
			}
			f(t, b, tr, flushed)
		})
	}
}

func one(t testing.TB, spans []tracingtest.SpanData, name string) tracingtest.SpanData {
	t.Helper()
	n := tracingtest.Named(spans, name)
	if len(n) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("want one span named %q, got %d of %v", name, len(n), names)
	}
	return n[0]
}
