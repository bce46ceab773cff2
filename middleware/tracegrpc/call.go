package tracegrpc

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/tracing"
)

// callKey is the context key under which a context carries its call.
type callKey struct{}

// call is the span of one RPC and what ending it needs. The stats handlers
// return it from TagRPC as the call's context (it embeds the context that
// carries the span), so that one allocation holds the state and the
// context node; a client call's propagator writes through its carrier.
type call struct {
	context.Context
	span   tracing.Span
	cfg    *config
	client bool
	ended  atomic.Bool
	// Message ids per direction (WithMessageEvents).
	sent, recv atomic.Int64

	mu    sync.Mutex // guards peer and npeer
	peer  [4]tracing.Attr
	npeer int

	out outgoing // a client's injection

	// The client interceptors' grpc.Peer, grpc.Header and grpc.Trailer
	// targets, filled by gRPC before the call ends.
	p        peer.Peer
	hdr, trl metadata.MD
}

// Value answers callKey with the call and asks the context it carries
// otherwise.
func (c *call) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func (c *call) String() string { return "tracegrpc.call" }

// callFrom returns the call ctx carries, or nil.
func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// info returns what filters, namers and deciders are told of a call.
func info(fullMethod string, client bool) CallInfo {
	svc, m, _ := splitMethod(fullMethod)
	return CallInfo{FullMethod: fullMethod, Service: svc, Method: m, Client: client}
}

func (cfg *config) spanName(ci *CallInfo) string {
	if cfg.namer != nil {
		if n := cfg.namer(*ci); n != "" {
			return n
		}
	}
	return SpanName(ci.FullMethod)
}

// startAttrs are the attributes given at start, where samplers see them.
func startAttrs(dst *[3]tracing.Attr, fullMethod string) []tracing.Attr {
	dst[0] = tracing.String(KeyRPCSystem, SystemGRPC)
	svc, m, ok := splitMethod(fullMethod)
	if !ok {
		return dst[:1]
	}
	dst[1] = tracing.String(KeyRPCService, svc)
	dst[2] = tracing.String(KeyRPCMethod, m)
	return dst[:3]
}

// startServer extracts the caller's trace context from the incoming
// metadata in ctx and starts the server span of fullMethod. It returns the
// context for the handler and the call, or nil when there is no span to
// end (the call is filtered, tracing is off, or the span does not record).
func (cfg *config) startServer(ctx context.Context, fullMethod string) (context.Context, *call) {
	ci := CallInfo{FullMethod: fullMethod}
	if cfg.needInfo() {
		ci = info(fullMethod, false)
	}
	if cfg.skip(ctx, &ci) {
		return ctx, nil
	}
	tracer, prop := cfg.tracerAndPropagator()
	public := cfg.public != nil && cfg.public(ctx, ci)
	if !tracer.Enabled() {
		// No span, but what the caller sent goes on to the handler (so
		// that a service without tracing does not cut its callers'
		// traces), unless the caller is outside the trust boundary.
		if !public {
			ctx = extract(prop, ctx)
		}
		return ctx, nil
	}
	ctx = extract(prop, ctx)

	var attrs [3]tracing.Attr
	var opts [5]tracing.StartOption
	opts[0] = tracing.WithKind(tracing.SpanKindServer)
	opts[1] = tracing.WithAttrs(startAttrs(&attrs, fullMethod)...)
	no := 2
	if cfg.service != "" {
		opts[no] = tracing.WithService(cfg.service)
		no++
	}
	var link [1]tracing.Link
	if public {
		opts[no] = tracing.WithNewRoot()
		no++
		if sc := tracing.SpanFromContext(ctx).SpanContext(); sc.IsValid() {
			link[0].SpanContext = sc
			opts[no] = tracing.WithLinks(link[:]...)
			no++
		}
	}
	ctx, span := tracer.Start(ctx, cfg.spanName(&ci), opts[:no]...)
	if !span.IsRecording() {
		return ctx, nil
	}
	c := &call{Context: ctx, span: span, cfg: cfg}
	return c, c
}

// carriers are the incoming and outgoing carriers of calls that do not
// record: a carrier passed to a propagator escapes, and an untraced call
// is to allocate nothing of polytrace's own.
var (
	inPool  = sync.Pool{New: func() any { return new(incoming) }}
	outPool = sync.Pool{New: func() any { return new(outgoing) }}
)

// extract returns ctx with what prop reads from the incoming metadata in
// ctx. Extraction keeps nothing of the carrier, which goes back to its
// pool.
func extract(prop tracing.Propagator, ctx context.Context) context.Context {
	in := inPool.Get().(*incoming)
	in.ctx = ctx
	out := prop.Extract(ctx, in)
	*in = incoming{}
	inPool.Put(in)
	return out
}

// inject returns ctx with what prop writes for it appended to the
// outgoing metadata (metadata.AppendToOutgoingContext copies it).
func inject(prop tracing.Propagator, ctx context.Context) context.Context {
	out := outPool.Get().(*outgoing)
	prop.Inject(ctx, out)
	ctx = appendOutgoing(ctx, out)
	*out = outgoing{}
	outPool.Put(out)
	return ctx
}

// startClient starts the client span of fullMethod, a child of the span in
// ctx, and injects its context into the outgoing metadata. It returns the
// context to make the call with and the call, or nil when there is no span
// to end.
func (cfg *config) startClient(ctx context.Context, fullMethod string) (context.Context, *call) {
	ci := CallInfo{FullMethod: fullMethod, Client: true}
	if cfg.needInfo() {
		ci = info(fullMethod, true)
	}
	if cfg.skip(ctx, &ci) {
		return ctx, nil
	}
	tracer, prop := cfg.tracerAndPropagator()
	if !tracer.Enabled() {
		// No span, but the trace context in ctx, if any, goes on.
		if propagates(ctx) {
			ctx = inject(prop, ctx)
		}
		return ctx, nil
	}
	var attrs [3]tracing.Attr
	var opts [3]tracing.StartOption
	opts[0] = tracing.WithKind(tracing.SpanKindClient)
	opts[1] = tracing.WithAttrs(startAttrs(&attrs, fullMethod)...)
	no := 2
	if cfg.service != "" {
		opts[no] = tracing.WithService(cfg.service)
		no++
	}
	ctx, span := tracer.Start(ctx, cfg.spanName(&ci), opts[:no]...)
	if !span.IsRecording() {
		if propagates(ctx) {
			ctx = inject(prop, ctx)
		}
		return ctx, nil
	}
	c := &call{cfg: cfg, client: true}
	if propagates(ctx) {
		prop.Inject(ctx, &c.out)
		ctx = appendOutgoing(ctx, &c.out)
	}
	c.Context, c.span = ctx, span
	return c, c
}

// propagates reports whether ctx has anything to inject: a valid span
// context or baggage.
func propagates(ctx context.Context) bool {
	return tracing.SpanFromContext(ctx).SpanContext().IsValid() || tracing.BaggageFromContext(ctx).Len() > 0
}

// appendOutgoing adds what was injected to the outgoing metadata.
func appendOutgoing(ctx context.Context, out *outgoing) context.Context {
	if p := out.pairs(); len(p) > 0 {
		return metadata.AppendToOutgoingContext(ctx, p...)
	}
	return ctx
}

// setAddrs records server.address and server.port, and
// network.peer.address and network.peer.port; empty hosts and negative
// ports are not recorded. Attributes learnt during the call are set when
// it ends, in one SetAttrs.
func (c *call) setAddrs(srvHost string, srvPort int, peerHost string, peerPort int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if srvHost != "" {
		c.addPeerLocked(tracing.String(KeyServerAddress, srvHost))
		if srvPort >= 0 {
			c.addPeerLocked(tracing.Int(KeyServerPort, srvPort))
		}
	}
	if peerHost != "" {
		c.addPeerLocked(tracing.String(KeyPeerAddress, peerHost))
		if peerPort >= 0 {
			c.addPeerLocked(tracing.Int(KeyPeerPort, peerPort))
		}
	}
}

func (c *call) addPeerLocked(a tracing.Attr) {
	for i := range c.npeer {
		if c.peer[i].Key == a.Key {
			c.peer[i] = a
			return
		}
	}
	if c.npeer < len(c.peer) {
		c.peer[c.npeer] = a
		c.npeer++
	}
}

// addrParts returns the host and port of addr (port -1 if none).
func addrParts(addr net.Addr) (string, int) {
	switch a := addr.(type) {
	case nil:
		return "", -1
	case *net.TCPAddr:
		if a == nil || a.IP == nil {
			return "", -1
		}
		return a.IP.String(), a.Port
	}
	s := addr.String()
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		return httpkit.SplitHostPort(s)
	}
	return s, -1
}

// targetHostPort returns the host and port of a dial target
// ("dns:///host:port", "host:port", "passthrough:///host:port", …); port
// is -1 if it has none. Targets without a network host (unix sockets)
// give "".
func targetHostPort(target string) (string, int) {
	if strings.HasPrefix(target, "unix:") || strings.HasPrefix(target, "unix-abstract:") {
		return "", -1
	}
	if _, rest, ok := strings.Cut(target, "://"); ok {
		// scheme://[authority]/endpoint
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:]
		}
		target = rest
	}
	return httpkit.SplitHostPort(target)
}

// statusOf returns the status an RPC ended with: OK for nil and io.EOF
// (the end of a client's stream), the error's own status, or the status
// gRPC gives context errors (Canceled, DeadlineExceeded) and other errors
// (Unknown).
func statusOf(err error) *status.Status {
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return s
	}
	return status.FromContextError(err)
}

// end records the call's status and ends its span. Only the first call
// does anything: a stream may be ended from more than one place.
func (c *call) end(err error) {
	if !c.ended.CompareAndSwap(false, true) {
		return
	}
	st := statusOf(err)
	code := codes.OK
	if st != nil {
		code = st.Code()
	}
	var buf [5]tracing.Attr
	a := append(buf[:0], tracing.Int(KeyStatusCode, int(code)))
	c.mu.Lock()
	a = append(a, c.peer[:c.npeer]...)
	c.mu.Unlock()
	c.span.SetAttrs(a...)

	fails := c.cfg.fails
	if fails == nil {
		fails = ServerFails
		if c.client {
			fails = ClientFails
		}
	}
	switch {
	case code != codes.OK && fails(code):
		c.span.RecordErrorInfo(tracing.ErrorInfo{Err: err, Message: st.Message(), Type: tracing.ErrorType(err)})
	case code != codes.OK:
		// The error keeps its details without failing the span (a
		// server's NotFound is the caller's doing).
		httpkit.ExceptionEvent(c.span, err)
	}
	c.span.End()
}

// message records a message event (WithMessageEvents); sizes < 0 are
// not recorded.
func (c *call) message(sent bool, size, compressed int) {
	if !c.cfg.messages || c.ended.Load() {
		return
	}
	typ, n := MessageReceived, &c.recv
	if sent {
		typ, n = MessageSent, &c.sent
	}
	id := n.Add(1)
	if size < 0 {
		c.span.AddEvent(EventMessage, tracing.String(KeyMessageType, typ), tracing.Int64(KeyMessageID, id))
		return
	}
	if compressed >= 0 {
		c.span.AddEvent(EventMessage, tracing.String(KeyMessageType, typ), tracing.Int64(KeyMessageID, id),
			tracing.Int(KeyMessageSize, size), tracing.Int(KeyMessageCompressed, compressed))
		return
	}
	c.span.AddEvent(EventMessage, tracing.String(KeyMessageType, typ), tracing.Int64(KeyMessageID, id),
		tracing.Int(KeyMessageSize, size))
}

// redactedValues is recorded for sensitive metadata; nothing writes to it
// and backends copy what they keep.
var redactedValues = []string{Redacted}

// captureMetadata records the keys of caps present in md.
func (c *call) captureMetadata(caps []mdCapture, md metadata.MD) {
	if len(caps) == 0 || len(md) == 0 || c.ended.Load() {
		return
	}
	var buf [8]tracing.Attr
	a := buf[:0]
	for _, m := range caps {
		v := MetadataCarrier(md).Values(m.name)
		if len(v) == 0 {
			continue
		}
		switch {
		case m.redact:
			v = redactedValues
		case m.binary:
			enc := make([]string, len(v))
			for i, x := range v {
				enc[i] = base64.StdEncoding.EncodeToString([]byte(x))
			}
			v = enc
		default:
			v = validUTF8(v)
		}
		a = append(a, tracing.StringSlice(m.key, v))
	}
	if len(a) > 0 {
		c.span.SetAttrs(a...)
	}
}

// validUTF8 returns v, or a copy with invalid UTF-8 replaced if it has
// any: exporters reject strings that are not UTF-8.
func validUTF8(v []string) []string {
	for _, x := range v {
		if !utf8.ValidString(x) {
			clean := make([]string, len(v))
			for i, y := range v {
				clean[i] = strings.ToValidUTF8(y, "\uFFFD")
			}
			return clean
		}
	}
	return v
}
