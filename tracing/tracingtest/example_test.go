package tracingtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleRecorder() {
	rec := tracingtest.NewRecorder()
	tracer := rec.Tracer()

	ctx, parent := tracer.Start(context.Background(), "parent")
	_, child := tracer.Start(ctx, "child", tracing.WithAttrs(tracing.Int("n", 1)))
	child.End()
	parent.End()

	spans := rec.Spans()
	p, _ := rec.Span("parent")
	kids := tracingtest.Children(spans, p)
	fmt.Println(len(spans), kids[0].Name, kids[0].AttrString("n"))
	// Output: 2 child 1
}

// A backend's own test runs the conformance suite with a hook that decodes
// what the backend sent; for the recorder the spans are in memory.
func ExampleRun() {
	var t *testing.T // in a real test, the test's *testing.T
	if t == nil {
		return
	}
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		rec := tracingtest.NewRecorder()
		return tracingtest.Harness{
			Backend: rec,
			Spans:   func(testing.TB, int) []tracingtest.SpanData { return rec.Spans() },
		}
	})
}

// A backend that exports to a collector runs every suite with a Rig: how
// to start it against a fake receiver set up as each test says. Here the
// recorder stands in for the backend and its receiver.
func ExampleRunAll() {
	var t *testing.T // in a real test, the test's *testing.T
	if t == nil {
		return
	}
	tracingtest.RunAll(t, tracingtest.Rig{
		Start: func(t *testing.T, s tracingtest.Setup) (tracingtest.Harness, error) {
			// A real rig starts its receiver, applies s.Fault, s.Env,
			// s.QueueSize and s.Limits, and points the backend at
			// s.Endpoint(t, receiverURL).
			rec := tracingtest.NewRecorder()
			return tracingtest.Harness{
				Backend: rec,
				Spans:   func(testing.TB, int) []tracingtest.SpanData { return rec.Spans() },
			}, nil
		},
		ValueLimits: tracingtest.ValueLimits{Attr: 25000, Event: 25000},
	})
}
