package tracegrpc_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

type oddAddr struct{ s string }

func (a oddAddr) Network() string { return "odd" }
func (a oddAddr) String() string  { return a.s }

// Bad input never panics: malformed method names, missing or odd
// addresses and metadata, stats out of order or repeated, plain errors,
// nil connections. Every span still ends once, named as well as can be.
func TestBadInput(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	opts := []tracegrpc.Option{tracegrpc.WithTracer(tr), tracegrpc.WithMessageEvents(),
		tracegrpc.WithRequestMetadata("x-odd", "x-odd-bin"), tracegrpc.WithResponseMetadata("x-odd")}
	odd := metadata.MD{":authority": {"[::1"}, "x-odd": {"\xff\xfe", ""}, "x-odd-bin": {"\x00"}, "X-Odd": {"upper"}}
	events := []stats.RPCStats{
		nil,
		&stats.Begin{},
		&stats.InHeader{Header: odd, RemoteAddr: oddAddr{"no port here"}, LocalAddr: (*net.TCPAddr)(nil)},
		&stats.InHeader{},
		&stats.OutHeader{Header: odd, RemoteAddr: oddAddr{"[::1]:99999"}},
		&stats.OutHeader{RemoteAddr: &net.TCPAddr{}},
		&stats.InPayload{Length: -1, CompressedLength: -1},
		&stats.OutPayload{},
		&stats.InTrailer{Trailer: odd},
		&stats.OutTrailer{Trailer: odd},
		&stats.End{Error: errors.New("not a status")},
		&stats.End{},
		&stats.InPayload{},
	}
	methods := []string{"", "noslash", "/", "//", "/a/", "/a/b/c", "/ünï/cödé", "/\x00/\xff"}
	for _, h := range []stats.Handler{tracegrpc.NewServerHandler(opts...), tracegrpc.NewClientHandler(opts...)} {
		for _, m := range methods {
			ctx := h.TagRPC(metadata.NewIncomingContext(context.Background(), odd), &stats.RPCTagInfo{FullMethodName: m})
			for _, ev := range events {
				h.HandleRPC(ctx, ev)
			}
			h.HandleRPC(context.Background(), &stats.End{})
			h.TagConn(ctx, &stats.ConnTagInfo{})
			h.HandleConn(ctx, &stats.ConnBegin{})
		}
	}
	// Interceptors with a nil connection and plain errors.
	uc := tracegrpc.UnaryClientInterceptor(opts...)
	for _, m := range methods {
		err := uc(context.Background(), m, nil, nil, nil, func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
			return errors.New("plain")
		})
		if err == nil {
			t.Error("the invoker's error was lost")
		}
	}
	sc := tracegrpc.StreamClientInterceptor(opts...)
	if _, err := sc(context.Background(), &grpc.StreamDesc{}, nil, "/a/b", func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
		return nil, context.Canceled
	}); !errors.Is(err, context.Canceled) {
		t.Errorf("the streamer's error was lost: %v", err)
	}
	spans := rec.Spans()
	if want := 2*len(methods) + len(methods) + 1; len(spans) != want {
		t.Errorf("%d spans, want %d", len(spans), want)
	}
	for _, s := range spans {
		if s.Name == "" {
			t.Errorf("a span without a name: %+v", s)
		}
		if s.Name == "unnamed" {
			continue
		}
		if _, ok := s.Attr(tracegrpc.KeyRPCSystem); !ok {
			t.Errorf("span %q has no rpc.system", s.Name)
		}
	}
}

// MetadataCarrier reads keys in any case and writes them in lower case.
func TestMetadataCarrier(t *testing.T) {
	md := metadata.MD{"Traceparent": {"x"}}
	c := tracegrpc.MetadataCarrier(md)
	if c.Get("TRACEPARENT") != "x" || c.Get("missing") != "" || len(c.Values("traceparent")) != 1 {
		t.Errorf("Get: %q", c.Get("TRACEPARENT"))
	}
	c.Set("TraceParent", "y")
	if len(md) != 1 || md["traceparent"][0] != "y" || len(c.Keys()) != 1 {
		t.Errorf("Set: %v", md)
	}
	var empty tracegrpc.MetadataCarrier
	if empty.Get("a") != "" || len(empty.Keys()) != 0 {
		t.Error("nil carrier")
	}
	ctx := tracing.DefaultPropagator().Extract(context.Background(), c)
	if tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Error("a malformed traceparent was accepted")
	}
}
