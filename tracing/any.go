package tracing

import (
	"fmt"
	"math"
	"reflect"
	"time"
)

// Any returns an Attr for a value of any type, as slog.Any does: strings,
// bools, every integer and float type, and slices of strings, int64s,
// float64s and bools keep their type (unsigned integers above
// math.MaxInt64 become strings); a []byte becomes a string; a
// time.Duration its String form; an error or fmt.Stringer its message;
// named types of those basic kinds (enums) their underlying value; anything
// else is formatted with fmt.Sprint. A nil value (or a nil pointer, map,
// slice, …) gives the empty Value.
//
// Use the typed constructors (String, Int, …) where the type is known:
// they never allocate, while Any boxes its argument. Any is for values
// whose type is not known where they are recorded, such as OpenTracing's
// SetTag(key string, value interface{}) calls being migrated.
func Any(key string, value any) Attr { return Attr{key, AnyValue(value)} }

// AnyValue returns value as a Value, converted as Any describes.
func AnyValue(value any) Value {
	switch x := value.(type) {
	case nil:
		return Value{}
	case Value:
		return x
	case string:
		return StringValue(x)
	case bool:
		return BoolValue(x)
	case int:
		return Int64Value(int64(x))
	case int8:
		return Int64Value(int64(x))
	case int16:
		return Int64Value(int64(x))
	case int32:
		return Int64Value(int64(x))
	case int64:
		return Int64Value(x)
	case uint:
		return uintValue(uint64(x))
	case uint8:
		return Int64Value(int64(x))
	case uint16:
		return Int64Value(int64(x))
	case uint32:
		return Int64Value(int64(x))
	case uint64:
		return uintValue(x)
	case float32:
		return Float64Value(float64(x))
	case float64:
		return Float64Value(x)
	case []string:
		return StringSliceValue(x)
	case []int64:
		return Int64SliceValue(x)
	case []float64:
		return Float64SliceValue(x)
	case []bool:
		return BoolSliceValue(x)
	case []byte:
		return StringValue(string(x))
	case time.Duration:
		return StringValue(x.String())
	case error, fmt.Stringer:
		if isNilPointer(value) {
			return Value{}
		}
		// fmt.Sprint survives a panicking Error or String method.
		return StringValue(fmt.Sprint(x))
	}
	// Named types of basic kinds, such as OpenTracing's ext.SpanKindEnum.
	rv := reflect.ValueOf(value)
	switch rv.Kind() {
	case reflect.String:
		return StringValue(rv.String())
	case reflect.Bool:
		return BoolValue(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Int64Value(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintValue(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return Float64Value(rv.Float())
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		if rv.IsNil() {
			return Value{}
		}
	}
	return StringValue(fmt.Sprint(value))
}

func uintValue(u uint64) Value {
	if u > math.MaxInt64 {
		return StringValue(fmt.Sprint(u))
	}
	return Int64Value(int64(u))
}

// isNilPointer reports whether v holds a nil pointer (whose methods may
// not be callable).
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
