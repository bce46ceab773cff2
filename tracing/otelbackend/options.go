package otelbackend

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// An Option configures the backend in code. Options override the
// environment. Pass them to New, or through tracing.Open and
// tracing.FromEnv with tracing.WithBackendOptions.
type Option func(*config)

// Protocol is an OTLP transport.
type Protocol string

// The OTLP transports the backend speaks (the values of
// OTEL_EXPORTER_OTLP_PROTOCOL).
const (
	ProtocolGRPC         Protocol = "grpc"
	ProtocolHTTPProtobuf Protocol = "http/protobuf"
)

type config struct {
	provider   trace.TracerProvider
	exporter   sdktrace.SpanExporter
	sampler    sdktrace.Sampler
	propagator propagation.TextMapPropagator
	limits     *sdktrace.SpanLimits
	batch      []sdktrace.BatchSpanProcessorOption
	resource   []attribute.KeyValue
	endpoint   string
	protocol   Protocol
	headers    map[string]string
	noGlobal   bool

	sdkExporter bool

	meterProvider metric.MeterProvider

	service, environment, version string
}

// WithServiceName sets the service name (service.name), overriding
// OTEL_SERVICE_NAME and the other vendors' variables.
func WithServiceName(name string) Option { return func(c *config) { c.service = name } }

// WithEnvironment sets the deployment environment
// (deployment.environment.name).
func WithEnvironment(env string) Option { return func(c *config) { c.environment = env } }

// WithVersion sets the service version (service.version).
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithTracerProvider makes the backend start its spans on tp, a
// TracerProvider the application already built (and configured: its
// exporter, sampler and resource are used as they are, and the OTEL_*
// variables that configure those are not read). The backend's Shutdown
// then only flushes tp (if tp has a ForceFlush method) and does not shut
// it down: tp belongs to the application, which shuts it down itself.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithExporter makes the backend export through e, batched, instead of the
// exporter OTEL_TRACES_EXPORTER selects. The OTEL_BSP_* variables still
// configure the batching.
func WithExporter(e sdktrace.SpanExporter) Option {
	return func(c *config) { c.exporter = e }
}

// WithSampler sets the sampler instead of OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG.
func WithSampler(s sdktrace.Sampler) Option {
	return func(c *config) { c.sampler = s }
}

// WithPropagator sets the propagator Inject and Extract use, for both
// directions, instead of OTEL_PROPAGATORS and the default (see the package
// documentation).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// WithSpanLimits sets the span limits instead of the OTEL_*_LIMIT
// variables. A zero field keeps its default (the SDK's, and 25000
// characters for the attribute value length, which the SDK does not
// limit); a negative one means no limit. The value length limit also
// applies to event attributes (exception messages and stack traces
// included) and to the status description, which the SDK does not
// truncate.
func WithSpanLimits(l sdktrace.SpanLimits) Option {
	return func(c *config) { c.limits = &l }
}

// WithBatchOptions configures the backend's batching span processor with
// the SDK's options (queue size, batch size, schedule delay, export
// timeout; WithBlocking is ignored: End never waits); they are applied
// after the OTEL_BSP_* variables and the backend's default queue size
// (DefaultMaxQueueSize, when OTEL_BSP_MAX_QUEUE_SIZE is unset).
func WithBatchOptions(opts ...sdktrace.BatchSpanProcessorOption) Option {
	return func(c *config) { c.batch = append(c.batch, opts...) }
}

// WithResourceAttributes adds attributes to the resource, over those from
// the environment and the service identity.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.resource = append(c.resource, attrs...) }
}

// WithEndpointURL sets the OTLP endpoint as a full URL, as
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT does: for OTLP/HTTP the path is used
// as it is ("http://collector:4318/v1/traces"); for gRPC only the scheme
// (http means no TLS), host and port count ("http://collector:4317").
func WithEndpointURL(u string) Option {
	return func(c *config) { c.endpoint = u }
}

// WithProtocol sets the OTLP transport instead of
// OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL.
func WithProtocol(p Protocol) Option {
	return func(c *config) { c.protocol = p }
}

// WithHeaders sets headers sent with every OTLP export (for example an
// API key), over those of OTEL_EXPORTER_OTLP_[TRACES_]HEADERS.
func WithHeaders(h map[string]string) Option {
	return func(c *config) {
		if c.headers == nil {
			c.headers = map[string]string{}
		}
		for k, v := range h {
			c.headers[k] = v
		}
	}
}

// WithoutGlobal stops the backend from installing itself as
// OpenTelemetry's global TracerProvider and TextMapPropagator (see the
// package documentation, Interoperability).
func WithoutGlobal() Option {
	return func(c *config) { c.noGlobal = true }
}

// WithSDKExporter makes the backend export OTLP through
// go.opentelemetry.io/otel's own exporters (otlptracehttp, otlptracegrpc)
// rather than its own. Both read the same variables and options and send
// the same requests; the backend's encodes the spans straight into a
// buffer it reuses, where the SDK's builds a protobuf message tree per
// batch that the garbage collector must then trace (see BENCHMARKS.md).
// The option is there for a difference no test has found.
func WithSDKExporter() Option {
	return func(c *config) { c.sdkExporter = true }
}
