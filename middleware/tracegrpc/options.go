package tracegrpc

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/polytrace/polytrace/tracing"
)

// Option configures the stats handlers and interceptors. Options that do
// not apply to one side (WithPublicEndpoint on a client) are ignored there.
type Option func(*config)

// config is what the options set; the zero config is the default.
type config struct {
	tracer      *tracing.Tracer
	prop        tracing.Propagator
	filters     []func(context.Context, CallInfo) bool
	traceHealth bool
	namer       func(CallInfo) string
	service     string
	reqMD       []mdCapture
	respMD      []mdCapture
	messages    bool
	public      func(context.Context, CallInfo) bool
	fails       func(codes.Code) bool
}

// mdCapture is a metadata key recorded as an attribute.
type mdCapture struct {
	name   string // lower-case metadata key
	key    string // attribute key
	redact bool   // record "REDACTED" instead of the values
	binary bool   // a -bin key: values are base64-encoded
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// tracerAndPropagator returns the tracer and propagator of one call.
func (c *config) tracerAndPropagator() (*tracing.Tracer, tracing.Propagator) {
	t := c.tracer
	if t == nil {
		t = tracing.Default()
	}
	p := c.prop
	if p == nil {
		p = t.Propagator()
	}
	return t, p
}

// needInfo reports whether a call needs its CallInfo for a user function.
func (c *config) needInfo() bool {
	return len(c.filters) > 0 || c.namer != nil || c.public != nil
}

// skip reports whether the call is not to be traced.
func (c *config) skip(ctx context.Context, info *CallInfo) bool {
	if !c.traceHealth && isHealth(info.FullMethod) {
		return true
	}
	for _, f := range c.filters {
		if !f(ctx, *info) {
			return true
		}
	}
	return false
}

// WithTracer uses t instead of the process default tracer, which is
// otherwise looked up at each call (tracing.Default()), so that a handler
// built before the program chooses its backend still uses it.
func WithTracer(t *tracing.Tracer) Option { return func(c *config) { c.tracer = t } }

// WithPropagator extracts (servers) or injects (clients) trace context with
// p instead of the tracer's propagator.
func WithPropagator(p tracing.Propagator) Option { return func(c *config) { c.prop = p } }

// WithFilter traces only the calls for which f returns true; the others
// pass through untouched (no span, no trace context read or written).
// Several filters must all return true. ctx carries the call's metadata
// (incoming on servers, outgoing on clients).
func WithFilter(f func(ctx context.Context, call CallInfo) bool) Option {
	return func(c *config) {
		if f != nil {
			c.filters = append(c.filters, f)
		}
	}
}

// WithHealthChecks traces the calls of the standard health service
// (grpc.health.v1.Health), which are not traced by default: load
// balancers and orchestrators call it every few seconds.
func WithHealthChecks() Option { return func(c *config) { c.traceHealth = true } }

// WithSpanNamer names spans with f instead of OpenTelemetry's
// "pkg.Service/Method"; an empty result keeps that name. The Datadog
// backend's resource stays "/pkg.Service/Method" whatever the name.
func WithSpanNamer(f func(call CallInfo) string) Option { return func(c *config) { c.namer = f } }

// WithService records the spans under service s (tracing.WithService)
// instead of the process's, for example "calendar-client".
func WithService(s string) Option { return func(c *config) { c.service = s } }

// WithRequestMetadata records the named request metadata as
// rpc.grpc.request.metadata.<key> attributes (string slices): on servers
// what the client sent, on clients what is sent. None is recorded by
// default. Keys that may carry credentials (authorization, cookie,
// x-api-key, names with "auth", "token", "secret", "session", "password",
// …) are recorded as "REDACTED" even when listed; values of binary keys
// (-bin) are recorded base64-encoded.
func WithRequestMetadata(keys ...string) Option {
	return func(c *config) { c.reqMD = appendCaptures(c.reqMD, KeyRequestMDPrefix, keys) }
}

// WithResponseMetadata records the named response metadata (headers and
// trailers) as rpc.grpc.response.metadata.<key> attributes, redacted as
// WithRequestMetadata. The stats handlers and the client interceptors
// record it; the server interceptors cannot see it.
func WithResponseMetadata(keys ...string) Option {
	return func(c *config) { c.respMD = appendCaptures(c.respMD, KeyResponseMDPrefix, keys) }
}

func appendCaptures(dst []mdCapture, prefix string, keys []string) []mdCapture {
	for _, k := range keys {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		dup := false
		for _, m := range dst {
			if m.name == k {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, mdCapture{name: k, key: prefix + k, redact: sensitiveMetadata(k), binary: strings.HasSuffix(k, "-bin")})
		}
	}
	return dst
}

// WithMessageEvents records an event per message sent and received,
// named "message", with message.type (SENT or RECEIVED), message.id (1, 2,
// … per direction) and message.uncompressed_size (and, on the stats
// handlers, message.compressed_size). Off by default: a stream of many
// messages makes a large span. Message contents are never recorded.
func WithMessageEvents() Option { return func(c *config) { c.messages = true } }

// WithPublicEndpoint makes every server span start a new trace linked to
// the caller's span rather than join the caller's trace, for services
// that face callers outside the trust boundary (servers only).
func WithPublicEndpoint() Option {
	return func(c *config) { c.public = func(context.Context, CallInfo) bool { return true } }
}

// WithPublicEndpointFn is WithPublicEndpoint for the calls f selects.
func WithPublicEndpointFn(f func(ctx context.Context, call CallInfo) bool) Option {
	return func(c *config) { c.public = f }
}

// WithErrorCodes decides which status codes fail a span. Default: on
// servers Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable
// and DataLoss (ServerFails), on clients every code but OK (ClientFails),
// as OpenTelemetry's semantic conventions say.
func WithErrorCodes(f func(code codes.Code) bool) Option { return func(c *config) { c.fails = f } }
