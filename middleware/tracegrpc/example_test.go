package tracegrpc_test

import (
	"context"
	"fmt"
	"net"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/test/bufconn"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleNewServerHandler() {
	rec := tracingtest.NewRecorder() // any backend; the recorder keeps spans in memory
	tracer := rec.Tracer()

	// The server: one stats handler traces every call it serves.
	srv := grpc.NewServer(grpc.StatsHandler(tracegrpc.NewServerHandler(tracegrpc.WithTracer(tracer))))
	testgrpc.RegisterTestServiceServer(srv, &tracegrpctest.Server{})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// The client: one stats handler traces every call it makes and
	// passes the trace on in the request metadata.
	conn, err := grpc.NewClient("passthrough:///calendar",
		grpc.WithStatsHandler(tracegrpc.NewClientHandler(tracegrpc.WithTracer(tracer))),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	if _, err := testgrpc.NewTestServiceClient(conn).UnaryCall(context.Background(), &testgrpc.SimpleRequest{}); err != nil {
		panic(err)
	}

	spans := rec.WaitForSpans(2, tracegrpctest.Timeout)
	slices.SortFunc(spans, func(a, b tracingtest.SpanData) int { return int(a.Kind) - int(b.Kind) })
	for _, s := range spans {
		fmt.Printf("%s %s | %s %s/%s code=%s server.address=%s\n", s.Kind, s.Name, s.AttrString("rpc.system"),
			s.AttrString("rpc.service"), s.AttrString("rpc.method"), s.AttrString("rpc.grpc.status_code"), s.AttrString("server.address"))
	}
	fmt.Println("server span is the client span's child:", spans[0].ParentID == spans[1].SpanID)
	// Output:
	// server grpc.testing.TestService/UnaryCall | grpc grpc.testing.TestService/UnaryCall code=0 server.address=calendar
	// client grpc.testing.TestService/UnaryCall | grpc grpc.testing.TestService/UnaryCall code=0 server.address=bufconn
	// server span is the client span's child: true
}

func ExampleUnaryClientInterceptor() {
	// For code that chains interceptors: the same spans as the stats
	// handlers. Install either the handlers or the interceptors.
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(tracegrpc.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(tracegrpc.StreamServerInterceptor()))
	defer srv.Stop()
	conn, err := grpc.NewClient("dns:///calendar.internal:9091",
		grpc.WithChainUnaryInterceptor(tracegrpc.UnaryClientInterceptor(tracegrpc.WithService("calendar-client"))),
		grpc.WithChainStreamInterceptor(tracegrpc.StreamClientInterceptor(tracegrpc.WithService("calendar-client"))),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Println(conn.Target())
	// Output: dns:///calendar.internal:9091
}
