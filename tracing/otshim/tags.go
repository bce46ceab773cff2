package otshim

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// OpenTracing's standard tags with a meaning in the facade.
var (
	tagSpanKind         = string(ext.SpanKind)
	tagError            = string(ext.Error)
	tagSamplingPriority = string(ext.SamplingPriority)
)

// The attributes the shim adds (OpenTracing's log fields are
// backendkit.OTField*).
const (
	attrRefType  = "opentracing.ref_type"
	attrLogError = "otshim.log_error"
)

// attr converts a tag to a facade attribute. Nil values are dropped.
func attr(key string, value any) (tracing.Attr, bool) {
	if key == "" {
		return tracing.Attr{}, false
	}
	if key == "peer.ipv4" {
		if ip, ok := value.(uint32); ok {
			value = net.IPv4(byte(ip>>24), byte(ip>>16), byte(ip>>8), byte(ip)).String()
		}
	}
	v, ok := toValue(value)
	if !ok {
		return tracing.Attr{}, false
	}
	k := backendkit.OTTagKey(key)
	if k == "url.full" && v.Kind() == tracing.KindString {
		v = tracing.StringValue(backendkit.StripURL(v.AsString()))
	}
	return tracing.Attr{Key: k, Value: v}, true
}

// toValue converts a tag or log value to a facade value (see
// tracing.AnyValue); nil values are dropped.
func toValue(value any) (tracing.Value, bool) {
	v := tracing.AnyValue(value)
	return v, v.Kind() != tracing.KindEmpty
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// spanKind reads a span.kind tag value ("server", ext.SpanKindRPCServerEnum, …).
func spanKind(v any) (tracing.SpanKind, bool) {
	val, ok := toValue(v)
	if !ok {
		return 0, false
	}
	switch strings.ToLower(val.String()) {
	case "server":
		return tracing.SpanKindServer, true
	case "client":
		return tracing.SpanKindClient, true
	case "producer":
		return tracing.SpanKindProducer, true
	case "consumer":
		return tracing.SpanKindConsumer, true
	case "internal":
		return tracing.SpanKindInternal, true
	}
	return 0, false
}

// logAt records OpenTracing log fields at t (now if zero). A record with
// event=error or an error.object field records an error on the span (and
// marks it failed), with error.kind as the error's type if given, message
// as its message if there is no error object, and stack as its stack;
// other fields of such a record, and every other record, become an event
// named by the event field ("log" if there is none).
func (s *span) logAt(t time.Time, fields []log.Field) {
	var r logRecord
	for _, f := range fields {
		r.add(f)
	}
	if r.isError() {
		if bs := s.fs.Backend(); bs != nil && s.fs.IsRecording() {
			// The facade's Span.RecordError derives the type from the Go
			// error and takes the stack of its caller; a legacy log
			// already says both, so the backend gets them as logged.
			info := r.errorInfo()
			bs.RecordError(info)
			bs.SetStatus(tracing.StatusError, info.Message)
		}
		if len(r.attrs) == 0 {
			return
		}
	}
	name := r.event
	if name == "" {
		name = "log"
	}
	if t.IsZero() {
		s.fs.AddEvent(name, r.attrs...)
	} else {
		s.fs.AddEventAt(t, name, r.attrs...)
	}
}

// logRecord gathers one log record's fields.
type logRecord struct {
	event                string
	errObj               error
	errText              string
	kind, message, stack string
	attrs                []tracing.Attr
}

func (r *logRecord) add(f log.Field) {
	defer func() {
		// A log.Lazy function or a value's String method may panic; the
		// field is then dropped rather than the request.
		_ = recover()
	}()
	key, v := f.Key(), f.Value()
	switch key {
	case backendkit.OTFieldEvent:
		if s, ok := v.(string); ok && r.event == "" {
			r.event = s
			return
		}
	case backendkit.OTFieldErrorObject:
		if err, ok := v.(error); ok && !isNil(err) {
			r.errObj = err
			return
		}
		if val, ok := toValue(v); ok {
			r.errText = val.String()
		}
		return
	case backendkit.OTFieldErrorKind:
		if s, ok := v.(string); ok {
			r.kind = s
			return
		}
	case backendkit.OTFieldMessage:
		if s, ok := v.(string); ok {
			r.message = s
			return
		}
	case backendkit.OTFieldStack:
		if s, ok := v.(string); ok {
			r.stack = s
			return
		}
	}
	if ll, ok := v.(log.LazyLogger); ok {
		ll(fieldCollector{r})
		return
	}
	if val, ok := toValue(v); ok && key != "" {
		r.attrs = append(r.attrs, tracing.Attr{Key: key, Value: val})
	}
}

func (r *logRecord) isError() bool { return r.event == "error" || r.errObj != nil || r.errText != "" }

func (r *logRecord) errorInfo() tracing.ErrorInfo {
	info := tracing.ErrorInfo{Err: r.errObj, Type: r.kind, Stack: r.stack}
	switch {
	case r.errObj != nil:
		info.Message = fmt.Sprint(r.errObj)
		if info.Type == "" {
			info.Type = tracing.ErrorType(r.errObj)
		}
	case r.errText != "":
		info.Message = r.errText
	default:
		info.Message = r.message
	}
	if info.Message == "" {
		info.Message = r.message
	}
	if info.Err == nil {
		info.Err = errors.New(info.Message)
	}
	return info
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return v == nil
}

// fieldCollector receives the fields a log.Lazy function emits.
type fieldCollector struct{ r *logRecord }

func (c fieldCollector) EmitString(k, v string)    { c.r.add(log.String(k, v)) }
func (c fieldCollector) EmitBool(k string, v bool) { c.r.add(log.Bool(k, v)) }
func (c fieldCollector) EmitInt(k string, v int)   { c.r.add(log.Int(k, v)) }
func (c fieldCollector) EmitInt32(k string, v int32) {
	c.r.add(log.Int32(k, v))
}
func (c fieldCollector) EmitInt64(k string, v int64)      { c.r.add(log.Int64(k, v)) }
func (c fieldCollector) EmitUint32(k string, v uint32)    { c.r.add(log.Uint32(k, v)) }
func (c fieldCollector) EmitUint64(k string, v uint64)    { c.r.add(log.Uint64(k, v)) }
func (c fieldCollector) EmitFloat32(k string, v float32)  { c.r.add(log.Float32(k, v)) }
func (c fieldCollector) EmitFloat64(k string, v float64)  { c.r.add(log.Float64(k, v)) }
func (c fieldCollector) EmitObject(k string, v any)       { c.r.add(log.Object(k, v)) }
func (c fieldCollector) EmitLazyLogger(ll log.LazyLogger) { ll(c) }
