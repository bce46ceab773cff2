package otelbackend_test

import (
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) {
	// Several tests make exports fail on purpose (a black-hole collector,
	// an exporter that refuses); the SDK reports each failure to
	// OpenTelemetry's global error handler, which would log it. The tests
	// check the outcomes themselves.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	goleak.VerifyTestMain(m)
}

// protocols are the OTLP transports.
var protocols = []otelbackend.Protocol{otelbackend.ProtocolHTTPProtobuf, otelbackend.ProtocolGRPC}

// endpoint returns r's URL for proto.
func endpoint(r *otlptest.Receiver, proto otelbackend.Protocol) string {
	if proto == otelbackend.ProtocolGRPC {
		return r.GRPCURL
	}
	return r.HTTPURL // per-signal URLs are used as they are
}

// open returns a backend exporting to url over proto, shut down when the
// test ends.
func open(t testing.TB, url string, proto otelbackend.Protocol, opts ...otelbackend.Option) (*otelbackend.Backend, error) {
	t.Helper()
	opts = append([]otelbackend.Option{otelbackend.WithEndpointURL(url), otelbackend.WithProtocol(proto), otelbackend.WithoutGlobal()}, opts...)
	b, err := otelbackend.New(opts...)
	if err == nil {
		t.Cleanup(func() { tracingtest.Shutdown(t, b) })
	}
	return b, err
}

// newBackend returns a backend exporting to r over proto, shut down when
// the test ends.
func newBackend(t testing.TB, r *otlptest.Receiver, proto otelbackend.Protocol, opts ...otelbackend.Option) *otelbackend.Backend {
	t.Helper()
	b, err := open(t, endpoint(r, proto), proto, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rig runs the backend's tracingtest suites over proto, with the spans
// decoded from the protobuf the backend really sent to otlptest's
// receiver.
func rig(proto otelbackend.Protocol) tracingtest.Rig {
	rig := tracingtest.Rig{
		Start: func(t *testing.T, s tracingtest.Setup) (tracingtest.Harness, error) {
			tracingtest.IsolateEnv(t, s.Env)
			r := otlptest.Start(t)
			r.SetFault(s.Fault)
			var opts []otelbackend.Option
			if s.QueueSize != 0 {
				opts = append(opts, otelbackend.WithBatchOptions(sdktrace.WithMaxQueueSize(s.QueueSize)))
			}
			if l := s.Limits; l != nil {
				opts = append(opts, otelbackend.WithSpanLimits(sdktrace.SpanLimits{
					AttributeValueLengthLimit: l.ValueLen, AttributeCountLimit: l.Attrs, EventCountLimit: l.Events}))
			}
			b, err := open(t, s.Endpoint(t, endpoint(r, proto)), proto, opts...)
			if err != nil {
				return tracingtest.Harness{}, err
			}
			return tracingtest.Harness{Backend: b, Spans: r.Spans, WaitAttempts: r.WaitAttempts}, nil
		},
		// The OTLP exporters retry 429, 502, 503, 504 and gRPC's
		// Unavailable (a refused connection) with a backoff.
		Retries: true,
		Queue:   otelbackend.DefaultMaxQueueSize, InFlight: sdktrace.DefaultMaxExportBatchSize,
		ValueLimits: tracingtest.ValueLimits{Attr: otelbackend.DefaultAttributeValueLengthLimit,
			Event: otelbackend.DefaultAttributeValueLengthLimit},
	}
	if proto == otelbackend.ProtocolGRPC {
		// otlptest's gRPC server keeps gRPC's (and the OpenTelemetry
		// Collector's) limit; its OTLP/HTTP handler has none.
		rig.PayloadLimit, rig.LosesBatch = "4 MiB per OTLP/gRPC request", true
	}
	return rig
}

// TestSuites runs tracingtest's suites (conformance, faults, limits,
// lossless) over both OTLP transports.
func TestSuites(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) { tracingtest.RunAll(t, rig(proto)) })
	}
}
