package otelbackend_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
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

// isolateEnv clears the tracing variables of the machine running the
// tests, so that only what a test sets applies.
func isolateEnv(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OTEL_") || strings.HasPrefix(k, "DD_") || strings.HasPrefix(k, "JAEGER_") || k == tracing.EnvBackend {
			t.Setenv(k, "")
		}
	}
}

// newBackend returns a backend exporting to r over proto, shut down when
// the test ends.
func newBackend(t testing.TB, r *otlptest.Receiver, proto otelbackend.Protocol, opts ...otelbackend.Option) *otelbackend.Backend {
	t.Helper()
	url := r.HTTPURL
	if proto == otelbackend.ProtocolGRPC {
		url = r.GRPCURL
	}
	opts = append([]otelbackend.Option{otelbackend.WithEndpointURL(url), otelbackend.WithProtocol(proto), otelbackend.WithoutGlobal()}, opts...)
	b, err := otelbackend.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, b) })
	return b
}

func shutdown(t testing.TB, b tracing.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func flush(t testing.TB, b *otelbackend.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
}

// TestConformance runs the suite over both OTLP transports; the Spans hook
// decodes the protobuf the backend really sent to an in-process receiver.
func TestConformance(t *testing.T) {
	for _, proto := range []otelbackend.Protocol{otelbackend.ProtocolHTTPProtobuf, otelbackend.ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			isolateEnv(t)
			tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
				r := otlptest.Start(t)
				return tracingtest.Harness{Backend: newBackend(t, r, proto), Spans: r.Spans}
			})
		})
	}
}
