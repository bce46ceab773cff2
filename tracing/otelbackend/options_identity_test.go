package otelbackend_test

import (
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestIdentityOptions: the identity options win over the environment and
// reach the exported resource.
func TestIdentityOptions(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	r := otlptest.Start(t)
	b := newBackend(t, r, otelbackend.ProtocolHTTPProtobuf,
		otelbackend.WithServiceName("from-code"), otelbackend.WithEnvironment("staging"), otelbackend.WithVersion("1.2.3"))
	if s := b.Summary(); s.Service != "from-code" || s.Environment != "staging" || s.Version != "1.2.3" {
		t.Errorf("summary %+v", s)
	}
	_, sp := tracing.New(b).Start(t.Context(), "x")
	sp.End()
	tracingtest.Flush(t, b)
	raw := r.Raw(1)
	if len(raw) == 0 {
		t.Fatal("no span exported")
	}
	for k, want := range map[string]string{"service.name": "from-code", "deployment.environment.name": "staging", "service.version": "1.2.3"} {
		if got := raw[0].ResourceAttr(k); got != want {
			t.Errorf("resource %s = %q, want %q", k, got, want)
		}
	}
}
