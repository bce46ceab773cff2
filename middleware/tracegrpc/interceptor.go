package tracegrpc

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/tracing"
)

// The interceptors trace as the stats handlers do, for code that chains
// interceptors. Install either the handlers or the interceptors, not
// both: each would make a span of its own. They differ where gRPC tells
// them different things: the client interceptors know the dial target
// (server.address is its host, not the address connected to); the server
// interceptors cannot see the response metadata, record a handler's panic
// (with its stack, before re-raising it), and record message sizes as
// proto.Size reports them (no compressed size).

// UnaryServerInterceptor returns an interceptor that traces unary calls
// served, as NewServerHandler does:
//
//	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(tracegrpc.UnaryServerInterceptor(), …))
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		ctx, c := cfg.startServer(ctx, info.FullMethod)
		if c == nil {
			return handler(ctx, req)
		}
		c.serverStart(ctx)
		c.message(false, size(req), -1)
		defer func() {
			if v := recover(); v != nil {
				c.endPanic(v)
				panic(v)
			}
			if err == nil {
				c.message(true, size(resp), -1)
			}
			c.end(err)
		}()
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that traces streaming
// calls served (client, server and bidirectional streaming), as
// NewServerHandler does. The handler's stream carries the span in its
// Context.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	cfg := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		ctx, c := cfg.startServer(ss.Context(), info.FullMethod)
		if c == nil {
			if ctx != ss.Context() {
				// Not traced, but the caller's trace context goes on.
				ss = &serverStream{ServerStream: ss, ctx: ctx}
			}
			return handler(srv, ss)
		}
		c.serverStart(ctx)
		defer func() {
			if v := recover(); v != nil {
				c.endPanic(v)
				panic(v)
			}
			c.end(err)
		}()
		return handler(srv, &serverStream{ServerStream: ss, ctx: ctx, c: c})
	}
}

// serverStart records what a server interceptor knows of the call at its
// start: the server (the :authority the client asked for, else the local
// address), the peer and the request metadata.
func (c *call) serverStart(ctx context.Context) {
	host, port := "", -1
	if a := metadata.ValueFromIncomingContext(ctx, ":authority"); len(a) > 0 {
		host, port = httpkit.SplitHostPort(a[0])
	}
	ph, pp := "", -1
	if p, ok := peer.FromContext(ctx); ok {
		ph, pp = addrParts(p.Addr)
		if host == "" {
			host, port = addrParts(p.LocalAddr)
		}
	}
	c.setAddrs(host, port, ph, pp)
	if len(c.cfg.reqMD) > 0 {
		md, _ := metadata.FromIncomingContext(ctx)
		c.captureMetadata(c.cfg.reqMD, md)
	}
}

// serverStream is a ServerStream whose Context carries the span, and which
// records message events.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
	c   *call
}

func (s *serverStream) Context() context.Context { return s.ctx }

func (s *serverStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil && s.c != nil {
		s.c.message(true, size(m), -1)
	}
	return err
}

func (s *serverStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && s.c != nil {
		s.c.message(false, size(m), -1)
	}
	return err
}

// UnaryClientInterceptor returns an interceptor that traces unary calls
// made, as NewClientHandler does:
//
//	conn, err := grpc.NewClient(target, grpc.WithChainUnaryInterceptor(tracegrpc.UnaryClientInterceptor()), …)
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		ctx, c := cfg.startClient(ctx, method)
		if c == nil {
			return invoker(ctx, method, req, reply, cc, callOpts...)
		}
		callOpts = c.clientOptions(ctx, cc, callOpts, false)
		c.message(true, size(req), -1)
		err := invoker(ctx, method, req, reply, cc, callOpts...)
		if err == nil {
			c.message(false, size(reply), -1)
		}
		c.clientEnd(err)
		return err
	}
}

// StreamClientInterceptor returns an interceptor that traces streaming
// calls made, as NewClientHandler does. The span ends when gRPC finishes
// the stream (grpc.OnFinish): once the last response has been received,
// or at once when the call fails or its context is canceled, even if the
// stream is then abandoned.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx, c := cfg.startClient(ctx, method)
		if c == nil {
			return streamer(ctx, desc, cc, method, callOpts...)
		}
		callOpts = c.clientOptions(ctx, cc, callOpts, true)
		cs, err := streamer(ctx, desc, cc, method, callOpts...)
		if err != nil {
			c.clientEnd(err)
			return cs, err
		}
		if !cfg.messages {
			return cs, nil
		}
		return &clientStream{ClientStream: cs, c: c}, nil
	}
}

// clientOptions records what a client interceptor knows at the start
// (the server is the dial target's host; the request metadata) and adds
// the call options that tell it the rest: the peer, the response metadata
// if it is recorded, and, for streams, the end.
func (c *call) clientOptions(ctx context.Context, cc *grpc.ClientConn, opts []grpc.CallOption, stream bool) []grpc.CallOption {
	if cc != nil {
		host, port := targetHostPort(cc.Target())
		c.setAddrs(host, port, "", -1)
	}
	if len(c.cfg.reqMD) > 0 {
		md, _ := metadata.FromOutgoingContext(ctx)
		c.captureMetadata(c.cfg.reqMD, md)
	}
	n := len(opts)
	out := make([]grpc.CallOption, n, n+4)
	copy(out, opts)
	out = append(out, grpc.Peer(&c.p))
	if len(c.cfg.respMD) > 0 {
		out = append(out, grpc.Header(&c.hdr), grpc.Trailer(&c.trl))
	}
	if stream {
		out = append(out, grpc.OnFinish(c.clientEnd))
	}
	return out
}

// clientEnd records what gRPC filled in and ends the span.
func (c *call) clientEnd(err error) {
	if c.ended.Load() {
		return
	}
	if c.p.Addr != nil {
		ph, pp := addrParts(c.p.Addr)
		c.setAddrs("", -1, ph, pp)
	}
	c.captureMetadata(c.cfg.respMD, c.hdr)
	c.captureMetadata(c.cfg.respMD, c.trl)
	c.end(err)
}

// clientStream records message events.
type clientStream struct {
	grpc.ClientStream
	c *call
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil {
		s.c.message(true, size(m), -1)
	}
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.c.message(false, size(m), -1)
	}
	return err
}

// size returns the encoded size of a protobuf message, or -1.
func size(m any) int {
	if pm, ok := m.(proto.Message); ok {
		return proto.Size(pm)
	}
	return -1
}

// endPanic records a handler's panic (value, type and the stack where it
// happened) and ends the span; the interceptor then re-raises it.
func (c *call) endPanic(v any) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	info := tracing.ErrorInfo{Stack: panicStack()}
	if err, ok := v.(error); ok {
		info.Err, info.Message, info.Type = err, err.Error(), tracing.ErrorType(err)
	} else {
		info.Message, info.Type = fmt.Sprint(v), fmt.Sprintf("%T", v)
	}
	c.span.RecordErrorInfo(info)
	c.span.End()
}

// panicStack returns the stack of the panicking goroutine from the frame
// that panicked: the frames of the deferred function that recovered and of
// the runtime's panic machinery are cut off.
func panicStack() string {
	s := tracing.Stack(0)
	const marker = "runtime.gopanic\n"
	i := strings.Index(s, marker)
	if i < 0 {
		return s
	}
	rest := s[i+len(marker):] // "\t<file>:<line>\n<next frame>…"
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		return rest[j+1:]
	}
	return s
}
