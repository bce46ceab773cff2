package httpkit

import (
	"net/http"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// Option configures an adapter. Every public adapter package declares
// `type Option = httpkit.Option` and re-exports the constructors below as
// thin wrappers, so that the four adapters share one option type and one
// implementation: a []tracechi.Option is also a []tracehttp.Option.
type Option func(*Config)

// Config is what the options set. The zero Config is the default
// configuration.
type Config struct {
	// Tracer is the tracer spans are started on; nil means tracing.Default()
	// at request time, so that a middleware built before the program
	// chooses its backend still uses the backend chosen.
	Tracer *tracing.Tracer
	// Propagator overrides the tracer's propagator for Extract (server)
	// and Inject (client).
	Propagator tracing.Propagator
	// Filters must all return true for a request to be traced.
	Filters []func(*http.Request) bool
	// SpanNamer names spans; nil means the OpenTelemetry names (see
	// SpanName and ClientSpanName).
	SpanNamer func(r *http.Request, route string) string
	// ResourceNamer names the Datadog-style resource; nil means the span
	// name.
	ResourceNamer func(r *http.Request, route string) string
	// Service records the spans under another service name.
	Service string
	// ReqHeaders and RespHeaders are the headers recorded as attributes.
	ReqHeaders, RespHeaders []HeaderCapture
	// PublicEndpoint reports whether a request comes from outside the
	// trust boundary: its span starts a new trace linked to the caller's.
	PublicEndpoint func(*http.Request) bool
	// TraceIDHeader is the response header that carries the trace id
	// (server only); "" means none.
	TraceIDHeader string
	// QueryKeys says whether query keys are recorded (values never are);
	// nil means the default: off for servers, on for clients.
	QueryKeys *bool
	// IsError reports whether a status code fails the span; nil means
	// >= 500 for servers and >= 400 for clients.
	IsError func(status int) bool
}

// HeaderCapture is a header recorded as an attribute.
type HeaderCapture struct {
	Name   string // canonical header name
	Key    string // attribute key: http.request.header.<lower-case name>
	Redact bool   // record "REDACTED" instead of the values
}

// NewConfig applies opts, ignoring nil ones.
func NewConfig(opts []Option) Config {
	var c Config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// TracerAndPropagator returns the tracer and propagator to use for one
// request.
func (c *Config) TracerAndPropagator() (*tracing.Tracer, tracing.Propagator) {
	t := c.Tracer
	if t == nil {
		t = tracing.Default()
	}
	p := c.Propagator
	if p == nil {
		p = t.Propagator()
	}
	return t, p
}

// Skip reports whether a filter rejects r.
func (c *Config) Skip(r *http.Request) bool {
	for _, f := range c.Filters {
		if !f(r) {
			return true
		}
	}
	return false
}

// WithTracer makes the adapter use t instead of the process default tracer
// (tracing.Default(), looked up at each request).
func WithTracer(t *tracing.Tracer) Option { return func(c *Config) { c.Tracer = t } }

// WithPropagator makes the adapter extract (server) or inject (client)
// trace context with p instead of the tracer's own propagator.
func WithPropagator(p tracing.Propagator) Option { return func(c *Config) { c.Propagator = p } }

// WithFilter traces only the requests for which f returns true; the others
// are served (or sent) untouched. Several filters must all return true.
func WithFilter(f func(*http.Request) bool) Option {
	return func(c *Config) {
		if f != nil {
			c.Filters = append(c.Filters, f)
		}
	}
}

// WithSpanNamer names spans with f, given the request and the route
// template ("" when no route matched, and always "" for client spans). The
// resource follows the span name unless WithResourceNamer is given. An
// empty result keeps the default name.
func WithSpanNamer(f func(r *http.Request, route string) string) Option {
	return func(c *Config) { c.SpanNamer = f }
}

// WithResourceNamer sets the Datadog-style resource with f instead of
// using the span name; for example "GET /calendar" for client spans, which
// are named "GET". An empty result keeps the span name.
func WithResourceNamer(f func(r *http.Request, route string) string) Option {
	return func(c *Config) { c.ResourceNamer = f }
}

// WithService records the spans under the service name s
// (tracing.WithService) instead of the process's.
func WithService(s string) Option { return func(c *Config) { c.Service = s } }

// WithRequestHeaders records the named request headers as
// http.request.header.<lower-case name> attributes (string slices). Headers
// that carry credentials (Authorization, Cookie, X-Api-Key, names with
// "token", "secret", "session", …) are recorded as "REDACTED" even when
// listed.
func WithRequestHeaders(names ...string) Option {
	return func(c *Config) { c.ReqHeaders = appendCaptures(c.ReqHeaders, "http.request.header.", names) }
}

// WithResponseHeaders records the named response headers as
// http.response.header.<lower-case name> attributes, with the same
// redaction as WithRequestHeaders (Set-Cookie is always redacted).
func WithResponseHeaders(names ...string) Option {
	return func(c *Config) { c.RespHeaders = appendCaptures(c.RespHeaders, "http.response.header.", names) }
}

func appendCaptures(dst []HeaderCapture, prefix string, names []string) []HeaderCapture {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		canon := http.CanonicalHeaderKey(n)
		dup := false
		for _, h := range dst {
			if h.Name == canon {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, HeaderCapture{Name: canon, Key: prefix + strings.ToLower(canon), Redact: SensitiveHeader(canon)})
		}
	}
	return dst
}

// WithPublicEndpoint treats every request as coming from outside the trust
// boundary: the server span starts a new trace (tracing.WithNewRoot) and
// links to the caller's span instead of becoming its child (server only).
func WithPublicEndpoint() Option {
	return func(c *Config) { c.PublicEndpoint = func(*http.Request) bool { return true } }
}

// WithPublicEndpointFn is WithPublicEndpoint for the requests f selects.
func WithPublicEndpointFn(f func(*http.Request) bool) Option {
	return func(c *Config) { c.PublicEndpoint = f }
}

// WithTraceIDResponseHeader sets the response header name (for example
// "X-Trace-Id") to the trace id of each traced request, in the form the
// backend's users expect (tracing.IDFormatter; 32 hex digits by default).
// Off by default: it tells callers that a request was traced (server only).
func WithTraceIDResponseHeader(name string) Option {
	return func(c *Config) { c.TraceIDHeader = http.CanonicalHeaderKey(strings.TrimSpace(name)) }
}

// WithQueryKeys says whether the keys of query strings are recorded, each
// with the value "REDACTED" (url.query on servers, inside url.full on
// clients). Query values are never recorded. Default: off for servers, on
// for clients.
func WithQueryKeys(on bool) Option { return func(c *Config) { c.QueryKeys = &on } }

// WithErrorStatus decides which status codes mark a span failed. Default:
// 5xx for servers (4xx are the client's fault), 4xx and 5xx for clients, as
// OpenTelemetry's semantic conventions say. Status codes outside 100–599
// always fail the span.
func WithErrorStatus(f func(status int) bool) Option { return func(c *Config) { c.IsError = f } }
