package tracing

import (
	"math"
	"testing"
)

func TestValueKinds(t *testing.T) {
	ss := []string{"a", "b"}
	cases := []struct {
		a    Attr
		kind Kind
		str  string
	}{
		{String("k", "v"), KindString, "v"},
		{String("k", ""), KindString, ""},
		{Bool("k", true), KindBool, "true"},
		{Bool("k", false), KindBool, "false"},
		{Int("k", -3), KindInt64, "-3"},
		{Int64("k", math.MaxInt64), KindInt64, "9223372036854775807"},
		{Float64("k", 1.5), KindFloat64, "1.5"},
		{Float64("k", math.NaN()), KindFloat64, "NaN"},
		{StringSlice("k", ss), KindStringSlice, "[a b]"},
		{StringSlice("k", nil), KindStringSlice, "[]"},
		{Int64Slice("k", []int64{1, 2}), KindInt64Slice, "[1 2]"},
		{Float64Slice("k", []float64{0.5}), KindFloat64Slice, "[0.5]"},
		{BoolSlice("k", []bool{true}), KindBoolSlice, "[true]"},
		{Attr{Key: "k"}, KindEmpty, ""},
	}
	for _, c := range cases {
		if got := c.a.Value.Kind(); got != c.kind {
			t.Errorf("%v: kind %v, want %v", c.a, got, c.kind)
		}
		if got := c.a.Value.String(); got != c.str {
			t.Errorf("%v: String %q, want %q", c.a, got, c.str)
		}
		if !c.a.Value.Equal(c.a.Value) {
			t.Errorf("%v not equal to itself", c.a)
		}
	}
	v := Int64Value(5)
	if v.AsString() != "" || v.AsBool() || v.AsFloat64() != 0 || v.AsStringSlice() != nil {
		t.Error("typed accessors of the wrong kind must return zero values")
	}
	if StringValue("5").Equal(Int64Value(5)) {
		t.Error("values of different kinds compare equal")
	}
	if Float64Value(1).Equal(Int64Value(1)) {
		t.Error("float 1 equals int 1")
	}
}

func TestValueCloneDoesNotAlias(t *testing.T) {
	s := []string{"a", "b"}
	v := StringSliceValue(s)
	c := v.Clone()
	s[0] = "changed"
	if got := c.AsStringSlice()[0]; got != "a" {
		t.Errorf("clone sees the caller's change: %q", got)
	}
	if got := v.AsStringSlice()[0]; got != "changed" {
		t.Errorf("value does not alias its slice (documented): %q", got)
	}
	is := []int64{1}
	ci := Int64SliceValue(is).Clone()
	is[0] = 9
	if ci.AsInt64Slice()[0] != 1 {
		t.Error("int64 slice clone aliases")
	}
}

func TestAttrConstructorsDoNotAllocate(t *testing.T) {
	s, ss := "value", []string{"x"}
	n := testing.AllocsPerRun(100, func() {
		a := []Attr{String("k", s), Int("i", 1), Float64("f", 2), Bool("b", true), StringSlice("ss", ss)}
		_ = a[0].Value.Kind() + a[4].Value.Kind()
	})
	if n != 0 {
		t.Errorf("building attributes allocated %v times", n)
	}
}

func TestAttrsOverflow(t *testing.T) {
	var a Attrs
	for i := range 20 {
		a.Append(Int(string(rune('a'+i)), i))
	}
	a.Append(String("", "dropped"))
	if a.Len() != 20 {
		t.Fatalf("Len %d, want 20", a.Len())
	}
	for i := range 20 {
		if got := a.At(i).Value.AsInt64(); got != int64(i) {
			t.Errorf("At(%d) = %d", i, got)
		}
	}
	if v, ok := a.Get("t"); !ok || v.AsInt64() != 19 {
		t.Errorf("Get(t) = %v, %v", v, ok)
	}
	if got := len(a.AppendTo(nil)); got != 20 {
		t.Errorf("AppendTo returned %d", got)
	}
}
