package tracing

import (
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// An Attr is a key and a typed value, like slog.Attr or OpenTelemetry's
// attribute.KeyValue. Attrs are passed by value; building one never
// allocates.
//
// An Attr with an empty key is dropped by Start, SetAttrs and AddEvent.
type Attr struct {
	Key   string
	Value Value
}

// String returns an Attr for a string value.
func String(key, value string) Attr { return Attr{key, StringValue(value)} }

// Int returns an Attr for an int value (stored as int64).
func Int(key string, value int) Attr { return Attr{key, Int64Value(int64(value))} }

// Int64 returns an Attr for an int64 value.
func Int64(key string, value int64) Attr { return Attr{key, Int64Value(value)} }

// Float64 returns an Attr for a float64 value.
func Float64(key string, value float64) Attr { return Attr{key, Float64Value(value)} }

// Bool returns an Attr for a bool value.
func Bool(key string, value bool) Attr { return Attr{key, BoolValue(value)} }

// StringSlice returns an Attr for a []string value. The slice is not copied:
// do not modify it until the call that takes the Attr has returned (every
// backend copies what it keeps).
func StringSlice(key string, value []string) Attr { return Attr{key, StringSliceValue(value)} }

// Int64Slice returns an Attr for a []int64 value; the slice is not copied.
func Int64Slice(key string, value []int64) Attr { return Attr{key, Int64SliceValue(value)} }

// Float64Slice returns an Attr for a []float64 value; the slice is not copied.
func Float64Slice(key string, value []float64) Attr { return Attr{key, Float64SliceValue(value)} }

// BoolSlice returns an Attr for a []bool value; the slice is not copied.
func BoolSlice(key string, value []bool) Attr { return Attr{key, BoolSliceValue(value)} }

// Equal reports whether a and b have equal keys and values.
func (a Attr) Equal(b Attr) bool { return a.Key == b.Key && a.Value.Equal(b.Value) }

// String returns "key=value".
func (a Attr) String() string { return a.Key + "=" + a.Value.String() }

// Kind is the type of a Value.
type Kind uint8

// The kinds of Value.
const (
	KindEmpty Kind = iota
	KindBool
	KindInt64
	KindFloat64
	KindString
	KindBoolSlice
	KindInt64Slice
	KindFloat64Slice
	KindStringSlice
)

var kindNames = [...]string{"Empty", "Bool", "Int64", "Float64", "String", "BoolSlice", "Int64Slice", "Float64Slice", "StringSlice"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "<unknown tracing.Kind>"
}

// A Value is the typed value of an Attr. It is three words long and holds
// any of its kinds without allocating (the layout is the one log/slog uses:
// numbers in num, strings and slices as a data pointer in any with the length
// in num). The zero Value is empty.
type Value struct {
	_   [0]func() // not comparable with ==; use Equal
	num uint64
	// any is a Kind for the numeric kinds, or a typed data pointer for
	// strings and slices (whose length is num).
	any any
}

type (
	stringptr   *byte
	boolsptr    *bool
	int64sptr   *int64
	float64sptr *float64
	stringsptr  *string
)

// StringValue returns a Value for a string.
func StringValue(v string) Value {
	return Value{num: uint64(len(v)), any: stringptr(unsafe.StringData(v))}
}

// Int64Value returns a Value for an int64.
func Int64Value(v int64) Value { return Value{num: uint64(v), any: KindInt64} }

// Float64Value returns a Value for a float64.
func Float64Value(v float64) Value { return Value{num: math.Float64bits(v), any: KindFloat64} }

// BoolValue returns a Value for a bool.
func BoolValue(v bool) Value {
	var n uint64
	if v {
		n = 1
	}
	return Value{num: n, any: KindBool}
}

// StringSliceValue returns a Value for a []string; the slice is not copied.
func StringSliceValue(v []string) Value {
	return Value{num: uint64(len(v)), any: stringsptr(unsafe.SliceData(v))}
}

// Int64SliceValue returns a Value for a []int64; the slice is not copied.
func Int64SliceValue(v []int64) Value {
	return Value{num: uint64(len(v)), any: int64sptr(unsafe.SliceData(v))}
}

// Float64SliceValue returns a Value for a []float64; the slice is not copied.
func Float64SliceValue(v []float64) Value {
	return Value{num: uint64(len(v)), any: float64sptr(unsafe.SliceData(v))}
}

// BoolSliceValue returns a Value for a []bool; the slice is not copied.
func BoolSliceValue(v []bool) Value {
	return Value{num: uint64(len(v)), any: boolsptr(unsafe.SliceData(v))}
}

// Kind returns v's kind.
func (v Value) Kind() Kind {
	switch x := v.any.(type) {
	case Kind:
		return x
	case stringptr:
		return KindString
	case boolsptr:
		return KindBoolSlice
	case int64sptr:
		return KindInt64Slice
	case float64sptr:
		return KindFloat64Slice
	case stringsptr:
		return KindStringSlice
	default:
		return KindEmpty
	}
}

// AsString returns v's string, or "" if v is not a KindString.
func (v Value) AsString() string {
	if p, ok := v.any.(stringptr); ok {
		return unsafe.String(p, v.num)
	}
	return ""
}

// AsInt64 returns v's int64, or 0 if v is not a KindInt64.
func (v Value) AsInt64() int64 {
	if v.any == any(KindInt64) {
		return int64(v.num)
	}
	return 0
}

// AsFloat64 returns v's float64, or 0 if v is not a KindFloat64.
func (v Value) AsFloat64() float64 {
	if v.any == any(KindFloat64) {
		return math.Float64frombits(v.num)
	}
	return 0
}

// AsBool returns v's bool, or false if v is not a KindBool.
func (v Value) AsBool() bool {
	return v.any == any(KindBool) && v.num == 1
}

// AsStringSlice returns v's []string (not a copy), or nil.
func (v Value) AsStringSlice() []string {
	if p, ok := v.any.(stringsptr); ok {
		return unsafe.Slice((*string)(p), v.num)
	}
	return nil
}

// AsInt64Slice returns v's []int64 (not a copy), or nil.
func (v Value) AsInt64Slice() []int64 {
	if p, ok := v.any.(int64sptr); ok {
		return unsafe.Slice((*int64)(p), v.num)
	}
	return nil
}

// AsFloat64Slice returns v's []float64 (not a copy), or nil.
func (v Value) AsFloat64Slice() []float64 {
	if p, ok := v.any.(float64sptr); ok {
		return unsafe.Slice((*float64)(p), v.num)
	}
	return nil
}

// AsBoolSlice returns v's []bool (not a copy), or nil.
func (v Value) AsBoolSlice() []bool {
	if p, ok := v.any.(boolsptr); ok {
		return unsafe.Slice((*bool)(p), v.num)
	}
	return nil
}

// Clone returns v with its slice, if any, copied, so that the result does
// not share memory with the caller's slice. Backends that keep values call
// it.
func (v Value) Clone() Value {
	switch v.Kind() {
	case KindStringSlice:
		return StringSliceValue(append([]string(nil), v.AsStringSlice()...))
	case KindInt64Slice:
		return Int64SliceValue(append([]int64(nil), v.AsInt64Slice()...))
	case KindFloat64Slice:
		return Float64SliceValue(append([]float64(nil), v.AsFloat64Slice()...))
	case KindBoolSlice:
		return BoolSliceValue(append([]bool(nil), v.AsBoolSlice()...))
	}
	return v
}

// Equal reports whether v and w hold the same kind and value. Float64
// values are compared bit for bit, so NaN equals NaN.
func (v Value) Equal(w Value) bool {
	k := v.Kind()
	if k != w.Kind() {
		return false
	}
	switch k {
	case KindEmpty:
		return true
	case KindString:
		return v.AsString() == w.AsString()
	case KindBool, KindInt64, KindFloat64:
		return v.num == w.num
	case KindStringSlice:
		return sliceEqual(v.AsStringSlice(), w.AsStringSlice())
	case KindInt64Slice:
		return sliceEqual(v.AsInt64Slice(), w.AsInt64Slice())
	case KindFloat64Slice:
		a, b := v.AsFloat64Slice(), w.AsFloat64Slice()
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	case KindBoolSlice:
		return sliceEqual(v.AsBoolSlice(), w.AsBoolSlice())
	}
	return false
}

func sliceEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String formats v for people: strings as they are, numbers in Go syntax,
// slices as [a b c].
func (v Value) String() string {
	switch v.Kind() {
	case KindString:
		return v.AsString()
	case KindBool:
		return strconv.FormatBool(v.AsBool())
	case KindInt64:
		return strconv.FormatInt(v.AsInt64(), 10)
	case KindFloat64:
		return strconv.FormatFloat(v.AsFloat64(), 'g', -1, 64)
	case KindStringSlice:
		return "[" + strings.Join(v.AsStringSlice(), " ") + "]"
	case KindInt64Slice:
		return formatSlice(v.AsInt64Slice(), func(x int64) string { return strconv.FormatInt(x, 10) })
	case KindFloat64Slice:
		return formatSlice(v.AsFloat64Slice(), func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) })
	case KindBoolSlice:
		return formatSlice(v.AsBoolSlice(), strconv.FormatBool)
	}
	return ""
}

func formatSlice[T any](s []T, f func(T) string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f(x))
	}
	b.WriteByte(']')
	return b.String()
}
