// Package tracezap correlates zap logs with traces: it adds the trace and
// span ids of a context's span to zap entries.
//
// A zap entry carries no context, so the context comes one of two ways.
// Explicitly, as fields:
//
//	logger.Info("note created", append(tracezap.Fields(ctx), zap.Int("id", id))...)
//	tracezap.Logger(ctx, logger).Info("note created", zap.Int("id", id))
//
// Or as a field holding the context, the convention of OpenTelemetry's zap
// bridge (go.opentelemetry.io/contrib/bridges/otelzap), which a core made
// by NewCore (or the WrapCore option) replaces by the ids:
//
//	logger := zap.New(tracezap.NewCore(core))
//	logger.Info("note created", zap.Any("context", ctx), zap.Int("id", id))
//	logger.With(tracezap.Context(ctx)).Info("note created") // the same, and dropped by cores that do not know it
//	// {"level":"info","msg":"note created","trace_id":"4bf9…","span_id":"00f0…","id":7}
//
// Any field whose value is a context.Context is taken as the context,
// whatever its key and type, as otelzap does, so one logger can feed both
// a tracezap core and an otelzap core (zapcore.NewTee): the context field
// reaches the otelzap core untouched.
//
// The ids are those tracing.LogCorrelation gives: under the keys and in the
// form the span's backend prefers ("trace_id" and "span_id" in hex by
// default; "dd.trace_id" and "dd.span_id" in decimal on Datadog). A context
// without a valid span adds nothing, and tracezap allocates nothing for it.
//
// tracing/tracelog does the same for log/slog, tracing/tracelogrus for
// logrus.
package tracezap
