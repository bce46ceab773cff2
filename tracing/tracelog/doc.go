// Package tracelog correlates logs with traces: a log/slog Handler that adds
// the trace and span ids of the span in each record's context.
//
//	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(ctx, "note created", "id", id)
//	// {"time":…,"level":"INFO","msg":"note created","id":7,"trace_id":"4bf9…","span_id":"00f0…"}
//
// Ids are written under the keys and in the form the span's backend says
// its users expect (see tracing.LogCorrelation): "trace_id" and "span_id",
// 32 and 16 hex digits, by default; the Datadog backend names
// "dd.trace_id" and "dd.span_id" and writes decimal ids. WithKeys sets
// other keys. Records logged without a context (Info instead of
// InfoContext) carry no ids.
//
// tracing/tracelogrus and tracing/tracezap do the same for logrus and zap.
package tracelog
