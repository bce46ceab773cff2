// Package consoletest reads back what the console backend wrote in its
// JSON format, for tests: Start gives a console backend writing JSON lines
// into a buffer, and Decode turns those lines into tracingtest.SpanData.
package consoletest

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Buffer collects output; it is safe for concurrent writers and readers.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write implements io.Writer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start returns a console backend writing JSON lines (with opts added) and
// a function that decodes every span it has written so far.
func Start(opts ...console.Option) (*console.Backend, func(t testing.TB) []tracingtest.SpanData) {
	out := &Buffer{}
	b := console.New(append([]console.Option{console.WithWriter(out), console.WithFormat(console.FormatJSON)}, opts...)...)
	return b, func(t testing.TB) []tracingtest.SpanData { return Decode(t, out.String()) }
}

// Decode decodes the console's JSON lines.
func Decode(t testing.TB, s string) []tracingtest.SpanData {
	t.Helper()
	var spans []tracingtest.SpanData
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var j console.JSONSpan
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("console wrote a line that is not JSON: %v: %.200q", err, sc.Text())
		}
		spans = append(spans, FromJSON(t, j))
	}
	return spans
}

// FromJSON converts one span.
func FromJSON(t testing.TB, j console.JSONSpan) tracingtest.SpanData {
	t.Helper()
	d := tracingtest.SpanData{
		Name: j.Name, Sampled: j.Sampled, Start: j.Start, End: j.End,
		Resource: j.Resource, Service: j.Service, Type: j.Type, StatusMsg: j.StatusMessage,
		Attrs: attrs(t, j.Attributes),
	}
	var err error
	if d.TraceID, err = tracing.TraceIDFromHex(j.TraceID); err != nil {
		t.Fatalf("trace id %q: %v", j.TraceID, err)
	}
	if d.SpanID, err = tracing.SpanIDFromHex(j.SpanID); err != nil {
		t.Fatalf("span id %q: %v", j.SpanID, err)
	}
	if j.ParentSpanID != "" {
		if d.ParentID, err = tracing.SpanIDFromHex(j.ParentSpanID); err != nil {
			t.Fatalf("parent id %q: %v", j.ParentSpanID, err)
		}
	}
	for k := tracing.SpanKindInternal; k <= tracing.SpanKindConsumer; k++ {
		if k.String() == j.Kind {
			d.Kind = k
		}
	}
	for c := tracing.StatusUnset; c <= tracing.StatusOK; c++ {
		if c.String() == j.Status {
			d.Status = c
		}
	}
	for _, e := range j.Events {
		d.Events = append(d.Events, tracingtest.Event{Name: e.Name, Time: e.Time, Attrs: attrs(t, e.Attributes)})
	}
	for _, l := range j.Links {
		tid, _ := tracing.TraceIDFromHex(l.TraceID)
		sid, _ := tracing.SpanIDFromHex(l.SpanID)
		d.Links = append(d.Links, tracingtest.Link{TraceID: tid, SpanID: sid, Attrs: attrs(t, l.Attributes)})
	}
	d.ErrorFromExceptionEvent()
	return d
}

func attrs(t testing.TB, in []console.JSONAttr) []tracing.Attr {
	t.Helper()
	var out []tracing.Attr
	for _, a := range in {
		var v tracing.Value
		switch a.Type {
		case "String":
			s, _ := a.Value.(string)
			v = tracing.StringValue(s)
		case "Bool":
			b, _ := a.Value.(bool)
			v = tracing.BoolValue(b)
		case "Int64":
			s, _ := a.Value.(string)
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("int64 attribute %q: %v", a.Key, err)
			}
			v = tracing.Int64Value(n)
		case "Float64":
			v = tracing.Float64Value(toFloat(a.Value))
		case "StringSlice":
			v = tracing.StringSliceValue(each(a.Value, func(x any) string { s, _ := x.(string); return s }))
		case "BoolSlice":
			v = tracing.BoolSliceValue(each(a.Value, func(x any) bool { b, _ := x.(bool); return b }))
		case "Int64Slice":
			v = tracing.Int64SliceValue(each(a.Value, func(x any) int64 {
				s, _ := x.(string)
				n, _ := strconv.ParseInt(s, 10, 64)
				return n
			}))
		case "Float64Slice":
			v = tracing.Float64SliceValue(each(a.Value, toFloat))
		default:
			t.Fatalf("attribute %q has unknown type %q", a.Key, a.Type)
		}
		out = append(out, tracing.Attr{Key: a.Key, Value: v})
	}
	return out
}

func each[T any](v any, f func(any) T) []T {
	xs, _ := v.([]any)
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// toFloat reads a JSON number, or the string the console writes for NaN
// and the infinities.
func toFloat(x any) float64 {
	switch f := x.(type) {
	case float64:
		return f
	case string:
		v, _ := strconv.ParseFloat(f, 64)
		return v
	}
	return 0
}
