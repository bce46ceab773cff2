// Package tags sets tags of every type, OpenTracing's standard tags and // want package:"no OpenTracing"
// span kinds.
package tags

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

type level int

type state string

func (s state) String() string { return "state:" + string(s) }

type code struct{ n int }

func (c *code) Error() string { return fmt.Sprint(c.n) }

func typed(ctx context.Context, key string, v any, err error, s fmt.Stringer, c *code, d time.Duration, u uint64, f32 float32, i8 int8, b []byte) {
	span, _ := opentracing.StartSpanFromContext(ctx, "typed") // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	defer span.Finish()                                       // want `rewrite span: Finish → End`
	span.SetTag("s", "x")                                     // want `rewrite tags: SetTag\("s"\) → SetAttrs`
	span.SetTag("b", true)                                    // want `rewrite tags: SetTag\("b"\) → SetAttrs`
	span.SetTag("i", 3)                                       // want `rewrite tags: SetTag\("i"\) → SetAttrs`
	span.SetTag("i8", i8)                                     // want `rewrite tags: SetTag\("i8"\) → SetAttrs`
	span.SetTag("i64", int64(4))                              // want `rewrite tags: SetTag\("i64"\) → SetAttrs`
	span.SetTag("u", u)                                       // want `rewrite tags: SetTag\("u"\) → SetAttrs`
	span.SetTag("f", 0.5)                                     // want `rewrite tags: SetTag\("f"\) → SetAttrs`
	span.SetTag("f32", f32)                                   // want `rewrite tags: SetTag\("f32"\) → SetAttrs`
	span.SetTag("err", err)                                   // want `rewrite tags: SetTag\("err"\) → SetAttrs`
	span.SetTag("stringer", s)                                // want `rewrite tags: SetTag\("stringer"\) → SetAttrs`
	span.SetTag("any", v)                                     // want `rewrite tags: SetTag\("any"\) → SetAttrs`
	span.SetTag("code", c)                                    // want `rewrite tags: SetTag\("code"\) → SetAttrs`
	span.SetTag("d", d)                                       // want `rewrite tags: SetTag\("d"\) → SetAttrs`
	span.SetTag("level", level(2))                            // want `rewrite tags: SetTag\("level"\) → SetAttrs`
	span.SetTag("state", state("on"))                         // want `rewrite tags: SetTag\("state"\) → SetAttrs`
	span.SetTag("strs", []string{"a"})                        // want `rewrite tags: SetTag\("strs"\) → SetAttrs`
	span.SetTag("bytes", b)                                   // want `rewrite tags: SetTag\("bytes"\) → SetAttrs`
	span.SetTag("nil", nil)                                   // want `rewrite tags: SetTag with a nil value: nothing \(the shim drops it\)`
	span.SetTag(key, "dynamic")                               // want `rewrite tags: SetTag → SetAttrs \(key not constant: kept as it is, not `
	span.SetTag(string(ext.Component), "db")                  // want `rewrite tags: SetTag\("component"\) → SetAttrs`
	span.SetTag("http.method", "GET")                         // want `rewrite tags: SetTag\("http\.method"\) → SetAttrs\("http\.request\.method"\)`
	span.SetTag("a", 1).SetTag("b", 2)                        // want `rewrite tags: SetTag\("a"\) → SetAttrs` `rewrite tags: SetTag\("b"\) → SetAttrs` `rewrite tags: chained SetTag/SetOperationName → one statement each`
}

func semconv(ctx context.Context, status int, failed bool, stmt string) {
	span := opentracing.SpanFromContext(ctx)     // want `rewrite span: opentracing\.SpanFromContext → tracing\.SpanFromContext`
	ext.HTTPMethod.Set(span, "POST")             // want `rewrite tags: ext\.HTTPMethod\.Set → SetAttrs\("http\.request\.method"\)`
	ext.HTTPUrl.Set(span, "http://x/y")          // want `rewrite tags: ext\.HTTPUrl\.Set → SetAttrs\("url\.full"\)`
	ext.HTTPStatusCode.Set(span, uint16(status)) // want `rewrite tags: ext\.HTTPStatusCode\.Set → SetAttrs\("http\.response\.status_`
	ext.PeerService.Set(span, "billing")         // want `rewrite tags: ext\.PeerService\.Set → SetAttrs`
	ext.DBStatement.Set(span, stmt)              // want `rewrite tags: ext\.DBStatement\.Set → SetAttrs\("db\.query\.text"\)`
	ext.DBType.Set(span, "sql")                  // want `rewrite tags: ext\.DBType\.Set → SetAttrs\("db\.system\.name"\)`
	ext.Component.Set(span, "svc")               // want `rewrite tags: ext\.Component\.Set → SetAttrs`
	ext.PeerHostname.Set(span, "db.local")       // want `rewrite tags: ext\.PeerHostname\.Set → SetAttrs\("server\.address"\)`
	ext.PeerPort.Set(span, 5432)                 // want `rewrite tags: ext\.PeerPort\.Set → SetAttrs\("server\.port"\)`
	ext.Error.Set(span, true)                    // want `rewrite status: error=true → SetStatus\(tracing\.StatusError, ""\)`
	ext.Error.Set(span, failed)                  // want `rewrite status: error=<bool> → if <bool> \{ SetStatus\(tracing\.StatusErr`
	ext.SamplingPriority.Set(span, 1)            // want `rewrite tags: sampling\.priority dropped \(the facade samples at start: `
	span.SetTag("error", true)                   // want `rewrite status: error=true → SetStatus\(tracing\.StatusError, ""\)`
	ext.LogError(span, errors.New("boom"))       // want `rewrite errors: ext\.LogError → RecordError`
}

func kinds(ctx context.Context, tracer opentracing.Tracer) { // want `rewrite plumbing: parameter tracer: opentracing\.Tracer → \*tracing\.Trac`
	span, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tracer, "kinds")         // want `rewrite span-start: opentracing\.StartSpanFromContextWithTracer → trace`
	ext.SpanKindRPCClient.Set(span)                                                       // want `rewrite kind: span\.kind → SpanKindClient at the span's start`
	defer span.Finish()                                                                   // want `rewrite span: Finish → End`
	server := tracer.StartSpan("server", ext.SpanKindRPCServer, opentracing.Tags{"k": 1}) // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	server.Finish()                                                                       // want `rewrite span: Finish → End`
	producer, _ := opentracing.StartSpanFromContext(ctx, "produce")                       // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	ext.SpanKind.Set(producer, ext.SpanKindProducerEnum)                                  // want `rewrite kind: span\.kind → SpanKindProducer at the span's start`
	producer.Finish()                                                                     // want `rewrite span: Finish → End`
	consumer, _ := opentracing.StartSpanFromContext(ctx, "consume")                       // want `rewrite span-start: opentracing\.StartSpanFromContext → tracing\.Start`
	consumer.SetTag("span.kind", "consumer")                                              // want `rewrite kind: span\.kind → SpanKindConsumer at the span's start`
	consumer.Finish()                                                                     // want `rewrite span: Finish → End`
}
