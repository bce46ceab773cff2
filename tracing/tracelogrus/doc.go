// Package tracelogrus correlates logrus logs with traces: a logrus.Hook that
// adds the trace and span ids of the span in each entry's context.
//
//	logger := logrus.New()
//	logger.AddHook(tracelogrus.NewHook())
//	logger.WithContext(ctx).WithField("id", id).Info("note created")
//	// time=… level=info msg="note created" id=7 span_id=00f067aa0ba902b7 trace_id=4bf92f3577b34da6a3ce929d0e0e4736
//
// The ids are those tracing.LogCorrelation gives: under the keys and in the
// form the span's backend prefers ("trace_id" and "span_id" in hex by
// default; "dd.trace_id" and "dd.span_id" in decimal on Datadog). Entries
// logged without a context (logger.Info instead of
// logger.WithContext(ctx).Info), or with one that carries no span, pass
// unchanged, and the hook allocates nothing for them.
//
// tracing/tracelog does the same for log/slog, tracing/tracezap for zap.
package tracelogrus
