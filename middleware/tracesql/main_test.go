package tracesql

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// The tests of this package drive the wrapper through in-package fakes
// (fakes_test.go, legacy_test.go, alloc_test.go) and need no SQL driver
// and no vendor backend. The tests that run on a real driver
// (modernc.org/sqlite) or on the vendor backends are in the e2e module's
// tracesql package; the comparisons with other instrumentations are in
// the bench module.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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

// spanNames returns the spans' names, in order.
func spanNames(spans []tracingtest.SpanData) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
