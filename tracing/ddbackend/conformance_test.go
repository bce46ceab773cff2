package ddbackend_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// rig runs the backend's tracingtest suites with spans read back from the
// msgpack payloads the tracer sent to a fake agent.
var rig = tracingtest.Rig{
	Start: func(t *testing.T, s tracingtest.Setup) (tracingtest.Harness, error) {
		tracingtest.IsolateEnv(t, s.Env)
		// The payload limit is above what dd-trace-go sends (it flushes a
		// payload once it passes 5 MiB), below a 10 MB value.
		a := newAgent(t, ddtest.Config{SpanEvents: true, MaxPayload: 8 << 20})
		a.SetFault(s.Fault)
		opts := []any{ddbackend.WithAgentURL(s.Endpoint(t, a.URL())), ddbackend.WithServiceName("conformance"), withDDLog()}
		for _, o := range tracingtest.LimitOptions(s.Limits, ddbackend.WithAttributeValueLengthLimit,
			ddbackend.WithAttributeCountLimit, ddbackend.WithEventCountLimit) {
			opts = append(opts, o)
		}
		// Through tracing.Open, whose context bounds the agent requests
		// New makes (dd-trace-go asks for /info).
		tr, err := tracing.Open(s.Context, "datadog", tracing.WithoutSummary(), tracing.WithBackendOptions(opts...))
		if err != nil {
			return tracingtest.Harness{}, err
		}
		b := tr.Backend()
		t.Cleanup(func() { tracingtest.Shutdown(t, b) })
		return tracingtest.Harness{
			Backend: b,
			Spans: func(t testing.TB, want int) []tracingtest.SpanData {
				return a.SpanData(t, want, 5*time.Second)
			},
			ValueEqual: ddtest.ValueEqual,
			// dd-trace-go's tracer is process-global: one Datadog backend
			// is active per process (New returns ErrActive for a second),
			// so RemoteParent shuts the first down before starting the
			// "remote" one. TestCrossProcessPropagation also proves it
			// across two real processes. The fault tests prove, in turn,
			// that a backend shut down against a misbehaving agent lets
			// the next one start.
			Sequential:   true,
			WaitAttempts: a.WaitAttempts,
			Refused:      a.Rejected,
		}, nil
	},
	// Retries stays false: dd-trace-go does not retry an upload that
	// failed.
	TraceQueue:   1000, // dd-trace-go's, a constant
	ValueLimits:  tracingtest.ValueLimits{Attr: 25000, Event: 25000},
	PayloadLimit: "8 MiB per payload (ddtest.Config.MaxPayload), as the agent refuses one past its limit",
}

// TestSuites runs tracingtest's suites: conformance, faults, limits and
// lossless.
func TestSuites(t *testing.T) { tracingtest.RunAll(t, rig) }

func bg() context.Context { return context.Background() }
