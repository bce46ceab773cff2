// Package otshim is an opentracing.Tracer over polytrace's facade, so that
// code written against github.com/opentracing/opentracing-go keeps working,
// unchanged, whatever backend the facade runs: jaeger, otel, datadog,
// console or none. A legacy service adds one line:
//
//	opentracing.SetGlobalTracer(otshim.New())
//
// OpenTracing is archived upstream, and its Jaeger client retired: the
// shim is for running such code today and migrating it away at leisure,
// call site by call site (see docs/MIGRATION.md), after the backend has
// already moved.
//
// # Spans and nesting
//
// Every span the shim starts is a facade span of the facade tracer
// (tracing.Default(), or WithTracer's). Spans nest both ways:
// opentracing.StartSpanFromContext (and opentracing.ContextWithSpan) on a
// context carrying a facade span starts a child of it, and facade spans
// started from the context it returns are children of the shim's span.
// This works because the shim starts the facade span when it is put into a
// context (the tracer implements opentracing.TracerContextWithSpanExtension)
// and uses that context's innermost facade span as the parent; a span
// never put into a context starts at its first use, with its references.
// Until it starts, SetTag and SetOperationName only record what to start
// it with, so that span.kind set right after StartSpan is the span's kind.
//
// References: the first ChildOf reference is the parent, or lacking one
// the first FollowsFrom reference, which makes a FollowsFrom-only span a
// child (as jaeger-client-go does: the trace stays whole); any further
// references become links with the attribute opentracing.ref_type
// (child_of or follows_from). A reference to a span context of the
// shim's, or of a backend implementing ParentBridge (the jaeger backend,
// whose facade spans opentracing.SpanFromContext returns as jaeger spans),
// can be a parent; others cannot.
//
// opentracing.SpanFromContext finds the shim's spans in contexts they
// were put in. On a context that only carries a facade span it finds the
// backend's own OpenTracing span where there is one (the jaeger backend's
// *jaeger.Span), and nothing with the other backends, whose context nodes
// do not answer OpenTracing's context key: legacy code that sets tags on
// "the current span" found that way needs that span to be the shim's.
//
// # Tags
//
// OpenTracing's standard tags map to the facade's concepts and to the
// OpenTelemetry semantic-convention keys the backends map natively:
//
//	span.kind                  the span's kind, if set before first use (else an attribute)
//	error=true                 status Error
//	resource.name, service.name, span.type   the facade's overrides (tracing.KeyResource, …)
//	http.method                http.request.method
//	http.status_code           http.response.status_code
//	http.url                   url.full, without query, fragment and user information
//	db.type, db.statement, db.instance       db.system.name, db.query.text, db.namespace
//	peer.hostname, peer.port   server.address, server.port
//	peer.address, peer.ipv4, peer.ipv6       network.peer.address
//	message_bus.destination    messaging.destination.name
//	sampling.priority          ignored: the facade samples at start
//	anything else              an attribute of the same key
//
// Values keep their type when the facade has it (strings, bools, integers,
// floats, slices of those); others are formatted with fmt.
//
// # Logs
//
// LogFields, LogKV and the deprecated Log methods become events named by
// the event field ("log" without one), the other fields their attributes.
// A record with event=error or an error.object field records an error
// instead (the span is marked failed): error.object's message and Go type,
// or message, and error.kind and stack as the legacy code logged them;
// any other fields of that record form an event. FinishWithOptions' log
// records keep their timestamps.
//
// # Baggage and propagation
//
// SetBaggageItem and BaggageItem use the facade's baggage
// (tracing.BaggageFromContext): baggage in the context a span starts from
// is the span's, and items set on a span are carried by its children, by
// the contexts it is put into afterwards and by Inject. Keys must be HTTP
// tokens, as W3C baggage requires; others are ignored.
//
// Inject and Extract use the facade tracer's propagator, so the backend's
// formats (W3C trace context and baggage everywhere; uber-trace-id and
// uberctx-* with jaeger; x-datadog-* with datadog) with
// opentracing.HTTPHeaders and opentracing.TextMap carriers.
// opentracing.Binary returns opentracing.ErrUnsupportedFormat.
package otshim
