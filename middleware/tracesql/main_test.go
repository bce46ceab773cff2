package tracesql

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/polytrace/polytrace/middleware/internal/mwtest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestMain runs the tests in a hermetic environment (dd-trace-go's side
// services off) and checks for leaked goroutines: see mwtest.Main.
func TestMain(m *testing.M) { mwtest.Main(m) }

var nameSeq atomic.Int64

// uniqueName returns a driver name not registered yet, so that tests can
// run with -count > 1.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}

// newRecorder returns a recorder and a context carrying a "request" span
// of its tracer, which the test ends.
func newRecorder(t testing.TB) (*tracingtest.Recorder, *tracing.Tracer, context.Context, tracing.Span) {
	t.Helper()
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	ctx, span := tr.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer))
	return rec, tr, ctx, span
}
