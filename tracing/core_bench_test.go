package tracing_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// coreBackend does the least a backend must: it reads the configuration's
// attributes (as a backend converting them would) and returns one shared
// span that also reads what it is given. BenchmarkFacadeCore over it
// measures what the facade itself costs per span.
type coreBackend struct{}

type coreSpan struct{}

var coreSink int

func (*coreBackend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	for i := range cfg.Attrs.Len() {
		coreSink += len(cfg.Attrs.At(i).Key)
	}
	return ctx, tracing.NewSpan(theCoreSpan)
}
func (*coreBackend) Shutdown(context.Context) error { return nil }

var theCoreSpan = &coreSpan{}

func (*coreSpan) SpanContext() tracing.SpanContext { return tracing.SpanContext{} }
func (*coreSpan) IsRecording() bool                { return true }
func (*coreSpan) SetName(string)                   {}
func (*coreSpan) SetAttrs(a tracing.Attrs) {
	for i := range a.Len() {
		coreSink += len(a.At(i).Key)
	}
}
func (*coreSpan) AddEvent(string, time.Time, tracing.Attrs) {}
func (*coreSpan) RecordError(tracing.ErrorInfo)             {}
func (*coreSpan) SetStatus(tracing.StatusCode, string)      {}
func (*coreSpan) End(time.Time)                             {}

func BenchmarkFacadeCore(b *testing.B) {
	tr := tracing.New(&coreBackend{})
	ctx := context.Background()
	route := "/notes/{id}"
	b.Run("options", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, sp := tr.Start(ctx, "op", tracing.WithKind(tracing.SpanKindServer), tracing.WithAttrs(
				tracing.String("http.route", route), tracing.Int("items", 3), tracing.Bool("cache.hit", true)))
			sp.End()
		}
	})
	b.Run("setattrs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, sp := tr.Start(ctx, "op")
			sp.SetAttrs(tracing.String("http.route", route), tracing.Int("items", 3), tracing.Bool("cache.hit", true))
			sp.End()
		}
	})
	b.Run("noattrs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, sp := tr.Start(ctx, "op")
			sp.End()
		}
	})
}
