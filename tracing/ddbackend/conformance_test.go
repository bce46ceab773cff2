package ddbackend_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestConformance runs the suite with spans read back from the msgpack
// payloads the tracer sent to a fake agent.
func TestConformance(t *testing.T) {
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		a := newAgent(t, ddtest.Config{SpanEvents: true})
		b := newBackend(t, a, ddbackend.WithServiceName("conformance"))
		return tracingtest.Harness{
			Backend: b,
			Spans: func(t testing.TB, want int) []tracingtest.SpanData {
				return ddtest.ToSpanData(a.WaitSpans(want, 5*time.Second))
			},
			ValueEqual: ddtest.ValueEqual,
			// dd-trace-go's tracer is process-global: one Datadog backend
			// is active per process (New returns ErrActive for a second),
			// so RemoteParent shuts the first down before starting the
			// "remote" one. TestCrossProcessPropagation also proves it
			// across two real processes.
			Sequential: true,
		}
	})
}

func bg() context.Context { return context.Background() }
