package consoletest_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console/consoletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLossless10k: every one of 10,000 spans ended in a tight loop is
// written, once, and reads back.
func TestLossless10k(t *testing.T) {
	b, written := consoletest.Start()
	tr := tracing.New(b)
	const n = 10000
	for i := range n {
		_, sp := tr.Start(context.Background(), "lossless", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[tracing.SpanID]bool{}
	for _, d := range written(t) {
		if seen[d.SpanID] {
			t.Fatalf("span %s written twice", d.SpanID)
		}
		seen[d.SpanID] = true
	}
	if len(seen) != n {
		t.Errorf("%d of %d spans written", len(seen), n)
	}
	if st := tr.Stats(); st != (tracing.Stats{Ended: n, Exported: n}) {
		t.Errorf("stats %+v, want %d ended and written, none dropped", st, n)
	}
}
