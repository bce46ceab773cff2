package jaegerbackend_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
)

// Values the benchmarks record, in variables so that, as in a real
// service, they are not constants the compiler could box statically.
var (
	benchMethod = "GET"
	benchRoute  = "/notes/{id}"
	benchStatus = 200
)

// BenchmarkSpan compares a span started, given three attributes and ended
// through the facade over this backend (impl=facade) with the same through
// jaeger-client-go used directly (impl=jaeger): the same sampler (const,
// always) and reporter (null), 128-bit ids. Both start from a context and
// return one carrying the span, as instrumented code does
// (opentracing.StartSpanFromContextWithTracer for jaeger); case=root
// starts a new trace each time, case=nested a child of a running span.
// Compare with: benchstat -col /impl bench.txt
func BenchmarkSpan(b *testing.B) {
	for _, c := range []string{"root", "nested"} {
		b.Run("case="+c+"/impl=jaeger", func(b *testing.B) {
			tr, closer, err := config.Configuration{ServiceName: "bench", Gen128Bit: true}.NewTracer(
				config.Sampler(jaeger.NewConstSampler(true)), config.Reporter(jaeger.NewNullReporter()))
			if err != nil {
				b.Fatal(err)
			}
			defer closer.Close()
			ctx := context.Background()
			if c == "nested" {
				var parent opentracing.Span
				parent, ctx = opentracing.StartSpanFromContextWithTracer(ctx, tr, "parent")
				defer parent.Finish()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				sp, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "GET /notes/{id}")
				sp.SetTag("http.method", benchMethod)
				sp.SetTag("http.route", benchRoute)
				sp.SetTag("http.status_code", benchStatus)
				sp.Finish()
			}
		})
		b.Run("case="+c+"/impl=facade", func(b *testing.B) {
			be, err := jaegerbackend.New(jaegerbackend.WithServiceName("bench"),
				jaegerbackend.WithSampler(jaeger.NewConstSampler(true)), jaegerbackend.WithReporter(jaeger.NewNullReporter()))
			if err != nil {
				b.Fatal(err)
			}
			tr := tracing.New(be)
			defer tr.Shutdown(context.Background())
			ctx := context.Background()
			if c == "nested" {
				var parent tracing.Span
				ctx, parent = tr.Start(ctx, "parent")
				defer parent.End()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_, sp := tr.Start(ctx, "GET /notes/{id}")
				sp.SetAttrs(tracing.String("http.request.method", benchMethod),
					tracing.String("http.route", benchRoute),
					tracing.Int("http.response.status_code", benchStatus))
				sp.End()
			}
		})
	}
}

// BenchmarkSpanPaired does the work of BenchmarkSpan, both impls in
// alternating blocks of 1000 spans (the order swapped every block), and
// reports the median over blocks of each impl's ns/op and of their ratio
// (facade/jaeger). On a shared machine whose load changes by the second,
// both impls then meet the same conditions, which separate benchmark runs
// do not guarantee.
func BenchmarkSpanPaired(b *testing.B) {
	for _, c := range []string{"root", "nested"} {
		b.Run("case="+c, func(b *testing.B) {
			jt, closer, err := config.Configuration{ServiceName: "bench", Gen128Bit: true}.NewTracer(
				config.Sampler(jaeger.NewConstSampler(true)), config.Reporter(jaeger.NewNullReporter()))
			if err != nil {
				b.Fatal(err)
			}
			defer closer.Close()
			be, err := jaegerbackend.New(jaegerbackend.WithServiceName("bench"),
				jaegerbackend.WithSampler(jaeger.NewConstSampler(true)), jaegerbackend.WithReporter(jaeger.NewNullReporter()))
			if err != nil {
				b.Fatal(err)
			}
			ft := tracing.New(be)
			defer ft.Shutdown(context.Background())
			jctx, fctx := context.Background(), context.Background()
			if c == "nested" {
				var jp opentracing.Span
				jp, jctx = opentracing.StartSpanFromContextWithTracer(jctx, jt, "parent")
				defer jp.Finish()
				var fp tracing.Span
				fctx, fp = ft.Start(fctx, "parent")
				defer fp.End()
			}
			const block = 1000
			runJ := func() time.Duration {
				t0 := time.Now()
				for range block {
					sp, _ := opentracing.StartSpanFromContextWithTracer(jctx, jt, "GET /notes/{id}")
					sp.SetTag("http.method", benchMethod)
					sp.SetTag("http.route", benchRoute)
					sp.SetTag("http.status_code", benchStatus)
					sp.Finish()
				}
				return time.Since(t0)
			}
			runF := func() time.Duration {
				t0 := time.Now()
				for range block {
					_, sp := ft.Start(fctx, "GET /notes/{id}")
					sp.SetAttrs(tracing.String("http.request.method", benchMethod),
						tracing.String("http.route", benchRoute),
						tracing.Int("http.response.status_code", benchStatus))
					sp.End()
				}
				return time.Since(t0)
			}
			var js, fs, ratios []float64
			b.ResetTimer()
			for i := 0; i < b.N; i += 2 * block {
				var dj, df time.Duration
				if len(js)%2 == 0 {
					dj, df = runJ(), runF()
				} else {
					df, dj = runF(), runJ()
				}
				js = append(js, float64(dj)/block)
				fs = append(fs, float64(df)/block)
				ratios = append(ratios, float64(df)/float64(dj))
			}
			b.ReportMetric(0, "ns/op") // meaningless here: both impls ran
			b.ReportMetric(median(js), "jaeger-ns/span")
			b.ReportMetric(median(fs), "facade-ns/span")
			b.ReportMetric(median(ratios), "facade/jaeger")
		})
	}
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// BenchmarkFacadeCore is the facade's own cost for the same work (start,
// three attributes, end) over a backend whose spans do nothing: the part
// of impl=facade above that no backend can save.
func BenchmarkFacadeCore(b *testing.B) {
	tr := tracing.New(nopBackend{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, sp := tr.Start(ctx, "GET /notes/{id}")
		sp.SetAttrs(tracing.String("http.request.method", benchMethod),
			tracing.String("http.route", benchRoute),
			tracing.Int("http.response.status_code", benchStatus))
		sp.End()
	}
}

// nopBackend starts spans that record nothing (but are real BackendSpans,
// so that the facade does all its work).
type nopBackend struct{}

var nopSpan = tracing.NonRecordingSpan(tracing.NewSpanContext(tracing.SpanContextConfig{
	TraceID: tracing.TraceIDFromUint64s(1, 1), SpanID: tracing.SpanIDFromUint64(1), TraceFlags: tracing.FlagsSampled}))

func (nopBackend) Start(ctx context.Context, _ string, _ tracing.SpanConfig) (context.Context, tracing.Span) {
	return ctx, tracing.NewSpan(nopSpan)
}

func (nopBackend) Shutdown(context.Context) error { return nil }
