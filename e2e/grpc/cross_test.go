package grpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	ddgrpc "github.com/DataDog/dd-trace-go/contrib/google.golang.org/grpc/v2"
	otgrpc "github.com/opentracing-contrib/go-grpc"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// vspan is a span as a vendor's instrumentation sent it.
type vspan struct {
	trace        tracing.TraceID
	span, parent tracing.SpanID
	kind         tracing.SpanKind
}

func fromSpanData(spans []tracingtest.SpanData) []vspan {
	var out []vspan
	for _, s := range spans {
		out = append(out, vspan{s.TraceID, s.SpanID, s.ParentID, s.Kind})
	}
	return out
}

// vendorSide is a vendor's own gRPC instrumentation, set up on the
// vendor's stock SDK, and how to read back what it sent.
type vendorSide struct {
	server []grpc.ServerOption
	client []grpc.DialOption
	spans  func(t *testing.T, want int) []vspan
}

// otelgrpcSide is otelgrpc's stats handlers on the OpenTelemetry SDK with
// W3C trace context and baggage (OpenTelemetry's default propagators).
func otelgrpcSide(t *testing.T, _ *httpkittest.Env) vendorSide {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := otelgrpc.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return vendorSide{
		server: []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), prop))},
		client: []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), prop))},
		spans: func(t *testing.T, want int) []vspan {
			var got tracetest.SpanStubs
			tracingtest.Poll(func() bool { got = exp.GetSpans(); return len(got) >= want })
			var out []vspan
			for _, s := range got {
				k := tracing.SpanKindInternal
				switch s.SpanKind {
				case oteltrace.SpanKindServer:
					k = tracing.SpanKindServer
				case oteltrace.SpanKindClient:
					k = tracing.SpanKindClient
				}
				out = append(out, vspan{tracing.TraceID(s.SpanContext.TraceID()), tracing.SpanID(s.SpanContext.SpanID()),
					tracing.SpanID(s.Parent.SpanID()), k})
			}
			return out
		},
	}
}

// ddcontribSide is dd-trace-go's gRPC contrib (stats handlers), with
// dd-trace-go's default propagation (datadog, tracecontext, baggage). Its
// tracer is process-global: when polytrace runs on the Datadog backend
// too, both report through it; otherwise a Datadog backend is started
// only to run it.
func ddcontribSide(t *testing.T, e *httpkittest.Env) vendorSide {
	h := e.H
	if e.Name != "datadog" {
		env := httpkittest.NewEnv(t, httpkittest.Backend{Name: "datadog", New: func(t *testing.T) httpkittest.Harness { return vendors.DatadogHarness(t) }})
		h = env.H
	}
	return vendorSide{
		server: []grpc.ServerOption{grpc.StatsHandler(ddgrpc.NewServerStatsHandler())},
		client: []grpc.DialOption{grpc.WithStatsHandler(ddgrpc.NewClientStatsHandler())},
		spans:  func(t *testing.T, want int) []vspan { return fromSpanData(h.Spans(t, want)) },
	}
}

// otgrpcSide is opentracing-contrib/go-grpc's interceptors on a stock
// jaeger-client-go tracer (uber-trace-id only).
func otgrpcSide(t *testing.T, _ *httpkittest.Env) vendorSide {
	a := jaegertest.StartAgent(t)
	cfg := jaegercfg.Configuration{ServiceName: "otgrpc",
		Sampler:  &jaegercfg.SamplerConfig{Type: jaeger.SamplerTypeConst, Param: 1},
		Reporter: &jaegercfg.ReporterConfig{LocalAgentHostPort: a.Addr(), BufferFlushInterval: 10 * time.Millisecond}}
	tracer, closer, err := cfg.NewTracer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closer.Close() })
	return vendorSide{
		server: []grpc.ServerOption{grpc.ChainUnaryInterceptor(otgrpc.OpenTracingServerInterceptor(tracer)),
			grpc.ChainStreamInterceptor(otgrpc.OpenTracingStreamServerInterceptor(tracer))},
		client: []grpc.DialOption{grpc.WithChainUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(tracer)),
			grpc.WithChainStreamInterceptor(otgrpc.OpenTracingStreamClientInterceptor(tracer))},
		spans: func(t *testing.T, want int) []vspan { return fromSpanData(a.SpanData(t, want, 5*time.Second)) },
	}
}

// pairs are the vendor instrumentations and the backends of polytrace that
// share a propagation format with them: otelgrpc and dd contrib speak W3C
// trace context (and dd contrib its own headers), so every backend; stock
// jaeger-client-go speaks only uber-trace-id, so the jaeger backend.
var pairs = []struct {
	vendor   string
	side     func(*testing.T, *httpkittest.Env) vendorSide
	backends []string
}{
	{"otelgrpc", otelgrpcSide, []string{"otel", "datadog", "jaeger"}},
	{"ddcontrib", ddcontribSide, []string{"otel", "datadog", "jaeger"}},
	{"otgrpc", otgrpcSide, []string{"jaeger"}},
}

// twoCalls makes a unary call and a bidirectional stream.
func twoCalls(t *testing.T, c testgrpc.TestServiceClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tracegrpctest.Timeout)
	defer cancel()
	if _, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 3}); err != nil {
		t.Fatal(err)
	}
	st, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 2}}})
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	_ = st.CloseSend()
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
}

// A polytrace client calling a server instrumented by each vendor's own
// gRPC integration, and each vendor's client calling a polytrace server,
// make one trace per call: the server span, on one side, is the child of
// the client span, on the other.
func TestCrossVendor(t *testing.T) {
	backends := map[string]httpkittest.Backend{}
	for _, b := range vendors.Vendors() {
		backends[b.Name] = b
	}
	for _, p := range pairs {
		for _, bn := range p.backends {
			for _, dir := range []string{"polytrace→" + p.vendor, p.vendor + "→polytrace"} {
				t.Run(fmt.Sprintf("%s/%s", dir, bn), func(t *testing.T) {
					e := httpkittest.NewEnv(t, backends[bn])
					v := p.side(t, e)
					opts := []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}
					polyClient := dir[0] == 'p'
					cfg := tracegrpctest.Config{TCP: true, Server: opts, Client: opts}
					if polyClient {
						cfg.BareServer, cfg.ServerOptions = true, v.server
					} else {
						cfg.BareClient, cfg.DialOptions, cfg.Tracer = true, v.client, e.Tracer
					}
					r := tracegrpctest.Start(t, cfg)
					twoCalls(t, r.Client)

					var clients, servers []vspan
					poly := fromSpanData(e.Spans(t, 2))
					vend := v.spans(t, 2)
					if bn == "datadog" && p.vendor == "ddcontrib" {
						vend = poly // one tracer, one agent: both sides' spans
					}
					for _, s := range append(poly, vend...) {
						switch s.kind {
						case tracing.SpanKindClient:
							clients = append(clients, s)
						case tracing.SpanKindServer:
							servers = append(servers, s)
						}
					}
					matched := 0
					for _, c := range dedupe(clients) {
						for _, s := range dedupe(servers) {
							if s.parent == c.span {
								matched++
								if s.trace != c.trace {
									t.Errorf("server span %s is in trace %s, its client span %s in %s", s.span, s.trace, c.span, c.trace)
								}
							}
						}
					}
					if matched != 2 {
						t.Errorf("%d calls whose server span is the client span's child, want 2; clients %+v, servers %+v", matched, clients, servers)
					}
				})
			}
		}
	}
}

// dedupe drops spans read twice (both sides on one agent).
func dedupe(spans []vspan) []vspan {
	seen := map[tracing.SpanID]bool{}
	var out []vspan
	for _, s := range spans {
		if !seen[s.span] {
			seen[s.span] = true
			out = append(out, s)
		}
	}
	return out
}
