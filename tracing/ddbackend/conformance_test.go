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

// spanNamed returns the one span named name (by operation or facade name).
func spanNamed(t *testing.T, spans []ddtest.Span, name string) ddtest.Span {
	t.Helper()
	var found []ddtest.Span
	for _, s := range spans {
		if s.Name == name || ddtest.FacadeName(s) == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name+"/"+s.Resource)
		}
		t.Fatalf("want one span named %q, got %d among %v", name, len(found), names)
	}
	return found[0]
}

// spanWithResource returns the one span whose resource is resource.
func spanWithResource(t *testing.T, spans []ddtest.Span, resource string) ddtest.Span {
	t.Helper()
	var found []ddtest.Span
	for _, s := range spans {
		if s.Resource == resource {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span with resource %q, got %d", resource, len(found))
	}
	return found[0]
}

func bg() context.Context { return context.Background() }
