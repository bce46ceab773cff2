package jaegerbackend

import (
	"net/http"

	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"
	"github.com/uber/jaeger-lib/metrics"
)

// An Option configures the jaeger backend. Options are passed to New, or
// through tracing.Open and tracing.FromEnv with tracing.WithBackendOptions.
// Options set in code override the environment.
type Option func(*options)

type options struct {
	logger      jaeger.Logger
	metrics     metrics.Factory
	sampler     jaeger.Sampler
	reporter    jaeger.Reporter
	configure   []func(*config.Configuration)
	roundTrip   http.RoundTripper
	formats     []Format
	formatsSet  bool
	service     string
	environment string
	version     string
	valueLen    *int
	attrCount   *int
	eventCount  *int
}

// WithLogger makes jaeger-client-go log through l (reporter errors, sampler
// updates, and with JAEGER_REPORTER_LOG_SPANS=true every reported span). By
// default it logs nothing. NewSlogLogger adapts a *slog.Logger.
func WithLogger(l jaeger.Logger) Option { return func(o *options) { o.logger = l } }

// WithMetricsFactory makes jaeger-client-go report its own metrics (spans
// started and finished, reporter results, sampler updates, …) to f, for
// example a Prometheus factory from github.com/uber/jaeger-lib/metrics. The
// backend still counts dropped spans for Stats.
func WithMetricsFactory(f metrics.Factory) Option { return func(o *options) { o.metrics = f } }

// WithSampler replaces the sampler that JAEGER_SAMPLER_TYPE and
// JAEGER_SAMPLER_PARAM describe.
func WithSampler(s jaeger.Sampler) Option { return func(o *options) { o.sampler = s } }

// WithReporter sends spans to r instead of to the agent or collector that
// JAEGER_AGENT_* or JAEGER_ENDPOINT name, for example an in-memory reporter
// in tests. ForceFlush then does nothing and Stats counts no exported
// spans, since the backend cannot see what r does.
func WithReporter(r jaeger.Reporter) Option { return func(o *options) { o.reporter = r } }

// WithConfig edits jaeger-client-go's configuration after it was read from
// the environment (config.FromEnv) and before the tracer is built: the
// escape hatch for settings without a variable (reporter HTTP headers,
// header names, …; the tag length is WithAttributeValueLengthLimit). The
// backend still overrides Gen128Bit (always on) and installs its own
// propagation codecs.
func WithConfig(f func(*config.Configuration)) Option {
	return func(o *options) {
		if f != nil {
			o.configure = append(o.configure, f)
		}
	}
}

// WithHTTPRoundTripper sets the round tripper used to send spans to an HTTP
// collector (JAEGER_ENDPOINT), for example one with client certificates.
// Requests still stop when Shutdown's or ForceFlush's context is done.
func WithHTTPRoundTripper(rt http.RoundTripper) Option { return func(o *options) { o.roundTrip = rt } }

// WithPropagation sets the formats Inject writes, overriding
// JAEGER_PROPAGATION. Extract always accepts both formats.
func WithPropagation(formats ...Format) Option {
	return func(o *options) { o.formats, o.formatsSet = append([]Format(nil), formats...), true }
}

// WithServiceName sets the service name, overriding JAEGER_SERVICE_NAME and
// the other vendors' variables (as tracing.WithServiceName does through
// tracing.Open).
func WithServiceName(name string) Option { return func(o *options) { o.service = name } }

// WithEnvironment sets the deployment environment, recorded as the process
// tag deployment.environment.name.
func WithEnvironment(env string) Option { return func(o *options) { o.environment = env } }

// WithVersion sets the service version, recorded as the process tag
// service.version.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithAttributeValueLengthLimit truncates string attribute values (tags,
// and the strings of string slices) and the fields of events and error
// logs to n characters, over OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT and
// OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT; a negative n means no limit. By
// default tags keep jaeger-client-go's 256 characters and log fields
// (which jaeger-client-go does not limit) DefaultLogFieldLength, so that
// an error's stack trace survives while the span still fits in one UDP
// datagram.
func WithAttributeValueLengthLimit(n int) Option { return func(o *options) { o.valueLen = &n } }

// WithAttributeCountLimit sets how many attribute writes a span keeps,
// over OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and OTEL_ATTRIBUTE_COUNT_LIMIT
// (default 128; negative: no limit). jaeger-client-go appends a tag for
// every write, a key set again included, so the limit counts writes: the
// later ones are dropped.
func WithAttributeCountLimit(n int) Option { return func(o *options) { o.attrCount = &n } }

// WithEventCountLimit sets how many events (AddEvent and RecordError logs)
// a span keeps, over OTEL_SPAN_EVENT_COUNT_LIMIT (default 128; negative: no
// limit); later ones are dropped.
func WithEventCountLimit(n int) Option { return func(o *options) { o.eventCount = &n } }

// Format is a propagation format the backend can inject.
type Format string

// The formats. Both are injected by default.
const (
	// FormatJaeger is Jaeger's native format: the uber-trace-id header and
	// one uberctx-<key> header per baggage item.
	FormatJaeger Format = "jaeger"
	// FormatW3C is W3C trace context (traceparent, tracestate) and W3C
	// baggage (baggage).
	FormatW3C Format = "w3c"
)
