package bench

import (
	"context"
	"testing"
	"time"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/opentracing/opentracing-go"
)

// runOps runs op n times under one parent, as loop does.
func runOps(newParent func() (context.Context, func()), op func(context.Context), n int) {
	ctx, end := newParent()
	for range n {
		op(ctx)
	}
	end()
}

// TestBothSidesExport checks that the two sides of each span comparison
// do the same work: with the same set-up, the facade and the vendor's SDK
// used directly deliver the same spans to their sinks (a side that dropped
// or never exported its spans would look cheaper).
func TestBothSidesExport(t *testing.T) {
	const n = 10 // children; each side also ends one parent
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("otel", func(t *testing.T) {
		fe, ve := &discardExporter{}, &discardExporter{}
		tr := otelBackendWith(t, true, fe)
		tp := otelProviderWith(t, true, ve)
		np, op := facadeOps(tr)
		runOps(np, op, n)
		np, op = otelOps(tp.Tracer("bench"))
		runOps(np, op, n)
		if err := tr.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := tp.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		if f, v := fe.n.Load(), ve.n.Load(); f != n+1 || v != n+1 {
			t.Errorf("exported spans: facade %d, vendor %d, want %d each", f, v, n+1)
		}
	})

	t.Run("jaeger", func(t *testing.T) {
		fs, vs := startUDPSink(t), startUDPSink(t)
		tr := newJaegerBackend(t, true, fs.Addr())
		jt := newJaegerTracer(t, true, vs.Addr())
		np, op := facadeOps(tr)
		runOps(np, op, n)
		runOps(func() (context.Context, func()) {
			p, ctx := opentracing.StartSpanFromContextWithTracer(context.Background(), jt, "parent")
			return ctx, p.Finish
		}, func(ctx context.Context) {
			sp, _ := opentracing.StartSpanFromContextWithTracer(ctx, jt, "op")
			sp.Finish()
		}, n)
		if err := tr.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if s := tr.Stats(); s.Exported != n+1 {
			t.Errorf("facade: %+v, want %d spans exported", s, n+1)
		}
		// jaeger-client-go flushes its reporter every second.
		deadline := time.Now().Add(10 * time.Second)
		for (fs.packets.Load() == 0 || vs.packets.Load() == 0) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if fs.packets.Load() == 0 || vs.packets.Load() == 0 {
			t.Errorf("UDP datagrams: facade %d, vendor %d, want some from each", fs.packets.Load(), vs.packets.Load())
		}
	})

	t.Run("datadog", func(t *testing.T) {
		for _, side := range []string{"facade", "vendor"} {
			tr := newDDBackend(t, true)
			if side == "facade" {
				np, op := facadeOps(tr)
				runOps(np, op, n)
			} else {
				runOps(func() (context.Context, func()) {
					p, ctx := v2tracer.StartSpanFromContext(context.Background(), "parent")
					return ctx, func() { p.Finish() }
				}, func(ctx context.Context) {
					sp, _ := v2tracer.StartSpanFromContext(ctx, "op")
					sp.Finish()
				}, n)
			}
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			// The backend counts the spans of every upload to the agent,
			// whichever API started them.
			if s := tr.Stats(); s.Exported != n+1 {
				t.Errorf("%s: %+v, want %d spans delivered to the agent", side, s, n+1)
			}
		}
	})

}
