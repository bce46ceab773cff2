package ddbackend_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func startEndMany(tr *tracing.Tracer, n int) {
	for i := range n {
		ctx, root := tr.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer),
			tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("i", i)))
		_, child := tr.Start(ctx, "child")
		child.End()
		root.End()
	}
}

// TestStats: spans delivered and spans ended after Shutdown.
func TestStats(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	startEndMany(tr, 50)
	_, straddling := tr.Start(context.Background(), "straddling")
	tracingtest.Shutdown(t, b)
	straddling.End()
	want := tracing.Stats{Ended: 101, Exported: 100, Dropped: 1, DroppedBy: tracing.DropCounts{AfterShutdown: 1}}
	if st := tr.Stats(); st != want {
		t.Errorf("Stats %+v, want 100 exported, 1 dropped after Shutdown", st)
	}
	if n := len(a.Spans()); n != 100 {
		t.Errorf("agent received %d spans", n)
	}
}

// TestUnixSocketAgent: the backend's own transport dials the agent's Unix
// socket for a unix:// agent URL, as dd-trace-go's does.
func TestUnixSocketAgent(t *testing.T) {
	dir, err := os.MkdirTemp("", "ddsock")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	a, err := ddtest.StartUnix(ddtest.Config{}, filepath.Join(dir, "apm.socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := ddbackend.New(ddbackend.WithAgentURL("unix://"+filepath.Join(dir, "apm.socket")), withDDLog())
	if err != nil {
		t.Fatal(err)
	}
	if d := b.Summary().Destination; d != "unix://"+filepath.Join(dir, "apm.socket") {
		t.Errorf("destination %q", d)
	}
	_, sp := tracing.New(b).Start(context.Background(), "over-uds")
	sp.End()
	tracingtest.Shutdown(t, b)
	if s := ddtest.SpanNamed(t, a.Spans(), "over-uds"); s.Name != "over-uds" {
		t.Error(s)
	}
	if a.Requests()["/info"] != 1 {
		t.Errorf("requests %v", a.Requests())
	}
}
