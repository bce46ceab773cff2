package ddbackend

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// opKind is how a span's Datadog operation name is chosen.
type opKind uint8

const (
	opPlain opKind = iota // the facade name
	opHTTP                // http.request (http.server.request / http.client.request under schema v1)
	opDB                  // <db.system>.query
	opRPC                 // grpc.server, grpc.client (grpc.server.request, grpc.client.request under schema v1)
)

// Span state flags.
const (
	fResource uint8 = 1 << iota // an explicit resource was given
	fType                       // an explicit span type was given
	fService                    // an explicit (or database default) service was given
	fQuery                      // the resource is the database query
	fURLFull                    // url.full was given
)

// span is a facade span over a dd-trace-go v2 span, and the context node
// that carries it: one allocation holds the span, the context, and the
// answers to both tracing.ContextKey and dd-trace-go's own context key, so
// that dd-trace-go's API (v1 and v2) finds the span in the context.
type span struct {
	context.Context
	dd    *tracer.Span
	b     *Backend
	ended atomic.Bool

	mu        sync.Mutex // guards the fields below
	name      string     // the facade name
	kind      tracing.SpanKind
	op        opKind
	flags     uint8
	status    tracing.StatusCode
	localRoot bool
	parentSvc *string // the local parent's service (nil if unknown)
	url       *urlParts

	svc atomic.Pointer[string] // the span's service (nil if unknown), read by children

	// random is the W3C random trace id flag of the span's trace (see
	// randomFlag), set before the span is shared.
	random bool

	// Limits (see admit): attribute writes and events so far, and the
	// keys written once the free writes are used up (guarded by mu).
	writes atomic.Int32
	events atomic.Int32
	late   map[string]struct{}
}

// starter holds the StartSpanConfig handed to tracer.StartSpan, with the
// option that applies it, so that starting a span allocates no option
// closure: dd-trace-go's options are functions, and a closure over per-span
// values would be allocated on every Start.
type starter struct {
	cfg  tracer.StartSpanConfig
	opts [1]tracer.StartSpanOption
}

var starters = sync.Pool{New: func() any {
	s := new(starter)
	s.opts[0] = func(c *tracer.StartSpanConfig) {
		c.Parent = s.cfg.Parent
		c.StartTime = s.cfg.StartTime
		c.Context = s.cfg.Context
		c.SpanLinks = s.cfg.SpanLinks
		c.Tags = s.cfg.Tags
	}
	return s
}}

// Start implements tracing.Backend.
func (b *Backend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	var pnode *span
	var local *tracer.Span
	var pctx *tracer.SpanContext
	if !cfg.NewRoot {
		pnode, local, pctx = parentOf(ctx)
	}
	vl := b.s.lim.AttrValueLen
	name = backendkit.TruncateString(name, vl) // names are cut as values are, on every backend
	n := &span{Context: ctx, b: b, name: name, kind: cfg.Kind, random: randomFlag(ctx, pnode, pctx)}
	opName, resource, spanType, service := name, backendkit.TruncateString(cfg.Resource, vl),
		backendkit.TruncateString(cfg.Type, vl), backendkit.TruncateString(cfg.Service, vl)
	if resource != "" {
		n.flags |= fResource
	}
	if spanType != "" {
		n.flags |= fType
	}
	var rpcMethod string // a gRPC span's "/pkg.Service/Method"
	if cfg.Kind == tracing.SpanKindServer || cfg.Kind == tracing.SpanKindClient {
		var system, query string
		n.op, system, query = classify(cfg.Kind, &cfg.Attrs)
		if n.op == opPlain {
			var rpcSystem string
			if rpcSystem, rpcMethod = rpcOf(&cfg.Attrs); rpcSystem == ext.RPCSystemGRPC {
				n.op = opRPC
			}
		}
		switch n.op {
		case opRPC:
			opName = b.rpcOp(cfg.Kind)
			if resource == "" {
				resource = name
				if rpcMethod != "" {
					resource = rpcMethod
				}
			}
			if spanType == "" {
				spanType = ext.AppTypeRPC
			}
		case opHTTP:
			opName = b.httpOp
			if cfg.Kind == tracing.SpanKindClient {
				opName = b.clientOp
			}
			if resource == "" {
				resource = name
			}
			if spanType == "" {
				spanType = ext.SpanTypeHTTP
				if cfg.Kind == tracing.SpanKindServer {
					spanType = ext.SpanTypeWeb
				}
			}
		case opDB:
			opName = system + ".query"
			if spanType == "" {
				spanType = dbSpanType(system)
			}
			if service == "" {
				service = b.dbServiceFor(system)
			}
			if resource == "" {
				resource = name
				if query != "" {
					resource = query
					n.flags |= fQuery
				}
			}
		}
	}

	// The service: explicit ones are given at start, so that dd-trace-go
	// marks the span top-level (a service entry) when it differs from the
	// parent's.
	n.localRoot = local == nil
	if pnode != nil {
		n.parentSvc = pnode.svc.Load()
		n.svc.Store(n.parentSvc)
	} else if n.localRoot {
		n.svc.Store(&b.s.id.Service)
	}

	st := starters.Get().(*starter)
	st.cfg.Parent = pctx
	st.cfg.StartTime = cfg.StartTime
	if local == nil {
		// Without a local parent, dd-trace-go takes the pprof labels to
		// restore from this context (the user's own labels survive).
		st.cfg.Context = ctx
	}
	if len(cfg.Links) > 0 {
		st.cfg.SpanLinks = ddLinks(cfg.Links, vl)
	}
	if service != "" {
		n.flags |= fService
		svc := service // only this branch pays for the allocation
		n.svc.Store(&svc)
		st.cfg.Tags = map[string]any{ext.ServiceName: service}
	}
	dd := tracer.StartSpan(opName, st.opts[:]...)
	st.cfg = tracer.StartSpanConfig{}
	starters.Put(st)
	if dd == nil {
		// dd-trace-go is disabled (DD_TRACE_ENABLED=false) or stopped:
		// record nothing, and leave ctx as it is, so that the context it
		// carries is passed on unchanged (see Backend.Inject), as the
		// "none" backend does.
		return ctx, tracing.Span{}
	}
	n.dd = dd
	if int(cfg.Kind) < len(kindValues) {
		dd.SetTag(ext.SpanKind, kindValues[cfg.Kind])
	}
	if resource != "" && resource != opName {
		dd.SetTag(ext.ResourceName, resource)
	}
	switch spanType {
	case "":
	case ext.SpanTypeWeb:
		dd.SetTag(ext.SpanType, typeWeb)
	case ext.SpanTypeHTTP:
		dd.SetTag(ext.SpanType, typeHTTP)
	case ext.AppTypeRPC:
		dd.SetTag(ext.SpanType, typeRPC)
	default:
		dd.SetTag(ext.SpanType, spanType)
	}
	if rpcMethod != "" {
		dd.SetTag("grpc.method.name", rpcMethod)
		dd.SetTag(ext.GRPCFullMethod, rpcMethod)
	}
	if cfg.Attrs.Len() > 0 {
		n.setAttrs(&cfg.Attrs, true)
	}
	return n, tracing.NewSpan(n)
}

// ddLinks converts links; their attributes become strings, the only kind
// Datadog's span links hold, cut to valueLen characters. As on the other
// backends, a span keeps at most backendkit.DefaultCount links and a link
// as many attributes.
func ddLinks(links []tracing.Link, valueLen int) []tracer.SpanLink {
	links = links[:min(len(links), backendkit.DefaultCount)]
	out := make([]tracer.SpanLink, 0, len(links))
	for _, l := range links {
		sc := l.SpanContext
		dl := tracer.SpanLink{
			TraceID:     sc.TraceID().Low64(),
			TraceIDHigh: sc.TraceID().High64(),
			SpanID:      sc.SpanID().Uint64(),
			Tracestate:  sc.TraceState(),
			// As dd-trace-go's OpenTelemetry API: the W3C flags, with
			// the high bit saying that they are set.
			Flags: uint32(sc.TraceFlags()) | 1<<31,
		}
		if len(l.Attrs) > 0 {
			dl.Attributes = make(map[string]string, len(l.Attrs))
			for _, a := range l.Attrs {
				if a.Key != "" && len(dl.Attributes) < backendkit.DefaultCount {
					dl.Attributes[a.Key] = backendkit.TruncateString(a.Value.String(), valueLen)
				}
			}
		}
		out = append(out, dl)
	}
	return out
}

// Value answers tracing.ContextKey with the span and dd-trace-go's key with
// the dd-trace-go span.
func (n *span) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(n)
	}
	if key == ddKey {
		return n.dd
	}
	if v, ok := tracing.ContextKeyValue(n, key, n); ok {
		return v
	}
	return n.Context.Value(key)
}

// ContextValue implements tracing.ContextValuer, so that a context made by
// tracing.ContextWithSpan also carries the dd-trace-go span.
func (n *span) ContextValue(key any) (any, bool) {
	if key == ddKey {
		return n.dd, true
	}
	return nil, false
}

func (n *span) String() string { return "ddbackend.span(" + n.name + ")" }

// DDSpan returns the dd-trace-go v2 span behind a facade span of this
// backend, or nil, for code that needs dd-trace-go's own API on it.
func DDSpan(s tracing.Span) *tracer.Span {
	if n, ok := s.Backend().(*span); ok {
		return n.dd
	}
	return nil
}

func (n *span) SpanContext() tracing.SpanContext {
	return spanContextOf(n.dd.Context(), false, "", n.random)
}

func (n *span) IsRecording() bool { return !n.ended.Load() }

func (n *span) SetName(name string) {
	if n.ended.Load() {
		return
	}
	name = backendkit.TruncateString(name, n.b.s.lim.AttrValueLen)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.name = name
	switch n.op {
	case opPlain:
		n.dd.SetOperationName(name)
		if n.flags&fResource == 0 {
			n.dd.SetTag(ext.ResourceName, name)
		}
	case opHTTP:
		if n.flags&fResource == 0 {
			n.dd.SetTag(ext.ResourceName, name)
		}
	case opRPC:
		// The resource is the method, whatever the span's name.
	case opDB:
		if n.flags&(fResource|fQuery) == 0 {
			n.dd.SetTag(ext.ResourceName, name)
		}
	}
}

func (n *span) SetAttrs(attrs tracing.Attrs) {
	if n.ended.Load() {
		return
	}
	n.setAttrs(&attrs, false)
}

func (n *span) setAttrs(attrs *tracing.Attrs, atStart bool) {
	vl := n.b.s.lim.AttrValueLen
	for i := range attrs.Len() {
		a := attrs.At(i)
		if !n.admit(a.Key) {
			continue
		}
		if backendkit.Truncated(a.Value, vl) {
			a.Value = backendkit.TruncateValue(a.Value, vl)
		}
		key, act := mapKey(a.Key)
		if act == actTag {
			if v, ok := toDD(a.Value); ok {
				n.dd.SetTag(key, v)
			}
			continue
		}
		n.special(key, act, a.Value, atStart)
	}
}

// admit reports whether the attribute key may be set under the attribute
// count limit n. Keeping every key would cost every span a set; instead
// the first n/2 writes are free (they cannot make more than n/2 keys), and
// after them a set of the keys written since admits at most n-n/2 keys,
// and any key in it again. A span thus keeps at most n keys, at least n/2,
// and never loses the update of a key it keeps setting (a progress count).
func (n *span) admit(key string) bool {
	limit := n.b.s.lim.Attrs
	if limit < 0 {
		return true
	}
	if int(n.writes.Add(1)) <= limit/2 {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.late[key]; ok {
		return true
	}
	if len(n.late) >= limit-limit/2 {
		return false
	}
	if n.late == nil {
		n.late = make(map[string]struct{})
	}
	n.late[key] = struct{}{}
	return true
}

// special handles the keys that change more than a tag.
func (n *span) special(key string, act action, v tracing.Value, atStart bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dd := n.dd
	switch act {
	case actMethod:
		dd.SetTag(key, v.String())
		if n.op == opPlain && (n.kind == tracing.SpanKindServer || n.kind == tracing.SpanKindClient) {
			n.op = opHTTP
			op, typ := n.b.httpOp, typeWeb
			if n.kind == tracing.SpanKindClient {
				op, typ = n.b.clientOp, typeHTTP
			}
			dd.SetOperationName(op)
			if n.flags&fResource == 0 {
				dd.SetTag(ext.ResourceName, n.name)
			}
			if n.flags&fType == 0 {
				dd.SetTag(ext.SpanType, typ)
			}
		}
	case actStatusCode:
		dd.SetTag(key, asString(v))
	case actURLFull:
		n.flags |= fURLFull
		dd.SetTag(key, v.String())
	case actRPCSystem:
		dd.SetTag(key, v.String())
		if n.op == opPlain && (n.kind == tracing.SpanKindServer || n.kind == tracing.SpanKindClient) &&
			!atStart && v.String() == ext.RPCSystemGRPC {
			n.op = opRPC
			dd.SetOperationName(n.b.rpcOp(n.kind))
			if n.flags&fType == 0 {
				dd.SetTag(ext.SpanType, typeRPC)
			}
		}
	case actGRPCCode:
		dd.SetTag(key, grpcCodeName(v))
	case actPeerAddress, actPeerPort:
		// dd contrib's gRPC client spans name the address connected to
		// out.host and out.port (a string); other spans keep the keys.
		switch {
		case n.op != opRPC || n.kind != tracing.SpanKindClient:
			if x, ok := toDD(v); ok {
				dd.SetTag(key, x)
			}
		case act == actPeerAddress:
			dd.SetTag(ext.TargetHost, v.String())
		default:
			dd.SetTag(ext.TargetPort, asString(v))
		}
	case actServerAddress, actServerPort:
		if n.op == opRPC {
			// gRPC: the client's target host is peer.hostname, and its
			// port network.destination.port; a server keeps the keys.
			switch {
			case n.kind != tracing.SpanKindClient:
				k := "server.address"
				if act == actServerPort {
					k = "server.port"
				}
				if x, ok := toDD(v); ok {
					dd.SetTag(k, x)
				}
			case act == actServerAddress:
				dd.SetTag(ext.PeerHostname, v.String())
			default:
				if x, ok := toDD(v); ok {
					dd.SetTag(ext.NetworkDestinationPort, x)
				}
			}
			return
		}
		fallthrough
	case actURLPath, actURLScheme:
		if n.url == nil {
			n.url = new(urlParts)
		}
		s := asString(v)
		switch act {
		case actURLPath:
			n.url.path = s
		case actURLScheme:
			n.url.scheme = s
		case actServerAddress:
			n.url.host = s
			if n.kind != tracing.SpanKindServer {
				dd.SetTag(ext.NetworkDestinationName, s)
			}
		case actServerPort:
			n.url.port = s
			if n.kind != tracing.SpanKindServer {
				if x, ok := toDD(v); ok {
					dd.SetTag(ext.NetworkDestinationPort, x)
				}
			}
		}
	case actDBSystem:
		system := dbSystem(v.String())
		dd.SetTag(key, system)
		if n.op == opPlain && n.kind == tracing.SpanKindClient && !atStart {
			n.op = opDB
			dd.SetOperationName(system + ".query")
			if n.flags&fType == 0 {
				dd.SetTag(ext.SpanType, dbSpanType(system))
			}
			if n.flags&(fResource|fQuery) == 0 {
				dd.SetTag(ext.ResourceName, n.name)
			}
			if n.flags&fService == 0 {
				if svc := n.b.dbServiceFor(system); svc != "" {
					n.setServiceLocked(svc)
				}
			}
		}
	case actQuery:
		// The query text is the resource of a database span (which
		// Datadog's agent obfuscates), never also a tag there; other
		// spans keep it as sql.query.
		switch {
		case n.op != opDB:
			dd.SetTag(ext.SQLQuery, v.String())
		case n.flags&(fResource|fQuery) == 0:
			n.flags |= fQuery
			dd.SetTag(ext.ResourceName, v.String())
		}
	case actResource:
		n.flags |= fResource
		dd.SetTag(ext.ResourceName, v.String())
	case actType:
		n.flags |= fType
		dd.SetTag(ext.SpanType, v.String())
	case actService:
		n.setServiceLocked(v.String())
	}
}

// setServiceLocked changes the span's service after start, and whether it
// is top-level (a service entry span: a local root, or a span whose service
// differs from its parent's), which dd-trace-go decides only at start.
func (n *span) setServiceLocked(svc string) {
	n.flags |= fService
	n.svc.Store(&svc)
	n.dd.SetTag(ext.ServiceName, svc)
	if n.localRoot || n.parentSvc == nil || svc != *n.parentSvc {
		n.dd.SetTag("_dd.top_level", topLevel1)
	} else {
		n.dd.SetTag("_dd.top_level", topLevel0)
	}
}

func (n *span) AddEvent(name string, t time.Time, attrs tracing.Attrs) {
	if n.ended.Load() {
		return
	}
	lim := &n.b.s.lim
	if lim.Events >= 0 && int(n.events.Add(1)) > lim.Events {
		return
	}
	opts := make([]tracer.SpanEventOption, 0, 2)
	if !t.IsZero() {
		opts = append(opts, tracer.WithSpanEventTimestamp(t))
	}
	if attrs.Len() > 0 {
		m := make(map[string]any, attrs.Len())
		for i := range attrs.Len() {
			a := attrs.At(i)
			if lim.AttrsPerEvent >= 0 && len(m) >= lim.AttrsPerEvent {
				break
			}
			if backendkit.Truncated(a.Value, lim.AttrValueLen) {
				a.Value = backendkit.TruncateValue(a.Value, lim.AttrValueLen)
			}
			if v, ok := toEventValue(a.Value); ok {
				m[a.Key] = v
			}
		}
		opts = append(opts, tracer.WithSpanEventAttributes(m))
	}
	n.dd.AddEvent(name, opts...)
}

// RecordError sets Datadog's error tags; Span.RecordError then marks the
// span failed through SetStatus. The stack is the facade's (only with
// tracing.WithStack), never one dd-trace-go takes itself.
func (n *span) RecordError(info tracing.ErrorInfo) {
	if n.ended.Load() {
		return
	}
	vl := n.b.s.lim.AttrValueLen
	n.dd.SetTag(ext.ErrorMsg, backendkit.TruncateString(info.Message, vl))
	n.dd.SetTag(ext.ErrorType, backendkit.TruncateString(info.Type, vl))
	if info.Stack != "" {
		n.dd.SetTag(ext.ErrorStack, backendkit.TruncateString(info.Stack, vl))
	}
}

// SetStatus maps StatusError to Datadog's error flag (error=1) and
// error.message; StatusOK, which is final, clears the flag. As in
// OpenTelemetry, Unset < Error < OK and a lower code never replaces a
// higher one.
func (n *span) SetStatus(code tracing.StatusCode, desc string) {
	if n.ended.Load() {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if code < n.status {
		return
	}
	prev := n.status
	n.status = code
	switch code {
	case tracing.StatusError:
		n.dd.SetTag(ext.Error, boolTrue)
		if desc != "" {
			n.dd.SetTag(ext.ErrorMsg, backendkit.TruncateString(desc, n.b.s.lim.AttrValueLen))
		}
	case tracing.StatusOK:
		if prev == tracing.StatusError {
			n.dd.SetTag(ext.Error, boolFalse)
		}
	}
}

func (n *span) End(t time.Time) {
	if !n.ended.CompareAndSwap(false, true) {
		return
	}
	n.mu.Lock()
	if u := n.url; u != nil {
		if n.flags&fURLFull == 0 && u.path != "" {
			n.dd.SetTag(ext.HTTPURL, u.url())
		}
		if n.kind == tracing.SpanKindServer && u.host != "" {
			n.dd.SetTag("http.host", u.hostPort())
		}
	}
	n.mu.Unlock()
	if t.IsZero() {
		n.dd.Finish()
	} else {
		n.dd.Finish(tracer.FinishTime(t))
	}
	switch {
	case n.b.closed.Load():
		n.b.counts.AddDropped(backendkit.DropAfterShutdown, 1)
	case sampledOut(n.dd):
		// Dropped by sampling, not lost: the transport does not count
		// such spans either.
	default:
		n.b.counts.AddEnded(1)
	}
}

// sampledOut reports whether the span's trace has a sampling priority that
// drops it (0 or less).
func sampledOut(dd *tracer.Span) bool {
	p, ok := dd.Context().SamplingPriority()
	return ok && p <= 0
}
