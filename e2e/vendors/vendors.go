package vendors

import (
	"sync"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// The vendor harnesses configure each backend as a deployment would and
// read back what it really sent, through the decoders of its test
// package: OTLP/HTTP protobuf (otlptest), the msgpack payloads of the
// Datadog agent API (ddtest) and the thrift datagrams of the jaeger agent
// protocol (jaegertest).

// wait bounds how long a Spans hook waits for spans still on their way.
const wait = 5 * time.Second

// OTelHarness is the OpenTelemetry backend exporting over OTLP/HTTP to an
// in-process receiver. It does not install itself as OpenTelemetry's
// global provider. opts are added to the backend's options (for example a
// propagator).
func OTelHarness(t *testing.T, opts ...otelbackend.Option) httpkittest.Harness {
	t.Helper()
	r := otlptest.Start(t)
	opts = append([]otelbackend.Option{
		otelbackend.WithEndpointURL(r.HTTPURL),
		otelbackend.WithProtocol(otelbackend.ProtocolHTTPProtobuf),
		otelbackend.WithoutGlobal(),
	}, opts...)
	b, err := otelbackend.New(opts...)
	if err != nil {
		t.Fatalf("otelbackend.New: %v", err)
	}
	return httpkittest.Harness{Harness: tracingtest.Harness{Backend: b, Spans: r.Spans}}
}

// ddLogger drops dd-trace-go's log lines: its logger is process-global and
// outlives each test. The tests check outcomes, not logs.
type ddLogger struct{}

func (ddLogger) Log(string) {}

// DatadogHarness is the Datadog backend sending to a fake agent (ddtest)
// that decodes the msgpack payloads. dd-trace-go's tracer is
// process-global: the backend must be shut down before the next harness
// is made (Each does so), and the package's TestMain must be Main.
func DatadogHarness(t *testing.T, opts ...ddbackend.Option) httpkittest.Harness {
	t.Helper()
	a := ddtest.Start(ddtest.Config{SpanEvents: true})
	t.Cleanup(func() {
		if errs := a.Errors(); len(errs) > 0 {
			t.Errorf("the fake Datadog agent could not decode payloads: %v", errs)
		}
		a.Close()
	})
	opts = append([]ddbackend.Option{
		ddbackend.WithAgentURL(a.URL()),
		ddbackend.WithServiceName("mwtest"),
		ddbackend.WithStartOptions(tracer.WithLogger(ddLogger{})),
	}, opts...)
	b, err := ddbackend.New(opts...)
	if err != nil {
		t.Fatalf("ddbackend.New: %v", err)
	}
	ops := &operations{}
	return httpkittest.Harness{
		Harness: tracingtest.Harness{
			Backend: b,
			Spans: func(t testing.TB, want int) []tracingtest.SpanData {
				raw := a.WaitSpans(want, wait)
				ops.keep(raw)
				return ddtest.ToSpanData(raw)
			},
			ValueEqual: ddtest.ValueEqual,
			Sequential: true,
		},
		Operation: ops.get,
	}
}

// operations remembers the Datadog operation name of each span read back,
// which ddtest.ToSpanData replaces by the facade name.
type operations struct {
	mu sync.Mutex
	m  map[tracing.SpanID]string
}

func (o *operations) keep(spans []ddtest.Span) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[tracing.SpanID]string{}
	}
	for _, s := range spans {
		o.m[tracing.SpanIDFromUint64(s.SpanID)] = s.Name
	}
}

func (o *operations) get(id tracing.SpanID) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[id]
}

// JaegerHarness is the jaeger backend (jaeger-client-go) sending thrift
// compact datagrams to a fake UDP agent, sampling every trace that has no
// sampled-out parent.
func JaegerHarness(t *testing.T, opts ...jaegerbackend.Option) httpkittest.Harness {
	t.Helper()
	a := jaegertest.StartAgent(t)
	opts = append([]jaegerbackend.Option{
		jaegerbackend.WithServiceName("mwtest"),
		jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithConfig(func(c *config.Configuration) {
			c.Reporter = &config.ReporterConfig{LocalAgentHostPort: a.Addr(), QueueSize: 10000}
		}),
	}, opts...)
	b, err := jaegerbackend.New(opts...)
	if err != nil {
		t.Fatalf("jaegerbackend.New: %v", err)
	}
	return httpkittest.Harness{Harness: tracingtest.Harness{
		Backend:    b,
		ValueEqual: jaegertest.ValueEqual,
		Spans: func(t testing.TB, want int) []tracingtest.SpanData {
			return a.SpanData(t, want, wait)
		},
	}}
}
