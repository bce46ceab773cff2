package jaegerbackend_test

import (
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// agentEnv points the backend at a, samples everything and gives the
// reporter a queue of 10,000 spans, with extra added, the machine's
// tracing variables cleared.
func agentEnv(t testing.TB, a *jaegertest.Agent, extra map[string]string) {
	t.Helper()
	host, port := a.HostPort()
	vars := map[string]string{
		"JAEGER_SERVICE_NAME": "conformance", "JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port,
		"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1", "JAEGER_REPORTER_MAX_QUEUE_SIZE": "10000",
	}
	maps.Copy(vars, extra)
	tracingtest.IsolateEnv(t, vars)
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

// rig runs the backend's tracingtest suites over transport: "udp" to a
// fake agent, decoding the thrift compact datagrams the client sent, or
// "http" to a fake collector, decoding the thrift binary bodies it posted.
// The backend is configured from the environment, with defaults otherwise.
func rig(transport string) tracingtest.Rig {
	rig := tracingtest.Rig{
		Start: func(t *testing.T, s tracingtest.Setup) (tracingtest.Harness, error) {
			vars := map[string]string{"JAEGER_SERVICE_NAME": "conformance", "JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"}
			h := tracingtest.Harness{ValueEqual: jaegertest.ValueEqual}
			if transport == "udp" {
				a := jaegertest.StartAgent(t)
				vars["JAEGER_AGENT_HOST"], vars["JAEGER_AGENT_PORT"] = a.HostPort()
				if s.Down {
					a.Close() // nothing listens on its port any more
				}
				h.Spans = func(t testing.TB, want int) []tracingtest.SpanData { return a.SpanData(t, want, wait) }
			} else {
				c := jaegertest.StartCollector(t)
				c.SetFault(s.Fault)
				vars["JAEGER_ENDPOINT"] = s.Endpoint(t, c.URL())
				h.Spans = func(t testing.TB, want int) []tracingtest.SpanData { return c.SpanData(t, want, wait) }
				h.WaitAttempts = c.WaitAttempts
			}
			if s.QueueSize != 0 {
				vars["JAEGER_REPORTER_MAX_QUEUE_SIZE"] = strconv.Itoa(s.QueueSize)
			}
			maps.Copy(vars, s.Env)
			tracingtest.IsolateEnv(t, vars)
			b, err := jaegerbackend.New(tracingtest.LimitOptions(s.Limits, jaegerbackend.WithAttributeValueLengthLimit,
				jaegerbackend.WithAttributeCountLimit, jaegerbackend.WithEventCountLimit)...)
			if err != nil {
				return tracingtest.Harness{}, err
			}
			t.Cleanup(func() { tracingtest.Shutdown(t, b) })
			h.Backend = b
			return h, nil
		},
		// Tags keep jaeger-client-go's 256 characters, log fields (events,
		// errors) DefaultLogFieldLength.
		ValueLimits: tracingtest.ValueLimits{Attr: jaeger.DefaultMaxTagValueLength, Event: jaegerbackend.DefaultLogFieldLength},
		Skip: map[string]string{"Limits/AttributeCountKeepsUpdates": "jaeger-client-go appends a tag for every write, " +
			"a key set again included, so the attribute count limit counts writes (see WithAttributeCountLimit)"},
	}
	if transport == "http" {
		// The HTTP transport holds up to 100 spans besides the queue,
		// and the reporter one it is appending.
		rig.Queue, rig.InFlight = jaegerbackend.DefaultQueueSize, 101
	}
	if transport == "udp" {
		// UDP says nothing of delivery (jaeger-client-go does not even see
		// the kernel's port-unreachable answers): datagrams sent without
		// error count as exported, a limit of the transport that Stats
		// documents.
		rig.Unacknowledged = true
		// A span that does not fit in one datagram is dropped, and
		// counted; the others still arrive.
		rig.PayloadLimit = "one UDP datagram (65,000 bytes)"
	}
	return rig
}

// TestSuites runs tracingtest's suites (conformance, faults, limits,
// lossless) over the UDP agent and the HTTP collector transports.
func TestSuites(t *testing.T) {
	for _, transport := range []string{"udp", "http"} {
		t.Run(transport, func(t *testing.T) { tracingtest.RunAll(t, rig(transport)) })
	}
}
