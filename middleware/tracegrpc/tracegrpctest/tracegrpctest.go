// Package tracegrpctest is what tracegrpc's tests and the end-to-end
// tests share: a gRPC server and client connected over bufconn or TCP,
// serving grpc-go's own interop TestService (unary, server-, client- and
// bidirectional streaming calls, no protoc needed), instrumented by
// tracegrpc or left bare for another instrumentation.
package tracegrpctest

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/tracing"
)

// The service's full method names and the span names OpenTelemetry gives
// them.
const (
	Service          = "grpc.testing.TestService"
	Unary            = "/grpc.testing.TestService/UnaryCall"
	Empty            = "/grpc.testing.TestService/EmptyCall"
	ServerStreaming  = "/grpc.testing.TestService/StreamingOutputCall"
	ClientStreaming  = "/grpc.testing.TestService/StreamingInputCall"
	Bidi             = "/grpc.testing.TestService/FullDuplexCall"
	WorkSpan         = "work"
	PanicMetadataKey = "x-test-panic"
	// EchoMetadataKey asks EmptyCall to send its value back in the
	// response header x-echo and the trailer x-echo-trailer.
	EchoMetadataKey = "x-test-echo"
)

// Server implements the TestService. Each call starts one span named
// "work" on Tracer (if set) under the call's context, so that tests see
// whether the handler got the server span. A request whose ResponseStatus
// has a code other than OK fails with that code (after the responses
// asked for before it, on streams). EmptyCall panics when the metadata
// x-test-panic is sent, and echoes x-test-echo in its response header
// and trailer.
type Server struct {
	testgrpc.UnimplementedTestServiceServer
	Tracer *tracing.Tracer
}

func (s *Server) work(ctx context.Context) {
	if s.Tracer != nil {
		_, sp := s.Tracer.Start(ctx, WorkSpan)
		sp.End()
	}
}

func echoStatus(st *testgrpc.EchoStatus) error {
	if st == nil || st.Code == 0 {
		return nil
	}
	return status.Error(codes.Code(st.Code), st.Message)
}

func payload(n int32) *testgrpc.Payload {
	if n < 0 {
		n = 0
	}
	return &testgrpc.Payload{Body: make([]byte, n)}
}

// EmptyCall answers, or panics when asked to.
func (s *Server) EmptyCall(ctx context.Context, _ *testgrpc.Empty) (*testgrpc.Empty, error) {
	s.work(ctx)
	if v := metadata.ValueFromIncomingContext(ctx, PanicMetadataKey); len(v) > 0 {
		panic(v[0])
	}
	if v := metadata.ValueFromIncomingContext(ctx, EchoMetadataKey); len(v) > 0 {
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-echo", v[0]))
		_ = grpc.SetTrailer(ctx, metadata.Pairs("x-echo-trailer", v[0]))
	}
	return &testgrpc.Empty{}, nil
}

// UnaryCall answers a payload of ResponseSize bytes, or the status asked
// for.
func (s *Server) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	s.work(ctx)
	if err := echoStatus(req.GetResponseStatus()); err != nil {
		return nil, err
	}
	return &testgrpc.SimpleResponse{Payload: payload(req.GetResponseSize())}, nil
}

// StreamingOutputCall sends one response per ResponseParameters, then the
// status asked for.
func (s *Server) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, stream testgrpc.TestService_StreamingOutputCallServer) error {
	s.work(stream.Context())
	for _, p := range req.GetResponseParameters() {
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
			return err
		}
	}
	return echoStatus(req.GetResponseStatus())
}

// StreamingInputCall answers the total size of the payloads received.
func (s *Server) StreamingInputCall(stream testgrpc.TestService_StreamingInputCallServer) error {
	s.work(stream.Context())
	var n int32
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&testgrpc.StreamingInputCallResponse{AggregatedPayloadSize: n})
		}
		if err != nil {
			return err
		}
		n += int32(len(req.GetPayload().GetBody()))
	}
}

// FullDuplexCall answers each request as it comes (one response per
// ResponseParameters) until the client closes its side, or fails with the
// status a request asks for.
func (s *Server) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	s.work(stream.Context())
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.GetResponseStatus()); err != nil {
			return err
		}
		for _, p := range req.GetResponseParameters() {
			if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: payload(p.GetSize())}); err != nil {
				return err
			}
		}
	}
}

// Config says how Start connects the server and the client.
type Config struct {
	// TCP serves on a loopback TCP port instead of bufconn.
	TCP bool
	// Interceptors instruments with tracegrpc's interceptors instead of
	// its stats handlers.
	Interceptors bool
	// Server and Client are tracegrpc's options for each side.
	Server, Client []tracegrpc.Option
	// BareServer and BareClient leave a side without tracegrpc (for
	// another instrumentation in ServerOptions or DialOptions).
	BareServer, BareClient bool
	// ServerOptions and DialOptions are added to the server's and the
	// client's (after tracegrpc's interceptors, if any).
	ServerOptions []grpc.ServerOption
	DialOptions   []grpc.DialOption
	// Tracer makes the work spans; nil: none.
	Tracer *tracing.Tracer
	// Health registers grpc-go's health service too.
	Health bool
	// Recover converts handler panics to Internal errors with an
	// interceptor outside tracegrpc's.
	Recover bool
}

// Rig is a running server and a client connected to it. Start stops both
// when the test ends.
type Rig struct {
	Conn   *grpc.ClientConn
	Client testgrpc.TestServiceClient
	Health healthpb.HealthClient
	// Addr is the server's TCP address ("" on bufconn).
	Addr string
}

// Start starts a server and a client as cfg says.
func Start(t testing.TB, cfg Config) *Rig {
	t.Helper()
	var sopts []grpc.ServerOption
	var dopts []grpc.DialOption
	var unary []grpc.UnaryServerInterceptor
	var stream []grpc.StreamServerInterceptor
	if cfg.Recover {
		unary = append(unary, recoverUnary)
		stream = append(stream, recoverStream)
	}
	if !cfg.BareServer {
		if cfg.Interceptors {
			unary = append(unary, tracegrpc.UnaryServerInterceptor(cfg.Server...))
			stream = append(stream, tracegrpc.StreamServerInterceptor(cfg.Server...))
		} else {
			sopts = append(sopts, grpc.StatsHandler(tracegrpc.NewServerHandler(cfg.Server...)))
		}
	}
	if len(unary) > 0 {
		sopts = append(sopts, grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...))
	}
	if !cfg.BareClient {
		if cfg.Interceptors {
			dopts = append(dopts, grpc.WithChainUnaryInterceptor(tracegrpc.UnaryClientInterceptor(cfg.Client...)),
				grpc.WithChainStreamInterceptor(tracegrpc.StreamClientInterceptor(cfg.Client...)))
		} else {
			dopts = append(dopts, grpc.WithStatsHandler(tracegrpc.NewClientHandler(cfg.Client...)))
		}
	}
	srv := grpc.NewServer(append(sopts, cfg.ServerOptions...)...)
	testgrpc.RegisterTestServiceServer(srv, &Server{Tracer: cfg.Tracer})
	if cfg.Health {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	}

	dopts = append(dopts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	var lis net.Listener
	target := "passthrough:///bufnet"
	if cfg.TCP {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis, target = l, l.Addr().String()
	} else {
		bl := bufconn.Listen(1 << 20)
		lis = bl
		dopts = append(dopts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }))
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient(target, append(dopts, cfg.DialOptions...)...)
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-served
	})
	r := &Rig{Conn: conn, Client: testgrpc.NewTestServiceClient(conn), Health: healthpb.NewHealthClient(conn)}
	if cfg.TCP {
		r.Addr = target
	}
	return r
}

func recoverUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = status.Errorf(codes.Internal, "panic: %v", v)
		}
	}()
	return h(ctx, req)
}

func recoverStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = status.Errorf(codes.Internal, "panic: %v", v)
		}
	}()
	return h(srv, ss)
}

// Calls are the four shapes of call, each made once by Do.
var Calls = []struct {
	// Name is the span name OpenTelemetry gives the call.
	Name string
	// Do makes the call and checks its answer.
	Do func(ctx context.Context, c testgrpc.TestServiceClient) error
}{
	{"grpc.testing.TestService/UnaryCall", func(ctx context.Context, c testgrpc.TestServiceClient) error {
		resp, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseSize: 10, Payload: payload(5)})
		if err == nil && len(resp.GetPayload().GetBody()) != 10 {
			err = errors.New("UnaryCall: wrong payload")
		}
		return err
	}},
	{"grpc.testing.TestService/StreamingOutputCall", func(ctx context.Context, c testgrpc.TestServiceClient) error {
		st, err := c.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{
			ResponseParameters: []*testgrpc.ResponseParameters{{Size: 1}, {Size: 2}, {Size: 3}}})
		if err != nil {
			return err
		}
		n := 0
		for {
			_, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			n++
		}
		if n != 3 {
			return errors.New("StreamingOutputCall: wrong number of responses")
		}
		return nil
	}},
	{"grpc.testing.TestService/StreamingInputCall", func(ctx context.Context, c testgrpc.TestServiceClient) error {
		st, err := c.StreamingInputCall(ctx)
		if err != nil {
			return err
		}
		for _, n := range []int32{4, 5} {
			if err := st.Send(&testgrpc.StreamingInputCallRequest{Payload: payload(n)}); err != nil {
				return err
			}
		}
		resp, err := st.CloseAndRecv()
		if err == nil && resp.GetAggregatedPayloadSize() != 9 {
			err = errors.New("StreamingInputCall: wrong aggregated size")
		}
		return err
	}},
	{"grpc.testing.TestService/FullDuplexCall", func(ctx context.Context, c testgrpc.TestServiceClient) error {
		st, err := c.FullDuplexCall(ctx)
		if err != nil {
			return err
		}
		for range 2 {
			if err := st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 7}}}); err != nil {
				return err
			}
			if _, err := st.Recv(); err != nil {
				return err
			}
		}
		if err := st.CloseSend(); err != nil {
			return err
		}
		if _, err := st.Recv(); !errors.Is(err, io.EOF) {
			return errors.New("FullDuplexCall: no end of stream")
		}
		return nil
	}},
}

// Timeout bounds one call of the tests: far above what a call on loopback
// takes, so that a hang fails instead of stalling.
const Timeout = 30 * time.Second
