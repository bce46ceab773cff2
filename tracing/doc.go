// Package tracing is polytrace's facade: one small tracing API whose
// backend — OpenTelemetry, Datadog, Jaeger, the console or none — is chosen
// when the program starts, usually by the TRACING_BACKEND environment
// variable.
//
// It is modelled on log/slog. A Tracer is the front end; a Backend, which a
// vendor package implements and registers by name (as database/sql drivers
// do), does the work:
//
//	import _ "github.com/polytrace/polytrace/tracing/all" // register every backend
//
//	tracer, err := tracing.FromEnv(ctx) // TRACING_BACKEND=otel|datadog|jaeger|console|none
//	if err != nil {
//		log.Print(err) // a misconfiguration; tracer is a working no-op
//	}
//	tracing.SetDefault(tracer)
//	defer tracer.Shutdown(context.Background())
//
//	ctx, span := tracing.Start(ctx, "CreateNote",
//		tracing.WithKind(tracing.SpanKindServer),
//		tracing.WithAttrs(tracing.String("note.id", id), tracing.Int("items", n)))
//	defer span.End()
//	span.RecordError(err) // marks the span failed; nil is ignored
//
// # Spans
//
// Span is a small value; the zero Span does nothing, and SpanFromContext
// never returns nil, so instrumented code never checks for a missing span.
// Attributes (Attr) are typed values that never allocate; Start, SetAttrs
// and AddEvent copy them into a fixed-size list passed by value, so the
// facade adds no allocation to what a backend does, and the none backend
// allocates nothing at all.
//
// # Propagation
//
// Inject and Extract move a span context across processes through a
// Carrier (HeaderCarrier for net/http, MapCarrier for maps). Each backend
// brings its vendor's formats and also speaks W3C trace context, so one
// trace crosses a fleet whose services use different backends. Backends
// without formats of their own use TraceContext and BaggagePropagator.
// TraceState is the one W3C tracestate implementation (Level 2 grammar,
// limits, a vendor's member moved to the front on Insert): every backend
// reads and forwards tracestate with it. Every backend sets the W3C
// random trace id flag on the traces it starts and keeps the caller's on
// the traces it continues.
//
// # Bad input
//
// Nothing here panics on bad input, and the request path returns no
// errors. An empty span name becomes "unnamed"; a nil context is
// context.Background(); a nil error and an empty attribute key are dropped;
// long values are kept by the facade and cut by backends per their limits;
// invalid ids make a SpanContext invalid, so it is neither a parent nor
// injected; a nil carrier is ignored; malformed headers are ignored (the
// request starts a new trace).
//
// # Writing a backend
//
// Implement Backend and BackendSpan, register a Factory in an init function,
// and add optional capabilities: Flusher, Propagator, Summarizer,
// IDFormatter, LogKeyer, StatsReporter, ContextValuer. The package
// tracing/backendkit has what every backend needs (its example is a
// complete backend); run tracingtest.Run against it.
package tracing
