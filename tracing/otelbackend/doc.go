// Package otelbackend is polytrace's OpenTelemetry backend: facade spans
// are OpenTelemetry Go SDK spans (go.opentelemetry.io/otel/sdk), exported
// over OTLP (gRPC or HTTP/protobuf) or to the console.
//
// Import it for its side effect and select it by name, or build it in code:
//
//	import _ "github.com/polytrace/polytrace/tracing/otelbackend" // registers "otel"
//
//	tracer, err := tracing.FromEnv(ctx) // TRACING_BACKEND=otel
//
//	// or, configured in code (code overrides the environment):
//	b, err := otelbackend.New(otelbackend.WithEndpointURL("http://collector:4317"),
//		otelbackend.WithProtocol(otelbackend.ProtocolGRPC))
//	tracer := tracing.New(b)
//
// Options reach a backend opened by name through
// tracing.WithBackendOptions(otelbackend.WithSampler(…), …).
//
// # Environment
//
// The backend reads OpenTelemetry's own variables, as the OpenTelemetry
// specification defines them. Several are also read by the SDK, by
// go.opentelemetry.io/contrib/exporters/autoexport (which builds the
// exporter) or by go.opentelemetry.io/contrib/propagators/autoprop (which
// builds propagators), some of which fall back silently to a default on a
// bad value; the backend checks every one first, and a bad value (an
// unknown exporter, sampler or propagator, a malformed endpoint or header
// list, a sampler argument out of range, a non-integer limit, a boolean
// other than true or false) is an error from New and from the factory, so
// tracing.FromEnv returns it. All bad values are reported together.
//
//	OTEL_SDK_DISABLED                     true: record and export nothing (propagation still works)
//	OTEL_SERVICE_NAME                     service.name
//	OTEL_RESOURCE_ATTRIBUTES              k=v,… (percent-encoded) added to the resource
//	OTEL_TRACES_SAMPLER                   always_on, always_off, traceidratio, parentbased_always_on
//	                                      (default), parentbased_always_off, parentbased_traceidratio
//	OTEL_TRACES_SAMPLER_ARG               the ratio, 0…1 (default 1)
//	OTEL_TRACES_EXPORTER                  otlp (default), console (stdout), none; one value, or a
//	                                      name registered with autoexport.RegisterSpanExporter
//	OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL  http/protobuf (default) or grpc
//	OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT  http:// or https:// URL; the generic one gets /v1/traces
//	                                      appended for HTTP, the TRACES_ one is used as it is
//	OTEL_EXPORTER_OTLP_[TRACES_]HEADERS   k=v,… (percent-encoded), sent with each export
//	OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT   milliseconds per export
//	OTEL_EXPORTER_OTLP_[TRACES_]INSECURE  true: no TLS (also implied by an http:// endpoint)
//	OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION gzip or none
//	OTEL_PROPAGATORS                      tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace,
//	                                      datadog (extract-only, this package), none
//	OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT (ms), OTEL_BSP_MAX_QUEUE_SIZE (default
//	16384 here, see DefaultMaxQueueSize; the specification's is 2048),
//	OTEL_BSP_MAX_EXPORT_BATCH_SIZE (at most the queue size)
//	OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT   characters; default
//	                                      25000 here (the specification has no limit), applied to
//	                                      event attributes and the status description too
//	OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT,
//	OTEL_SPAN_LINK_COUNT_LIMIT, OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
//	                                      (default 128 each; the SDK applies them)
//
// The OTLP exporter also reads the TLS files named by
// OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, CLIENT_CERTIFICATE and
// CLIENT_KEY.
//
// The OTLP exporter is the backend's own: it reads the variables above
// and the options in code as go.opentelemetry.io/otel's otlptracehttp and
// otlptracegrpc do, sends the same requests and retries as they do, but
// encodes spans straight into a buffer it reuses rather than building a
// protobuf message tree per batch, which the garbage collector would then
// trace (see BENCHMARKS.md). Unlike them, it sends a string that is not
// UTF-8 with U+FFFD in its place rather than refusing the whole batch,
// and it counts the spans a receiver's partial success rejects as
// dropped. WithSDKExporter uses the SDK's exporters instead.
//
// With no endpoint and no INSECURE variable, the backend sends to the
// specification's default, http://localhost:4318/v1/traces (or
// http://localhost:4317 for gRPC), in plain text; the Go exporters alone
// would use TLS there.
//
// The service identity falls back across vendors (internal/envconf): the
// service is OTEL_SERVICE_NAME, else service.name in
// OTEL_RESOURCE_ATTRIBUTES, else DD_SERVICE, else JAEGER_SERVICE_NAME,
// else the program's name; the environment and version likewise from
// deployment.environment.name and service.version, DD_ENV and DD_VERSION,
// and the env and version tags of DD_TAGS and JAEGER_TAGS. tracing.Settings
// (tracing.WithServiceName, …) override them. The result is the resource's
// service.name, deployment.environment.name and service.version.
//
// The startup summary (tracing.Summarizer) gives the backend, identity,
// destination (exporter, protocol and endpoint, never headers), sampler and
// propagators.
//
// # Mapping
//
// A facade span is an OpenTelemetry span of instrumentation scope
// ScopeName:
//
//	span kind            the OpenTelemetry kind
//	attributes           attributes of the same types (slices are copied)
//	RecordError          an "exception" event with exception.type (the Go type, as
//	                     reflect prints it), exception.message and, with
//	                     tracing.WithStack only, exception.stacktrace; the span's
//	                     error.type attribute; and status Error with the message
//	SetStatus            status Error (with description) or Ok
//	events, links        events and links
//	WithResource, WithService, WithSpanType
//	                     the attributes resource.name, service.name and span.type
//	                     (tracing.KeyResource, KeyService, KeySpanType), the names
//	                     Datadog's OpenTelemetry support reads
//
// # Propagation
//
// By default Inject writes W3C traceparent, tracestate and baggage, and
// Extract reads those and also Jaeger's uber-trace-id
// (go.opentelemetry.io/contrib/propagators/jaeger) and Datadog's
// x-datadog-* headers (Datadog, in this package), so that a trace coming
// from a service traced with a Jaeger or Datadog library continues here.
// When several are present and valid, W3C wins, then Jaeger, then Datadog.
// OTEL_PROPAGATORS, when set, replaces this with exactly the formats it
// lists (built by autoprop), in both directions; WithPropagator replaces it
// in code.
//
// tracing.Carrier has exactly the methods of OpenTelemetry's
// propagation.TextMapCarrier (and tracing.ValuesGetter those of
// propagation.ValuesGetter), so carriers are handed to OpenTelemetry's
// propagators as they are. Inject merges the facade's baggage
// (tracing.BaggageFromContext) into OpenTelemetry's (go.opentelemetry.io/otel/baggage),
// the facade's value winning; Extract puts the extracted baggage into both,
// and wraps the extracted span context so that tracing.SpanFromContext
// returns it, marked remote. A span context put in a context by other
// means (tracing.ContextWithRemoteSpanContext, another backend's span) is
// used as the parent and injected too.
//
// Tracestate is read by the W3C Trace Context Level 2 rules
// (tracing.ParseTraceState). OpenTelemetry's TraceState follows Level 1
// and refuses keys that Level 2 allows ("1foo", "foo@", "a@@b", ...),
// and with one of them the whole list: OpenTelemetry is given the members
// it can hold, the facade carries the whole list beside it, and Inject
// sends the whole list, with what OpenTelemetry's samplers or
// instrumentation changed in their part. The SDK draws trace ids at
// random but sets only the sampled flag on the traces it starts; the
// backend starts them with the W3C random trace id flag set too, and a
// continued trace keeps the caller's flag.
//
// # Interoperability
//
// Code that uses OpenTelemetry's API directly shares the facade's context:
// one context, one trace. The backend's spans are their own context nodes,
// answering both tracing.SpanFromContext and trace.SpanFromContext, so a
// span started with otel.Tracer(…).Start, otelhttp or any other
// instrumentation inside a facade span is its child, and a facade span
// started inside an OpenTelemetry span is that span's child.
//
// Unless WithoutGlobal is given, New installs the backend as
// OpenTelemetry's global TracerProvider (otel.SetTracerProvider) and
// TextMapPropagator (otel.SetTextMapPropagator). Spans of the global
// provider are also facade spans, so tracing.SpanFromContext inside
// OpenTelemetry-instrumented code returns the innermost span; the global
// propagator keeps both baggages in sync. Backend.TracerProvider and
// Backend.TextMapPropagator give the same to instrumentation configured
// explicitly. OpenTelemetry's globals delegate only to the first provider
// ever installed: tracers obtained before that keep using it. Two limits:
// spans started on the SDK's provider itself (for example by
// instrumentation that takes its provider from span.TracerProvider()) nest
// correctly in the trace, but tracing.SpanFromContext inside them returns
// the enclosing facade span; and a span put in a context with
// trace.ContextWithSpan is seen by OpenTelemetry only.
//
// WithTracerProvider makes the backend start spans on a TracerProvider the
// application built and owns. The backend's Shutdown then only flushes that
// provider (if it has a ForceFlush method); it does not shut it down, and
// spans ended afterwards are still exported by it. The OTEL_* variables
// about exporting, sampling and the resource are not read then: the
// provider is used as it is.
//
// # Shutdown, flushing and counts
//
// Start and End never wait for the collector: spans are queued for the
// backend's own batching span processor (in place of the SDK's, which
// drops spans from its full queue without telling anyone), configured as
// the SDK's is (OTEL_BSP_* and WithBatchOptions, but it never blocks:
// WithBlocking is ignored), which drops them when its queue is full.
// Shutdown returns by its context's deadline even against a collector that
// accepts connections and never answers, and then aborts the export still
// running, so that no goroutine outlives it for long. Stats
// (tracing.StatsReporter) counts, as it happens, spans ended, exported,
// dropped by reason (queue full, export failed, too large, ended after
// Shutdown, abandoned at Shutdown's deadline) and pending (queued or being
// exported): Ended = Exported + Dropped + Pending at every moment, and
// Pending is 0 once Shutdown has returned, drained or not. ExportStats
// (tracing.ExportReporter) times the exports; WithMeterProvider publishes
// both as OpenTelemetry metrics.
// The queue holds DefaultMaxQueueSize spans unless OTEL_BSP_MAX_QUEUE_SIZE
// or WithBatchOptions say otherwise: a program may end ten thousand spans
// in a burst and shut down without losing one.
//
// One SDK feature does not pass through the facade: a span ended by a
// deferred span.End while the goroutine panics gets no automatic
// "exception" event, because the SDK's recover only works when its own End
// is the deferred call. Middleware records panics with RecordError and
// tracing.Stack instead.
package otelbackend
