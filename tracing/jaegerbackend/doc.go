// Package jaegerbackend is polytrace's legacy backend over
// github.com/uber/jaeger-client-go and github.com/opentracing/opentracing-go.
//
// jaeger-client-go is retired upstream: the Jaeger project no longer
// maintains it and recommends the OpenTelemetry SDK, and OpenTracing is
// archived. This backend exists to run a service that uses them today,
// unchanged on the wire, and to move it away one step at a time: its
// spans, headers and configuration are those of jaeger-client-go, and it
// also speaks W3C trace context so that services already on the otel or
// datadog backends share its traces. docs/MIGRATION.md gives the steps.
//
// It registers itself as "jaeger":
//
//	import _ "github.com/polytrace/polytrace/tracing/jaegerbackend"
//
//	tracer, err := tracing.FromEnv(ctx) // TRACING_BACKEND=jaeger
//
// or, in code:
//
//	b, err := jaegerbackend.New(opts...)
//	tracer := tracing.New(b)
//
// # Configuration
//
// The backend reads jaeger-client-go's own variables with its own
// config.FromEnv, and checks what that leaves unchecked, so that a bad
// value is an error naming the variable rather than a panic or a silent
// default:
//
//	JAEGER_SERVICE_NAME           service name; else OTEL_SERVICE_NAME, service.name in
//	                              OTEL_RESOURCE_ATTRIBUTES, DD_SERVICE, then the program's name
//	JAEGER_AGENT_HOST, _PORT      UDP agent (default localhost:6831; port 1–65535)
//	JAEGER_ENDPOINT               HTTP collector instead, an http(s) URL such as
//	                              http://jaeger-collector:14268/api/traces
//	JAEGER_USER, JAEGER_PASSWORD  basic authentication for the collector (both or neither)
//	JAEGER_SAMPLER_TYPE           const, probabilistic, ratelimiting or remote (default remote)
//	JAEGER_SAMPLER_PARAM          const: 0 or 1; probabilistic and remote: 0…1 (remote's initial
//	                              rate, default 0.001); ratelimiting: traces per second
//	JAEGER_SAMPLING_ENDPOINT      remote sampler's URL (default http://<agent host>:5778/sampling)
//	JAEGER_SAMPLER_MAX_OPERATIONS, JAEGER_SAMPLER_REFRESH_INTERVAL
//	JAEGER_TAGS                   process tags: key=value,key=${ENV_VAR:default}
//	JAEGER_REPORTER_MAX_QUEUE_SIZE  spans queued for sending (default 16384 here, see
//	                              DefaultQueueSize; jaeger-client-go's is 100)
//	JAEGER_REPORTER_FLUSH_INTERVAL, JAEGER_REPORTER_LOG_SPANS,
//	JAEGER_REPORTER_ATTEMPT_RECONNECTING_DISABLED, JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL
//	JAEGER_RPC_METRICS            RPC metrics through WithMetricsFactory's factory
//	JAEGER_DISABLED               true: record nothing, still forward extracted contexts
//	JAEGER_PROPAGATION            formats Inject writes: jaeger, w3c or both (default both);
//	                              a polytrace addition named as jaeger's Java client names it
//	OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT   characters kept of
//	                              tags and log fields (default: 256 for tags, as jaeger-client-go,
//	                              and DefaultLogFieldLength for log fields, which it does not limit)
//	OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT,
//	OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT  tag writes, events, fields per event a span keeps (default
//	                              128 each); the OpenTelemetry names, honoured here too (options
//	                              win: WithAttributeValueLengthLimit, …)
//
// The environment and version (tracing.WithEnvironment and
// tracing.WithVersion, else DD_ENV / DD_VERSION, OTEL_RESOURCE_ATTRIBUTES
// or env= and version= in JAEGER_TAGS) become the process tags
// deployment.environment.name and service.version, unless JAEGER_TAGS
// already has a tag for them. Trace ids are always
// 128 bits (jaeger.TracerOptions.Gen128Bit), as W3C trace context
// requires; JAEGER_TRACEID_128BIT is not consulted. Options set in code
// (WithLogger, WithMetricsFactory, WithSampler, WithReporter, WithConfig,
// …, passed to New or with tracing.WithBackendOptions) override the
// environment. The startup summary names the service, destination,
// sampler and injected formats.
//
// # Mapping
//
// Facade spans become jaeger spans; the OpenTelemetry semantic-convention
// attributes the middleware records become the OpenTracing tags Jaeger
// users know, and every other attribute is kept as a tag of the same name
// (values of slice kinds, which Jaeger tags cannot hold, as a JSON array
// in a string):
//
//	kind server/client/producer/consumer   span.kind (internal: no tag)
//	http.request.method                    http.method
//	http.response.status_code              http.status_code
//	url.full, url.path                     http.url (query, fragment and user info removed)
//	db.system.name (db.system)             db.type
//	db.query.text                          db.statement
//	db.namespace                           db.instance
//	messaging.destination.name             message_bus.destination
//	server.address, server.port            peer.hostname, peer.port (client and producer spans)
//	network.peer.address, .port            peer.address, peer.port
//	component, peer.service, http.route    kept as they are
//	resource / service / span type         tags resource.name, service.name, span.type
//	RecordError                            log: event=error, error.object, error.kind (the Go
//	                                       type), message, stack (with tracing.WithStack)
//	status Error                           error=true, otel.status_code=ERROR,
//	                                       otel.status_description
//	status OK                              otel.status_code=OK
//	AddEvent                               log: event=<name> and the attributes as fields
//	links                                  FOLLOWS_FROM references; a link's attributes as a
//	                                       log record event=link, link.trace_id, link.span_id
//
// The status tags are written when the span ends, so that a span carries
// its final status once. Jaeger keeps every value of a tag that is set
// twice; the last one is the current one.
//
// # Propagation
//
// Inject writes uber-trace-id and one uberctx-<key> header per baggage
// item (FormatJaeger), and traceparent, tracestate and baggage
// (FormatW3C): both by default, so that services on jaeger-client-go and
// services on OpenTelemetry or Datadog continue the same trace. Extract
// accepts both formats whatever Inject writes. When both uber-trace-id
// and traceparent are valid, uber-trace-id wins (the tracestate is kept
// only if traceparent names the same trace); a malformed uber-trace-id
// falls back to traceparent. Baggage is read from uberctx-*,
// jaeger-baggage and the W3C baggage header; a jaeger item wins over a
// W3C member of the same key (compared without case, as HTTP lower-cases
// uberctx- keys). After Extract, tracing.SpanFromContext returns the
// remote span context, marked remote, with a 128-bit id when the header
// carried one. The W3C random trace id flag, which a jaeger span context
// cannot hold (its 0x02 is jaeger's debug flag), is kept by the backend:
// set on the traces it starts (jaeger-client-go draws trace ids at
// random), as the caller's traceparent had it on those it continues (not
// set for a trace continued from uber-trace-id alone).
//
// The same codecs are registered with jaeger-client-go for
// opentracing.HTTPHeaders and opentracing.TextMap, so that code calling
// the jaeger tracer's own Inject and Extract (OpenTracingTracer) speaks
// W3C trace context too; there the tracestate and the random flag are not
// kept, a jaeger span context having no room for them.
//
// The facade's baggage (tracing.BaggageFromContext) and the jaeger span's
// baggage items are kept as one: a span starts with the facade baggage of
// its context as its items, and a context carrying a span answers
// tracing.BaggageFromContext with the span's items, including those set
// later with SetBaggageItem through the OpenTracing API.
//
// # Interoperability with OpenTracing
//
// A context carrying a facade span of this backend is also an OpenTracing
// context: opentracing.SpanFromContext returns the *jaeger.Span behind the
// facade span (Jaeger(span) does the same from a tracing.Span), so
// opentracing.StartSpanFromContext with the jaeger tracer starts children
// of facade spans; and Start nests facade spans under a jaeger span put
// into the context with opentracing.ContextWithSpan. The span type is the
// context node itself: it answers tracing.ContextKey{} with itself and
// opentracing-go's context key (found once by asking
// opentracing.SpanFromContext to look it up in a probing context) with
// the jaeger span, so that one allocation carries the span and both keys.
// Prefer the shim in tracing/otshim for code that must outlive this
// backend: it keeps OpenTracing call sites working over any backend.
//
// # Delivery
//
// jaeger-client-go's remote reporter queues spans and sends them from a
// goroutine. ForceFlush waits for the queue to reach the transport and
// sends its buffer. Shutdown closes the tracer (flushing) and returns by
// its context's deadline, cancelling a request to an HTTP collector that
// does not answer (jaeger's Close has no timeout of its own). Stats
// counts spans dropped because the queue was full (through
// jaeger-client-go's reporter_spans{result=dropped} metric, counted by a
// metrics factory that still forwards to the one WithMetricsFactory
// gives), too large for one UDP datagram, not sent, ended after Shutdown,
// or abandoned at Shutdown's (or ForceFlush's) deadline, each as it
// happens, and what is pending (the queue and the transport's batch). Over UDP "exported" means sent without error: a datagram to an
// agent that is down is lost unseen. The queue holds DefaultQueueSize
// spans unless JAEGER_REPORTER_MAX_QUEUE_SIZE says otherwise: a program may
// end ten thousand spans in a burst and shut down without losing one.
//
// To the UDP agent, the backend sends the datagrams jaeger-client-go's
// UDP transport sends, byte for byte, but encodes each span straight into
// the datagram, without jaeger-client-go's thrift structs (see
// BENCHMARKS.md). The HTTP collector (JAEGER_ENDPOINT) is reached through
// jaeger-client-go's own transport.
package jaegerbackend
