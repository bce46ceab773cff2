package tracing_test

import (
	"context"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// BenchmarkStartEnd measures span start + 3 attributes + end, nested under
// a parent, on the none backend and on the in-memory recorder (whose spans
// are dropped as they end, to keep memory flat).
func BenchmarkStartEnd(b *testing.B) {
	rec := tracingtest.NewRecorder()
	tracers := []struct {
		name string
		tr   *tracing.Tracer
	}{
		{"none", tracing.New(tracing.NoopBackend())},
		{"recorder", tracing.New(discarding{rec})},
	}
	for _, tc := range tracers {
		ctx, parent := tc.tr.Start(context.Background(), "parent")
		b.Run(tc.name+"/options", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, sp := tc.tr.Start(ctx, "op", tracing.WithAttrs(
					tracing.String("http.route", "/notes/{id}"), tracing.Int("items", 3), tracing.Bool("cache.hit", true)))
				sp.End()
			}
		})
		b.Run(tc.name+"/setattrs", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, sp := tc.tr.Start(ctx, "op")
				sp.SetAttrs(tracing.String("http.route", "/notes/{id}"), tracing.Int("items", 3), tracing.Bool("cache.hit", true))
				sp.End()
			}
		})
		parent.End()
	}
}

// discarding wraps the recorder and forgets its spans, so a long benchmark
// does not grow memory.
type discarding struct{ *tracingtest.Recorder }

func (d discarding) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	d.Reset()
	return d.Recorder.Start(ctx, name, cfg)
}

func BenchmarkInjectExtract(b *testing.B) {
	tr := tracing.New(tracingtest.NewRecorder())
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	b.ReportAllocs()
	for b.Loop() {
		c := tracing.MapCarrier{}
		tr.Inject(ctx, c)
		_ = tr.Extract(context.Background(), c)
	}
}
