package tracegrpc

import (
	"context"

	"google.golang.org/grpc/stats"

	"github.com/polytrace/polytrace/middleware/httpkit"
)

// NewServerHandler returns a stats.Handler that traces the calls a server
// serves, the way gRPC recommends instrumenting servers now:
//
//	srv := grpc.NewServer(grpc.StatsHandler(tracegrpc.NewServerHandler()))
//
// Each call gets one server span that continues the caller's trace (read
// from the request metadata by the tracer's propagator), named
// "pkg.Service/Method", and ends when gRPC reports the call's end: exactly
// once, however the call ends (returned, failed, canceled, deadline).
func NewServerHandler(opts ...Option) stats.Handler { return &serverHandler{cfg: newConfig(opts)} }

// NewClientHandler returns a stats.Handler that traces the calls a client
// makes:
//
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(tracegrpc.NewClientHandler()), …)
//
// Each call (each attempt, when gRPC retries) gets one client span, a
// child of the span in the call's context, whose context is written into
// the request metadata in the formats of the tracer's propagator.
func NewClientHandler(opts ...Option) stats.Handler { return &clientHandler{cfg: newConfig(opts)} }

type serverHandler struct{ cfg *config }

// TagRPC starts the call's span.
func (h *serverHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	ctx, _ = h.cfg.startServer(ctx, info.FullMethodName)
	return ctx
}

// HandleRPC records what the call reports and ends the span at its end.
func (h *serverHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	c := callFrom(ctx)
	if c == nil || c.client {
		return
	}
	switch rs := rs.(type) {
	case *stats.InHeader:
		var host string
		port := -1
		if a := rs.Header[":authority"]; len(a) > 0 {
			host, port = httpkit.SplitHostPort(a[0])
		} else {
			host, port = addrParts(rs.LocalAddr)
		}
		ph, pp := addrParts(rs.RemoteAddr)
		c.setAddrs(host, port, ph, pp)
		c.captureMetadata(c.cfg.reqMD, rs.Header)
	case *stats.InPayload:
		c.message(false, rs.Length, rs.CompressedLength)
	case *stats.OutPayload:
		c.message(true, rs.Length, rs.CompressedLength)
	case *stats.OutHeader:
		c.captureMetadata(c.cfg.respMD, rs.Header)
	case *stats.OutTrailer:
		c.captureMetadata(c.cfg.respMD, rs.Trailer)
	case *stats.End:
		c.end(rs.Error)
	}
}

// TagConn implements stats.Handler; connections are not traced.
func (h *serverHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler; connections are not traced.
func (h *serverHandler) HandleConn(context.Context, stats.ConnStats) {}

type clientHandler struct{ cfg *config }

// TagRPC starts the call's span and injects its context.
func (h *clientHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	ctx, _ = h.cfg.startClient(ctx, info.FullMethodName)
	return ctx
}

// HandleRPC records what the call reports and ends the span at its end.
func (h *clientHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	c := callFrom(ctx)
	if c == nil || !c.client {
		return
	}
	switch rs := rs.(type) {
	case *stats.OutHeader:
		// The stats handler does not see the dial target: the server is
		// the address connected to, as otelgrpc records it.
		host, port := addrParts(rs.RemoteAddr)
		c.setAddrs(host, port, host, port)
		c.captureMetadata(c.cfg.reqMD, rs.Header)
	case *stats.OutPayload:
		c.message(true, rs.Length, rs.CompressedLength)
	case *stats.InPayload:
		c.message(false, rs.Length, rs.CompressedLength)
	case *stats.InHeader:
		c.captureMetadata(c.cfg.respMD, rs.Header)
	case *stats.InTrailer:
		c.captureMetadata(c.cfg.respMD, rs.Trailer)
	case *stats.End:
		c.end(rs.Error)
	}
}

// TagConn implements stats.Handler; connections are not traced.
func (h *clientHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler; connections are not traced.
func (h *clientHandler) HandleConn(context.Context, stats.ConnStats) {}
