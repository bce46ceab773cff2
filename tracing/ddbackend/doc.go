// Package ddbackend is polytrace's Datadog backend: the tracing facade over
// dd-trace-go (gopkg.in/DataDog/dd-trace-go.v1 v1.74.8, which runs on
// github.com/DataDog/dd-trace-go/v2), sending spans to the Datadog agent.
// It registers itself as "datadog" and "dd":
//
//	import _ "github.com/polytrace/polytrace/tracing/ddbackend"
//
//	tracer, err := tracing.FromEnv(ctx) // TRACING_BACKEND=datadog
//
// or, in code, ddbackend.New(opts...) and tracing.New(backend). Options
// given in code (Option, also through tracing.WithBackendOptions) override
// the environment.
//
// # One tracer per process
//
// dd-trace-go's tracer is process-global (tracer.Start, tracer.Stop), so a
// process has at most one active Backend: New returns ErrActive while
// another is active, and ErrForeignTracer when a tracer started with
// dd-trace-go's own tracer.Start is running, rather than silently
// replacing it (which would send the first one's spans with the second's
// settings). Shutdown ends the backend; a new one may then be created.
// Do not call tracer.Start or tracer.Stop yourself while a Backend is
// active.
//
// # Environment
//
// The backend reads the variables dd-trace-go reads — dd-trace-go itself
// applies most of them — and reports bad values as errors from New, where
// dd-trace-go would log a warning and fall back to a default:
//
//	DD_SERVICE, DD_ENV, DD_VERSION   unified service tags; fall back to OTEL_SERVICE_NAME,
//	                                 OTEL_RESOURCE_ATTRIBUTES (service.name, deployment.environment.name,
//	                                 service.version), JAEGER_SERVICE_NAME, and env/version in DD_TAGS
//	DD_TRACE_AGENT_URL               http://host:8126, https://…, unix:///path/apm.socket
//	DD_AGENT_HOST, DD_TRACE_AGENT_PORT  used when DD_TRACE_AGENT_URL is unset
//	                                 (default: /var/run/datadog/apm.socket if it exists, else localhost:8126)
//	DD_TRACE_SAMPLE_RATE             0…1, the fraction of new traces kept (default: the agent's rates)
//	DD_TRACE_SAMPLING_RULES(_FILE)   JSON trace sampling rules; DD_SPAN_SAMPLING_RULES(_FILE)
//	DD_TRACE_RATE_LIMIT              traces per second kept by rules (default 100)
//	DD_TRACE_PROPAGATION_STYLE       datadog, tracecontext, baggage, b3multi, b3, "b3 single header",
//	DD_TRACE_PROPAGATION_STYLE_INJECT / _EXTRACT   or none; default datadog,tracecontext,baggage
//	                                 (OTEL_PROPAGATORS is used, as dd-trace-go maps it, when these are unset)
//	DD_TRACE_SPAN_ATTRIBUTE_SCHEMA   v0 (default) or v1: operation names, database services
//	DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED   FormatIDs' trace id form (default false here)
//	DD_TAGS, DD_TRACE_DEBUG, DD_TRACE_ENABLED, DD_TRACE_STARTUP_LOGS, DD_RUNTIME_METRICS_ENABLED,
//	DD_INSTRUMENTATION_TELEMETRY_ENABLED, DD_REMOTE_CONFIGURATION_ENABLED, …  as in dd-trace-go
//	OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT   characters kept of a
//	                                 string value (default 25000, what the agent keeps of a tag)
//	OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT,
//	OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT  attributes, events, attributes per event a span keeps
//	                                 (default 128 each); the OpenTelemetry names, the only standard
//	                                 ones, honoured here too (options win: WithAttributeValueLengthLimit, …)
//
// Summary reports the service, environment, version, agent URL, sampling
// and propagation styles for the startup line tracing.FromEnv prints.
//
// # Mapping
//
// Spans are dd-trace-go v2 spans, shown in Datadog as dd-trace-go's own
// contrib packages show theirs. The middleware records OpenTelemetry
// semantic-convention keys; the backend maps them:
//
//	facade                              Datadog
//	server span with http.request.method  operation http.request (v1: http.server.request),
//	                                    resource = facade name (e.g. "GET /notes/{id}"), type web
//	client span with http.request.method  operation http.request (v1: http.client.request),
//	                                    resource = facade name or WithResource ("GET /calendar"), type http
//	client span with db.system.name     operation <system>.query, resource = db.query.text (or
//	                                    WithResource), type sql (redis, mongodb, … for those systems),
//	                                    service WithService, else "<system>.db" (v1: the application's)
//	other spans                         operation = resource = facade name
//	WithResource / WithService / WithSpanType, and KeyResource / KeyService / KeySpanType
//	                                    in SetAttrs later: resource, service, type
//	SetName                             the resource (unless one was given), and the operation of
//	                                    spans whose operation is not derived
//	kind                                span.kind (server, client, producer, consumer, internal)
//	http.request.method                 http.method
//	http.route                          http.route
//	http.response.status_code           http.status_code (a string, as dd contrib writes it)
//	url.full                            http.url
//	url.scheme, url.path, server.address, server.port
//	                                    server: http.url = scheme://host[:port]/path (no query) and
//	                                    http.host; client: network.destination.name / .port
//	client.address                      http.client_ip
//	user_agent.original                 http.useragent
//	network.protocol.version            http.version
//	http.request.body.size, http.response.body.size   http.request.content_length, http.response.content_length
//	db.system.name                      db.system
//	db.namespace                        db.name
//	db.query.text                       the resource of a database span (never a tag there; sql.query elsewhere)
//	RecordError                         error.message, error.type (Go type), error.stack (WithStack only)
//	StatusError / StatusOK              error=1 with error.message = the description / error=0
//	other keys                          kept: strings and booleans as meta ("true"/"false"),
//	                                    numbers as metrics (integers beyond ±(2^53-1) as decimal meta),
//	                                    slices as key.0, key.1, …
//	manual.keep / manual.drop = true    sampling priority user-keep / user-reject (Datadog's own tags)
//	AddEvent                            span events (native when the agent supports them)
//	WithLinks                           span links (attributes as strings)
//
// A span whose service differs from its parent's is a service entry span
// (_dd.top_level), also when the service changes after start. Trace ids
// are 128-bit: dd-trace-go sends the low half as trace_id and the high half
// in the _dd.p.tid tag.
//
// # Propagation
//
// The Backend is the tracing.Propagator: dd-trace-go's own propagator,
// following DD_TRACE_PROPAGATION_STYLE*, adapted to tracing.Carrier. After
// Extract, tracing.SpanFromContext returns the remote span context (full
// 128-bit trace id, IsRemote). Baggage is the facade's
// (tracing.BaggageFromContext): Extract reads the W3C baggage header
// (style baggage) and ot-baggage-* headers (style datadog) into it, and
// Inject writes it, merged with baggage set on dd-trace-go spans, the same
// ways. Once shut down, the backend still forwards W3C trace context; with
// DD_TRACE_ENABLED=false (or OTEL_TRACES_EXPORTER=none, which dd-trace-go
// reads the same way) it records nothing and passes the incoming W3C
// trace context (traceparent, flags and tracestate as they came) and
// baggage on unchanged, as the "none" backend does.
//
// Hostile headers are read by the W3C Trace Context Level 2 rules whatever
// dd-trace-go would do: two traceparent headers are invalid, several
// tracestate headers are one list read by tracing.ParseTraceState (Level
// 2 keys kept, a repeated key once), a malformed tracestate is dropped.
// The other vendors' tracestate members are forwarded in their order
// after the backend's own dd member. The W3C random trace id flag, which
// dd-trace-go does not keep, is kept by the backend: set on the traces it
// starts (dd-trace-go draws the low 64 bits of trace ids at random), as
// the caller's traceparent had it on those it continues.
// Malformed x-datadog-* headers (ids that are not decimal, a bad sampling
// priority) are ignored as a whole, and a valid traceparent beside them
// still continues the trace; of x-datadog-tags only the _dd.p.* tags,
// Datadog's to propagate, are kept.
//
// # Interoperability
//
// The backend drives dd-trace-go's v2 API; v1 delegates to v2 and shares
// its context key. A facade span's context answers dd-trace-go's context
// key with the span, so tracer.SpanFromContext and
// tracer.StartSpanFromContext (v1 and v2) and dd-trace-go's contrib
// packages find it and nest under it; facade spans started from a context
// holding a dd-trace-go span nest under that span. DDSpan returns the
// dd-trace-go span behind a facade span. tracing.SpanFromContext does not
// see spans started with dd-trace-go's API, only facade spans; Start and
// Inject do.
//
// # Shutdown, flushing and statistics
//
// Shutdown stops dd-trace-go's tracer, which delivers every span that
// ended before. dd-trace-go's Stop has no deadline; the backend reaches the
// agent through its own http.RoundTripper so that, when Shutdown's ctx
// expires, it cancels the requests under way and Stop's goroutines end.
// ForceFlush flushes and waits for the uploads. Uploads the agent has not
// answered hold at most DefaultMaxPendingSpans spans (WithMaxPendingSpans):
// past that, against an agent that hangs, a new upload is refused at once
// and its spans counted as dropped, so that memory stays bounded where
// dd-trace-go alone would hold up to 100 payloads of 5 MB. Stats counts
// spans ended, spans in uploads the agent accepted, spans lost as they are
// lost (failed uploads: agent down, 5xx, 429, 413; refused uploads; spans
// ended after Shutdown), spans pending, and, when Shutdown returns, every
// span that ended but was never uploaded (abandoned at its deadline, or
// dropped by dd-trace-go). dd-trace-go queues at most 1000 traces (a
// constant) and drops, telling only its logs, the traces of a burst that
// outruns its encoder; they are pending until Shutdown, then counted. A trace of many spans (a batch job) is one
// queue entry and never overflows it. FormatIDs gives Datadog's log
// correlation ids.
//
// dd-trace-go sends every value whole: the backend cuts string values to
// 25000 characters (WithAttributeValueLengthLimit) and keeps 128
// attributes and events per span (WithAttributeCountLimit,
// WithEventCountLimit), so that a huge value neither holds memory nor
// makes the agent refuse the payload, and with it every trace it holds.
package ddbackend
