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
