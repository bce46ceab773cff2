package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	jaegercfg "github.com/uber/jaeger-client-go/config"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend"
)

// startOTLPSink is a loopback OTLP/HTTP endpoint that reads each export
// request and answers 200 with an empty (valid) response, keeping nothing.
func startOTLPSink(tb testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/v1/traces"
}

// BenchmarkExport measures how many spans one core can start, end and
// export per backend, through the real exporter to a loopback sink
// (OTLP/HTTP protobuf, the Datadog agent API, Jaeger's UDP agent
// protocol). GOMAXPROCS is 1 while it runs; the figure is
// exported spans per second of the process's CPU time (spans/cpu-s), which
// counts the application goroutine, the exporter's background work and the
// sink, and not the time spent waiting. exported-% says how many of the
// spans reached the sink (a queue that overflows drops spans).
func BenchmarkExport(b *testing.B) {
	type backend struct {
		name string
		new  func(b *testing.B) *tracing.Tracer
	}
	for _, be := range []backend{
		{"otel", func(b *testing.B) *tracing.Tracer {
			be, err := otelbackend.New(otelbackend.WithEndpointURL(startOTLPSink(b)), otelbackend.WithProtocol(otelbackend.ProtocolHTTPProtobuf),
				otelbackend.WithSampler(sdktrace.AlwaysSample()), otelbackend.WithoutGlobal(),
				otelbackend.WithBatchOptions(sdktrace.WithBlocking()))
			if err != nil {
				b.Fatal(err)
			}
			return tracing.New(be)
		}},
		{"datadog", func(b *testing.B) *tracing.Tracer {
			agent := ddtest.Start(ddtest.Config{Discard: true})
			b.Cleanup(agent.Close)
			// Default sampling keeps every trace; a rule of rate 1 would
			// also rate-limit to 100 traces a second.
			be, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL()))
			if err != nil {
				b.Fatal(err)
			}
			return tracing.New(be)
		}},
		{"jaeger", func(b *testing.B) *tracing.Tracer {
			addr := startUDPSink(b).Addr()
			be, err := jaegerbackend.New(jaegerbackend.WithServiceName("bench"), jaegerbackend.WithConfig(func(c *jaegercfg.Configuration) {
				c.Sampler = &jaegercfg.SamplerConfig{Type: "const", Param: 1}
				if c.Reporter == nil {
					c.Reporter = &jaegercfg.ReporterConfig{}
				}
				c.Reporter.LocalAgentHostPort = addr
				c.Reporter.QueueSize = 1 << 14
			}))
			if err != nil {
				b.Fatal(err)
			}
			return tracing.New(be)
		}},
	} {
		b.Run("backend="+be.name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			tr := be.new(b)
			cpu0, ok := processCPU()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				_, sp := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer), tracing.WithAttrs(
					tracing.String("http.route", valRoute), tracing.Int("note.count", valCount), tracing.Bool("cache.hit", valHit)))
				sp.End()
				if n++; n%256 == 0 {
					runtime.Gosched() // let the exporter run, as a server's idle moments do
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := tr.Shutdown(ctx); err != nil {
				b.Fatal(err)
			}
			cpu1, ok2 := processCPU()
			st := tr.Stats()
			if ok && ok2 && cpu1 > cpu0 {
				b.ReportMetric(float64(st.Exported)/(cpu1-cpu0).Seconds(), "spans/cpu-s")
			}
			if n > 0 {
				b.ReportMetric(100*float64(st.Exported)/float64(n), "exported-%")
				b.ReportMetric(100*float64(st.Dropped)/float64(n), "dropped-%")
			}
			if testing.Verbose() {
				b.Logf("%d spans: %+v", n, st)
			}
		})
	}
}
