package ddbackend_test

import (
	"context"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Attribute values are variables, as request data is: a constant string
// passed to dd-trace-go's SetTag(key, any) would not need boxing, a value
// from a request does, through either API.
var (
	benchRoute = "/notes/{id}"
	benchCount = 42
	benchHit   = true
)

// loop runs f b.N times and also reports the process's CPU time per
// operation (cpu-ns/op), which includes dd-trace-go's background encoding
// and upload of the spans and is much steadier than wall time when other
// processes compete for the CPU.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	defer tracingtest.ReportCPU(b)()
	for b.Loop() {
		f()
	}
}

// BenchmarkSpan compares, in one run and under the same running tracer,
// a span started, given three attributes and ended through the facade
// (impl=facade) with the same through dd-trace-go's v2 API (impl=ddv2,
// which the backend drives; the v1 API delegates to it). shape=root is a sampled root span; shape=nested a root and a child
// carrying the attributes. Compare with
//
//	go test -c -o dd.test
//	for i in $(seq 6); do ./dd.test -test.run '^$' -test.bench Span -test.benchmem; done > bench.txt
//	benchstat -col /impl bench.txt
//
// (one run per round, so that the variants are measured close together in
// time rather than each six times in a row).
func BenchmarkSpan(b *testing.B) {
	a := ddtest.Start(ddtest.Config{Discard: true})
	defer a.Close()
	be := newBackend(b, a)
	tr := tracing.New(be)
	bg := context.Background()

	b.Run("shape=root/impl=facade", func(b *testing.B) {
		loop(b, func() {
			_, sp := tr.Start(bg, "op")
			sp.SetAttrs(tracing.String("http.route", benchRoute), tracing.Int("note.count", benchCount), tracing.Bool("cache.hit", benchHit))
			sp.End()
		})
	})
	b.Run("shape=root/impl=ddv2", func(b *testing.B) {
		loop(b, func() {
			sp, _ := v2tracer.StartSpanFromContext(bg, "op")
			sp.SetTag("http.route", benchRoute)
			sp.SetTag("note.count", benchCount)
			sp.SetTag("cache.hit", benchHit)
			sp.Finish()
		})
	})
	b.Run("shape=nested/impl=facade", func(b *testing.B) {
		loop(b, func() {
			ctx, root := tr.Start(bg, "root")
			_, sp := tr.Start(ctx, "op")
			sp.SetAttrs(tracing.String("http.route", benchRoute), tracing.Int("note.count", benchCount), tracing.Bool("cache.hit", benchHit))
			sp.End()
			root.End()
		})
	})
	b.Run("shape=nested/impl=ddv2", func(b *testing.B) {
		loop(b, func() {
			root, ctx := v2tracer.StartSpanFromContext(bg, "root")
			sp, _ := v2tracer.StartSpanFromContext(ctx, "op")
			sp.SetTag("http.route", benchRoute)
			sp.SetTag("note.count", benchCount)
			sp.SetTag("cache.hit", benchHit)
			sp.Finish()
			root.Finish()
		})
	})
}
