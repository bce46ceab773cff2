package tracingtest_test

import (
	"testing"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestRecorderConformance(t *testing.T) {
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		r := tracingtest.NewRecorder()
		return tracingtest.Harness{
			Backend: r,
			Spans: func(_ testing.TB, want int) []tracingtest.SpanData {
				return r.Spans()
			},
		}
	})
}
