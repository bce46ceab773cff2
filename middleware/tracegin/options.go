package tracegin

import (
	"net/http"

	"github.com/polytrace/polytrace/middleware/internal/httptrace"
	"github.com/polytrace/polytrace/tracing"
)

// Option configures Middleware. It is one type shared by all of
// polytrace's HTTP adapters (tracehttp, tracechi, tracegin and traceecho
// declare the same alias), so a list of options can be built once and
// passed to any of them.
type Option = httptrace.Option

// WithTracer uses t instead of the process default tracer, which is
// otherwise looked up at each request (tracing.Default()), so that a
// handler built before the program chooses its backend still uses it.
func WithTracer(t *tracing.Tracer) Option { return httptrace.WithTracer(t) }

// WithPropagator extracts the caller's trace context with p instead of the
// tracer's propagator.
func WithPropagator(p tracing.Propagator) Option { return httptrace.WithPropagator(p) }

// WithFilter traces only the requests for which f returns true (for
// example, f returns false for "/health"); the others pass through
// untouched. Several filters must all return true.
func WithFilter(f func(*http.Request) bool) Option { return httptrace.WithFilter(f) }

// WithSpanNamer names spans with f, given the request and its route
// template ("" if no route matched). The resource follows the name unless
// WithResourceNamer is given; an empty result keeps the default name
// ("GET /notes/{id}").
func WithSpanNamer(f func(r *http.Request, route string) string) Option {
	return httptrace.WithSpanNamer(f)
}

// WithResourceNamer sets the Datadog-style resource with f instead of the
// span name.
func WithResourceNamer(f func(r *http.Request, route string) string) Option {
	return httptrace.WithResourceNamer(f)
}

// WithService records the spans under service s instead of the process's
// service.
func WithService(s string) Option { return httptrace.WithService(s) }

// WithRequestHeaders records the named request headers as
// http.request.header.<name> attributes. Credential headers
// (Authorization, Cookie, X-Api-Key, names with "token", "secret",
// "session", …) are recorded as "REDACTED" even when listed.
func WithRequestHeaders(names ...string) Option { return httptrace.WithRequestHeaders(names...) }

// WithResponseHeaders records the named response headers as
// http.response.header.<name> attributes, redacted as WithRequestHeaders.
func WithResponseHeaders(names ...string) Option { return httptrace.WithResponseHeaders(names...) }

// WithPublicEndpoint makes every server span start a new trace linked to
// the caller's span rather than join the caller's trace, for services that
// face the internet.
func WithPublicEndpoint() Option { return httptrace.WithPublicEndpoint() }

// WithPublicEndpointFn is WithPublicEndpoint for the requests f selects.
func WithPublicEndpointFn(f func(*http.Request) bool) Option {
	return httptrace.WithPublicEndpointFn(f)
}

// WithTraceIDResponseHeader sends each traced request's trace id in the
// named response header (off by default).
func WithTraceIDResponseHeader(name string) Option { return httptrace.WithTraceIDResponseHeader(name) }

// WithQueryKeys records query keys, each with the value "REDACTED"; values
// are never recorded. Default: off (no url.query).
func WithQueryKeys(on bool) Option { return httptrace.WithQueryKeys(on) }

// WithErrorStatus decides which status codes fail a span. Default: 5xx.
func WithErrorStatus(f func(status int) bool) Option { return httptrace.WithErrorStatus(f) }
