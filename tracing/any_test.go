package tracing_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

type kindEnum string

type stringer struct{}

func (stringer) String() string { return "from String" }

type panicky struct{}

func (panicky) Error() string { panic("boom") }

func TestAny(t *testing.T) {
	var nilErr *customErr
	var nilMap map[string]int
	for _, tc := range []struct {
		name string
		in   any
		want tracing.Value
	}{
		{"string", "x", tracing.StringValue("x")},
		{"bool", true, tracing.BoolValue(true)},
		{"int", 7, tracing.Int64Value(7)},
		{"int8", int8(-8), tracing.Int64Value(-8)},
		{"int32", int32(32), tracing.Int64Value(32)},
		{"uint16", uint16(16), tracing.Int64Value(16)},
		{"uint64 small", uint64(64), tracing.Int64Value(64)},
		{"uint64 big", uint64(math.MaxUint64), tracing.StringValue("18446744073709551615")},
		{"float32", float32(0.5), tracing.Float64Value(0.5)},
		{"float64", 2.25, tracing.Float64Value(2.25)},
		{"[]string", []string{"a", "b"}, tracing.StringSliceValue([]string{"a", "b"})},
		{"[]int64", []int64{1}, tracing.Int64SliceValue([]int64{1})},
		{"[]byte", []byte("raw"), tracing.StringValue("raw")},
		{"duration", 1500 * time.Millisecond, tracing.StringValue("1.5s")},
		{"error", errors.New("broken"), tracing.StringValue("broken")},
		{"stringer", stringer{}, tracing.StringValue("from String")},
		{"panicking Error", panicky{}, tracing.StringValue("%!v(PANIC=Error method: boom)")},
		{"named string", kindEnum("server"), tracing.StringValue("server")},
		{"struct", struct{ A int }{3}, tracing.StringValue("{3}")},
		{"nil", nil, tracing.Value{}},
		{"nil error pointer", nilErr, tracing.Value{}},
		{"nil map", nilMap, tracing.Value{}},
		{"Value", tracing.Int64Value(5), tracing.Int64Value(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tracing.AnyValue(tc.in); !got.Equal(tc.want) {
				t.Errorf("AnyValue(%#v) = %v (%v), want %v (%v)", tc.in, got, got.Kind(), tc.want, tc.want.Kind())
			}
			if a := tracing.Any("k", tc.in); a.Key != "k" || !a.Value.Equal(tc.want) {
				t.Errorf("Any = %v", a)
			}
		})
	}
}

type customErr struct{}

func (*customErr) Error() string { return "custom" }
