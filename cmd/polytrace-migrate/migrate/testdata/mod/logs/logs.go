// Package logs logs fields and key-values, errors among them. // want package:"no OpenTracing"
package logs

import (
	"context"
	"errors"

	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"
)

func fields(ctx context.Context, n int, err error, payload map[string]int) {
	span, _ := opentracing.StartSpanFromContext(ctx, "fields")                                                                                                         // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                                                                                                                                // want `rewrite span: Finish → End`
	span.LogFields(otlog.String("event", "cache miss"), otlog.Int("n", n), otlog.Bool("hit", false))                                                                   // want `rewrite logs: log → AddEvent`
	span.LogFields(otlog.Int64("i64", 1), otlog.Int32("i32", 2), otlog.Uint32("u32", 3), otlog.Uint64("u64", 4), otlog.Float32("f32", 1.5), otlog.Float64("f64", 2.5)) // want `rewrite logs: log → AddEvent`
	span.LogFields(otlog.Object("payload", payload), otlog.Message("hello"))                                                                                           // want `rewrite logs: log → AddEvent`
	span.LogFields(otlog.Error(err))                                                                                                                                   // want `rewrite logs: error log → RecordError`
	span.LogFields(otlog.String("event", "error"), otlog.Error(err), otlog.String("message", "failed"), otlog.Int("attempt", n))                                       // want `rewrite logs: error log → RecordError and AddEvent`
	span.LogFields(otlog.Event("error"), otlog.String("message", "no error value"))                                                                                    // want `rewrite logs: error log → RecordErrorInfo`
	span.LogFields(otlog.Error(err), otlog.String("error.kind", "Timeout"), otlog.String("stack", "main.go:1"))                                                        // want `rewrite logs: error log → RecordErrorInfo`
	span.LogKV("event", "retry", "attempt", n, "ok", true)                                                                                                             // want `rewrite logs: log → AddEvent`
	span.LogKV("event", "error", "error", err)                                                                                                                         // want `rewrite logs: error log → RecordError`
	span.LogKV("error.object", errors.New("kv"))                                                                                                                       // want `rewrite logs: error log → RecordError`
	span.LogEvent("simple")                                                                                                                                            // want `rewrite logs: LogEvent → AddEvent`
	span.LogEventWithPayload("with payload", payload)                                                                                                                  // want `rewrite logs: LogEventWithPayload → AddEvent with a payload attribute`
}
