package httpkit

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// Server turns incoming requests into server spans. Adapters create one per
// middleware and call Skip, Start and then End or EndPanic for each
// request; they only translate their framework's route, status and errors.
type Server struct {
	cfg       Config
	queryKeys bool
	isError   func(int) bool
}

// NewServer returns a Server configured by opts.
func NewServer(opts []Option) *Server {
	s := &Server{cfg: NewConfig(opts), isError: isServerError}
	if s.cfg.QueryKeys != nil {
		s.queryKeys = *s.cfg.QueryKeys
	}
	if s.cfg.IsError != nil {
		s.isError = s.cfg.IsError
	}
	return s
}

// Skip reports whether r is not to be traced (a filter rejected it).
func (s *Server) Skip(r *http.Request) bool { return s.cfg.Skip(r) }

// ServerSpan is the span of one request. It is a value that lives on the
// adapter's stack.
type ServerSpan struct {
	span      tracing.Span
	recording bool
	srv       *Server
	tracer    *tracing.Tracer
	req       *http.Request
	method    string
	route     string
}

// Start extracts the caller's trace context from r's headers and starts
// the server span, named for route (the route template matched so far, ""
// if none). It returns the context for the handler: it carries the span,
// or, when the span is not recording, whatever was extracted. A request
// that is not recorded costs no allocation here once its name is cached
// (none backend, no incoming trace headers).
func (s *Server) Start(r *http.Request, route string) (context.Context, ServerSpan) {
	tracer, prop := s.cfg.TracerAndPropagator()
	public := s.cfg.PublicEndpoint != nil && s.cfg.PublicEndpoint(r)
	if !tracer.Enabled() {
		// Tracing is off: what the caller sent still goes on to the
		// handler (so that a service without tracing does not cut its
		// callers' traces), unless the caller is outside the trust
		// boundary; there is no span to name or describe.
		ctx := r.Context()
		if !public {
			ctx = prop.Extract(ctx, tracing.HeaderCarrier(r.Header))
		}
		return ctx, ServerSpan{srv: s, tracer: tracer, req: r}
	}
	ctx := prop.Extract(r.Context(), tracing.HeaderCarrier(r.Header))

	method, original := Method(r.Method)
	name := s.spanName(r, method, route)
	resource := s.resourceName(r, route, name)
	https := r.TLS != nil
	scheme := "http"
	if https {
		scheme = "https"
	}

	// At most eight attributes at Start: tracing.Attrs holds eight
	// without allocating, and samplers see these. The rest are set once
	// the span is known to record.
	var attrs [8]tracing.Attr
	n := 0
	add := func(a tracing.Attr) { attrs[n] = a; n++ }
	add(tracing.String(KeyMethod, method))
	add(tracing.String(KeyURLScheme, scheme))
	if r.URL != nil && r.URL.Path != "" {
		add(tracing.String(KeyURLPath, r.URL.Path))
	}
	if route != "" {
		add(tracing.String(KeyRoute, route))
	}
	host, port := SplitHostPort(r.Host)
	if host != "" {
		add(tracing.String(KeyServerAddress, host))
	}
	if p := nonDefaultPort(https, port); p > 0 {
		add(tracing.Int(KeyServerPort, p))
	}
	if ca := ClientAddress(r); ca != "" {
		add(tracing.String(KeyClientAddress, ca))
	}
	if ua := r.Header["User-Agent"]; len(ua) > 0 && ua[0] != "" {
		add(tracing.String(KeyUserAgent, ua[0]))
	}

	// Options go into a fixed array by index: append would make the
	// compiler move them, and the attributes they point to, to the heap.
	var opts [7]tracing.StartOption
	opts[0] = tracing.WithKind(tracing.SpanKindServer)
	opts[1] = tracing.WithSpanType(tracing.TypeWeb)
	opts[2] = tracing.WithResource(resource)
	opts[3] = tracing.WithAttrs(attrs[:n]...)
	no := 4
	if s.cfg.Service != "" {
		opts[no] = tracing.WithService(s.cfg.Service)
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
	ctx, span := tracer.Start(ctx, name, opts[:no]...)

	ss := ServerSpan{span: span, srv: s, tracer: tracer, req: r, method: method, route: route}
	if !span.IsRecording() {
		return ctx, ss
	}
	ss.recording = true

	var more [8]tracing.Attr
	extra := more[:0]
	if original != "" {
		extra = append(extra, tracing.String(KeyMethodOriginal, original))
	}
	if v := ProtocolVersion(r.Proto, r.ProtoMajor, r.ProtoMinor); v != "" {
		extra = append(extra, tracing.String(KeyProtoVersion, v))
	}
	if r.ContentLength > 0 {
		extra = append(extra, tracing.Int64(KeyReqBodySize, r.ContentLength))
	}
	if s.queryKeys && r.URL != nil && r.URL.RawQuery != "" {
		if q := RedactQuery(r.URL.RawQuery); q != "" {
			extra = append(extra, tracing.String(KeyURLQuery, q))
		}
	}
	extra = HeaderAttrs(extra, s.cfg.ReqHeaders, r.Header)
	if len(extra) > 0 {
		span.SetAttrs(extra...)
	}
	return ctx, ss
}

func (s *Server) spanName(r *http.Request, method, route string) string {
	if s.cfg.SpanNamer != nil {
		if n := s.cfg.SpanNamer(r, route); n != "" {
			return n
		}
	}
	return SpanName(method, route)
}

func (s *Server) resourceName(r *http.Request, route, name string) string {
	if s.cfg.ResourceNamer != nil {
		if n := s.cfg.ResourceNamer(r, route); n != "" {
			return n
		}
	}
	return name
}

// Recording reports whether the span records; adapters skip wrapping the
// response when it does not.
func (ss *ServerSpan) Recording() bool { return ss.recording }

// Span returns the span.
func (ss *ServerSpan) Span() tracing.Span { return ss.span }

// TraceIDHeader returns the configured trace id response header and the
// trace id to send in it, or "" when the option is off or there is no
// valid trace id. Adapters set it before the handler runs, whether or not
// the span records.
func (ss *ServerSpan) TraceIDHeader() (name, id string) {
	name = ss.srv.cfg.TraceIDHeader
	if name == "" {
		return "", ""
	}
	sc := ss.span.SpanContext()
	if !sc.IsValid() {
		return "", ""
	}
	if f, ok := ss.tracer.Backend().(tracing.IDFormatter); ok {
		if tid, _ := f.FormatIDs(sc); tid != "" {
			return name, tid
		}
	}
	return name, sc.TraceID().String()
}

// CapturesResponseHeaders reports whether End wants Outcome.RespHeader.
// Adapters skip reading the header otherwise: net/http may clone it.
func (ss *ServerSpan) CapturesResponseHeaders() bool { return len(ss.srv.cfg.RespHeaders) > 0 }

// Outcome is what the framework says about a served request.
type Outcome struct {
	// Route is the route template after routing ("" if none matched).
	Route string
	// Status is the status code written, 0 if none was (net/http then
	// sends 200 when the handler returns).
	Status int
	// RespBodySize is the number of body bytes written; 0 or less is not
	// recorded.
	RespBodySize int64
	// RespHeader is the response header, for WithResponseHeaders.
	RespHeader http.Header
	// Hijacked is true if the handler took over the connection.
	Hijacked bool
}

// End records the outcome and the errors the framework reported (nil ones
// are ignored), and ends the span. Errors fail the span when the status
// does (5xx by default); otherwise they are recorded as exception events,
// so that a 404 with its error keeps the error's details without marking
// the span failed.
func (ss *ServerSpan) End(o Outcome, errs ...error) {
	if !ss.recording {
		return
	}
	status, failed := ss.setOutcome(o, false, errs)
	span := ss.span
	recorded := false
	for _, err := range errs {
		if err == nil {
			continue
		}
		if failed {
			span.RecordError(err)
			recorded = true
		} else {
			ExceptionEvent(span, err)
		}
	}
	if failed && !recorded {
		if validStatus(status) {
			span.SetStatus(tracing.StatusError, "")
		} else {
			span.SetStatus(tracing.StatusError, "invalid HTTP status code "+StatusString(status))
		}
	}
	span.End()
}

// EndPanic records a handler panic with value v (message, type, and the
// stack where it happened) and ends the span. The adapter re-panics with v
// afterwards. http.ErrAbortHandler, which net/http uses to abort a
// response on purpose, is not recorded as an error.
func (ss *ServerSpan) EndPanic(v any, o Outcome) {
	if !ss.recording {
		return
	}
	span := ss.span
	if v == http.ErrAbortHandler { //nolint:errorlint // net/http compares it with ==
		ss.setOutcome(o, true, nil)
		span.End()
		return
	}
	info := tracing.ErrorInfo{Stack: panicStack()}
	if err, ok := v.(error); ok {
		info.Err, info.Message, info.Type = err, err.Error(), tracing.ErrorType(err)
	} else {
		info.Message, info.Type = fmt.Sprint(v), fmt.Sprintf("%T", v)
	}
	ss.setOutcome(o, true, nil)
	span.SetAttrs(tracing.String(KeyErrorType, info.Type))
	// The panic's own type and stack, not those of an error wrapping it.
	span.RecordErrorInfo(info)
	span.End()
}

// setOutcome renames the span if routing changed the route, and records
// the status, body size, error type and response headers. It returns the
// status and whether it fails the span.
func (ss *ServerSpan) setOutcome(o Outcome, panicked bool, errs []error) (status int, failed bool) {
	var buf [8]tracing.Attr
	a := buf[:0]
	if o.Route != ss.route {
		name := ss.srv.spanName(ss.req, ss.method, o.Route)
		ss.span.SetName(name)
		a = append(a, tracing.String(tracing.KeyResource, ss.srv.resourceName(ss.req, o.Route, name)))
		if o.Route != "" {
			a = append(a, tracing.String(KeyRoute, o.Route))
		}
	}
	status = o.Status
	if status == 0 && !o.Hijacked && !panicked {
		status = http.StatusOK
	}
	if status != 0 {
		a = append(a, tracing.Int(KeyStatusCode, status))
		failed = !validStatus(status) || ss.srv.isError(status)
	}
	if o.RespBodySize > 0 {
		a = append(a, tracing.Int64(KeyRespBodySize, o.RespBodySize))
	}
	if failed && !panicked {
		et := StatusString(status)
		for _, err := range errs {
			if err != nil {
				et = tracing.ErrorType(err)
				break
			}
		}
		a = append(a, tracing.String(KeyErrorType, et))
	}
	if o.RespHeader != nil {
		a = HeaderAttrs(a, ss.srv.cfg.RespHeaders, o.RespHeader)
	}
	if len(a) > 0 {
		ss.span.SetAttrs(a...)
	}
	return status, failed
}

// ExceptionEvent records err as an OpenTelemetry "exception" event without
// failing the span (as OpenTelemetry's RecordError does, and unlike the
// facade's, which also sets status Error).
func ExceptionEvent(span tracing.Span, err error) {
	span.AddEvent("exception",
		tracing.String("exception.type", tracing.ErrorType(err)),
		tracing.String("exception.message", err.Error()))
}

// panicStack returns the stack of the panicking goroutine from the frame
// that panicked: the frames of the deferred functions that recovered and of
// the runtime's panic machinery are cut off.
func panicStack() string {
	s := tracing.Stack(0)
	const marker = "runtime.gopanic\n"
	i := strings.Index(s, "\n"+marker)
	if i < 0 {
		if !strings.HasPrefix(s, marker) {
			return s
		}
		i = -1
	}
	rest := s[i+1+len(marker):] // "\t<file>:<line>\n<next frame>…"
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		return rest[j+1:]
	}
	return s
}
