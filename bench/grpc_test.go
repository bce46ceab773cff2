package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	ddgrpc "github.com/DataDog/dd-trace-go/contrib/google.golang.org/grpc/v2"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/test/bufconn"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
)

// grpcPair is a gRPC server and a client connected over bufconn, each
// instrumented with the given options.
func grpcPair(b *testing.B, sopts []grpc.ServerOption, dopts []grpc.DialOption) testgrpc.TestServiceClient {
	b.Helper()
	srv := grpc.NewServer(sopts...)
	testgrpc.RegisterTestServiceServer(srv, &tracegrpctest.Server{})
	lis := bufconn.Listen(1 << 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///calendar.internal:9091", append(dopts,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return testgrpc.NewTestServiceClient(conn)
}

// noopStats is a stats.Handler that does nothing.
type noopStats struct{}

func (noopStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (noopStats) HandleRPC(context.Context, stats.RPCStats)                         {}
func (noopStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (noopStats) HandleConn(context.Context, stats.ConnStats)                       {}

// otelFloorStats is the otel-floor variant's stats handler.
type otelFloorStats struct {
	tracer trace.Tracer
	server bool
}

// mdCarrier reads and writes gRPC metadata for OpenTelemetry's
// propagators.
type mdCarrier metadata.MD

func (m mdCarrier) Get(k string) string {
	if v := metadata.MD(m).Get(k); len(v) > 0 {
		return v[0]
	}
	return ""
}
func (m mdCarrier) Set(k, v string) { metadata.MD(m).Set(k, v) }
func (m mdCarrier) Keys() []string  { return nil }

func (h *otelFloorStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	name := info.FullMethodName[1:]
	attrs := trace.WithAttributes(attribute.String("rpc.system", "grpc"),
		attribute.String("rpc.service", "grpc.testing.TestService"), attribute.String("rpc.method", "UnaryCall"))
	if h.server {
		md, _ := metadata.FromIncomingContext(ctx)
		ctx = w3cProp.Extract(ctx, mdCarrier(md))
		ctx, _ = h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), attrs)
		return ctx
	}
	ctx, _ = h.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), attrs)
	md := metadata.MD{}
	w3cProp.Inject(ctx, mdCarrier(md))
	return metadata.NewOutgoingContext(ctx, md)
}

func (h *otelFloorStats) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	if _, ok := rs.(*stats.End); ok {
		sp := trace.SpanFromContext(ctx)
		sp.SetAttributes(attribute.Int("rpc.grpc.status_code", 0), attribute.String("server.address", "calendar.internal"),
			attribute.Int("server.port", 9091), attribute.String("network.peer.address", "10.0.0.7"), attribute.Int("network.peer.port", 51234))
		sp.End()
	}
}
func (h *otelFloorStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *otelFloorStats) HandleConn(context.Context, stats.ConnStats) {}

// grpcVariants are the instrumentations compared: none (impl=bare),
// tracegrpc's stats handlers on polytrace's configurations, and the
// vendors' own stats handlers on the same SDK set-up (otelgrpc on an
// OpenTelemetry SDK with polytrace-otel's sampler, batch processor and
// discarding exporter; dd contrib on the dd-trace-go tracer that
// polytrace-datadog's backend starts).
func grpcVariants() []struct {
	name string
	opts func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption)
} {
	type variant = struct {
		name string
		opts func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption)
	}
	vs := []variant{
		{"bare", func(*testing.B) ([]grpc.ServerOption, []grpc.DialOption) { return nil, nil }},
		// Stats handlers that do nothing: what gRPC itself spends on
		// reporting to any stats handler (the stats it builds, the
		// metadata it copies for them), the floor of every handler.
		{"stats-floor", func(*testing.B) ([]grpc.ServerOption, []grpc.DialOption) {
			return []grpc.ServerOption{grpc.StatsHandler(noopStats{})}, []grpc.DialOption{grpc.WithStatsHandler(noopStats{})}
		}},
	}
	for _, p := range polytraces {
		vs = append(vs, variant{p.name, func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption) {
			tr := p.new(b)
			return []grpc.ServerOption{grpc.StatsHandler(tracegrpc.NewServerHandler(tracegrpc.WithTracer(tr)))},
				[]grpc.DialOption{grpc.WithStatsHandler(tracegrpc.NewClientHandler(tracegrpc.WithTracer(tr)))}
		}})
	}
	vs = append(vs,
		variant{"otelgrpc", func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption) {
			tp := newOTelProvider(b, true)
			return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(w3cProp)))},
				[]grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(w3cProp)))}
		}},
		// The OpenTelemetry SDK calls that polytrace-otel's spans come down
		// to, made by stats handlers that compute nothing else: W3C
		// extraction and injection through the metadata, each span started
		// with the same name, kind and three attributes and given the
		// same five at its end. The floor the SDK sets for these spans.
		variant{"otel-floor", func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption) {
			tp := newOTelProvider(b, true)
			return []grpc.ServerOption{grpc.StatsHandler(&otelFloorStats{tracer: tp.Tracer("bench"), server: true})},
				[]grpc.DialOption{grpc.WithStatsHandler(&otelFloorStats{tracer: tp.Tracer("bench")})}
		}},
		variant{"ddcontrib", func(b *testing.B) ([]grpc.ServerOption, []grpc.DialOption) {
			newDDBackend(b, true)
			return []grpc.ServerOption{grpc.StatsHandler(ddgrpc.NewServerStatsHandler())},
				[]grpc.DialOption{grpc.WithStatsHandler(ddgrpc.NewClientStatsHandler())}
		}},
	)
	return vs
}

// BenchmarkGRPC: one call per operation through a client and a server in
// the same process over bufconn, both instrumented (one client span and
// one server span per call, the server's the client's child through the
// request metadata): a unary call (shape=unary) and a bidirectional
// stream with one request and one response (shape=stream). impl=bare is
// gRPC itself: what an instrumentation adds is the difference.
//
//	benchstat -filter .name:GRPC -col /impl
func BenchmarkGRPC(b *testing.B) {
	shapes := []struct {
		name string
		op   func(b *testing.B, c testgrpc.TestServiceClient) func(ctx context.Context)
	}{
		{"unary", func(b *testing.B, c testgrpc.TestServiceClient) func(ctx context.Context) {
			req := &testgrpc.SimpleRequest{ResponseSize: 16}
			return func(ctx context.Context) {
				if _, err := c.UnaryCall(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		}},
		{"stream", func(b *testing.B, c testgrpc.TestServiceClient) func(ctx context.Context) {
			req := &testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 16}}}
			return func(ctx context.Context) {
				st, err := c.FullDuplexCall(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := st.Send(req); err != nil {
					b.Fatal(err)
				}
				if _, err := st.Recv(); err != nil {
					b.Fatal(err)
				}
				if err := st.CloseSend(); err != nil {
					b.Fatal(err)
				}
				if _, err := st.Recv(); !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
			}
		}},
	}
	for _, s := range shapes {
		for _, v := range grpcVariants() {
			b.Run("shape="+s.name+"/impl="+v.name, func(b *testing.B) {
				sopts, dopts := v.opts(b)
				op := s.op(b, grpcPair(b, sopts, dopts))
				op(context.Background()) // connect before measuring
				loop(b, nil, op)
			})
		}
	}
}
