package jaegerbackend_test

import (
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// jaegerVars are the variables config.FromEnv and the backend read; tests
// set them all so that the machine's environment does not leak in.
var jaegerVars = []string{
	"JAEGER_SERVICE_NAME", "JAEGER_DISABLED", "JAEGER_RPC_METRICS", "JAEGER_TAGS", "JAEGER_SAMPLER_TYPE",
	"JAEGER_SAMPLER_PARAM", "JAEGER_SAMPLER_MANAGER_HOST_PORT", "JAEGER_SAMPLING_ENDPOINT",
	"JAEGER_SAMPLER_MAX_OPERATIONS", "JAEGER_SAMPLER_REFRESH_INTERVAL", "JAEGER_REPORTER_MAX_QUEUE_SIZE",
	"JAEGER_REPORTER_FLUSH_INTERVAL", "JAEGER_REPORTER_LOG_SPANS", "JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED",
	"JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL", "JAEGER_ENDPOINT", "JAEGER_USER", "JAEGER_PASSWORD",
	"JAEGER_AGENT_HOST", "JAEGER_AGENT_PORT", "JAEGER_TRACEID_128BIT", jaegerbackend.EnvPropagation,
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "DD_SERVICE", "DD_ENV", "DD_VERSION", "DD_TAGS",
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
	"OTEL_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
}

// setEnv clears the variables above and sets vars, for the test's
// duration.
func setEnv(t testing.TB, vars map[string]string) {
	t.Helper()
	for _, k := range jaegerVars {
		t.Setenv(k, "")
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// agentEnv points the backend at a, samples everything and gives the
// reporter a queue long enough for the suite's bursts.
func agentEnv(t testing.TB, a *jaegertest.Agent, extra map[string]string) {
	t.Helper()
	host, port := a.HostPort()
	vars := map[string]string{
		"JAEGER_SERVICE_NAME": "conformance", "JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port,
		"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1", "JAEGER_REPORTER_MAX_QUEUE_SIZE": "10000",
	}
	for k, v := range extra {
		vars[k] = v
	}
	setEnv(t, vars)
}

// newAgentBackend returns a backend configured from the environment to
// send to a fresh agent.
func newAgentBackend(t testing.TB, extra map[string]string, opts ...jaegerbackend.Option) (*jaegerbackend.Backend, *jaegertest.Agent) {
	t.Helper()
	a := jaegertest.StartAgent(t)
	agentEnv(t, a, extra)
	b, err := jaegerbackend.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b, a
}

const wait = 5 * time.Second

// TestConformanceUDP runs the suite against the UDP agent transport,
// decoding the thrift compact datagrams the client sent.
func TestConformanceUDP(t *testing.T) {
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		b, a := newAgentBackend(t, nil)
		return tracingtest.Harness{
			Backend:    b,
			ValueEqual: jaegertest.ValueEqual,
			Spans: func(t testing.TB, want int) []tracingtest.SpanData {
				return a.SpanData(t, want, wait)
			},
		}
	})
}

// TestConformanceHTTP runs the suite against the HTTP collector
// transport, decoding the thrift binary bodies the client posted.
func TestConformanceHTTP(t *testing.T) {
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		c := jaegertest.StartCollector(t)
		setEnv(t, map[string]string{
			"JAEGER_SERVICE_NAME": "conformance", "JAEGER_ENDPOINT": c.URL(),
			"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1", "JAEGER_REPORTER_MAX_QUEUE_SIZE": "10000",
		})
		b, err := jaegerbackend.New()
		if err != nil {
			t.Fatal(err)
		}
		return tracingtest.Harness{
			Backend:    b,
			ValueEqual: jaegertest.ValueEqual,
			Spans: func(t testing.TB, want int) []tracingtest.SpanData {
				return c.SpanData(t, want, wait)
			},
		}
	})
}
