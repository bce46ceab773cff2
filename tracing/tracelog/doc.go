// Package tracelog correlates logs with traces: a log/slog Handler that adds
// the trace and span ids of the span in each record's context.
//
//	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(ctx, "note created", "id", id)
//	// {"time":…,"level":"INFO","msg":"note created","id":7,"trace_id":"4bf9…","span_id":"00f0…"}
//
// Ids are written in the form the span's backend says its users expect
// (see tracing.IDFormatter): 32 and 16 hex digits by default; the Datadog
// backend may choose its own form. Records logged without a context (Info
// instead of InfoContext) carry no ids.
package tracelog
