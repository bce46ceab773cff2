package mwtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LogBuffer is a concurrency-safe writer for a server's ErrorLog.
type LogBuffer = syncBuffer

func containsStr(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

// DecodeConsoleJSON decodes the console backend's JSON lines into
// SpanData, failing the test on anything that is not a valid span.
func DecodeConsoleJSON(t testing.TB, s string) []tracingtest.SpanData {
	t.Helper()
	var spans []tracingtest.SpanData
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var j console.JSONSpan
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("console wrote a line that is not JSON: %v: %q", err, sc.Text())
		}
		spans = append(spans, fromJSON(t, j))
	}
	return spans
}

func fromJSON(t testing.TB, j console.JSONSpan) tracingtest.SpanData {
	d := tracingtest.SpanData{
		Name: j.Name, Sampled: j.Sampled, Start: j.Start, End: j.End,
		Resource: j.Resource, Service: j.Service, Type: j.Type, StatusMsg: j.StatusMessage,
		Attrs: attrsFromJSON(t, j.Attributes),
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
	for k := tracing.KindInternal; k <= tracing.KindConsumer; k++ {
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
		d.Events = append(d.Events, tracingtest.Event{Name: e.Name, Time: e.Time, Attrs: attrsFromJSON(t, e.Attributes)})
	}
	for _, l := range j.Links {
		tid, _ := tracing.TraceIDFromHex(l.TraceID)
		sid, _ := tracing.SpanIDFromHex(l.SpanID)
		d.Links = append(d.Links, tracingtest.Link{TraceID: tid, SpanID: sid, Attrs: attrsFromJSON(t, l.Attributes)})
	}
	d.ErrorFromExceptionEvent()
	return d
}

func attrsFromJSON(t testing.TB, in []console.JSONAttr) []tracing.Attr {
	var out []tracing.Attr
	for _, a := range in {
		var v tracing.Value
		switch a.Type {
		case "String":
			v = tracing.StringValue(a.Value.(string))
		case "Bool":
			v = tracing.BoolValue(a.Value.(bool))
		case "Int64":
			n, err := strconv.ParseInt(a.Value.(string), 10, 64)
			if err != nil {
				t.Fatalf("int64 attribute %q: %v", a.Key, err)
			}
			v = tracing.Int64Value(n)
		case "Float64":
			v = tracing.Float64Value(toFloat(a.Value))
		case "StringSlice":
			var ss []string
			for _, x := range a.Value.([]any) {
				ss = append(ss, x.(string))
			}
			v = tracing.StringSliceValue(ss)
		case "BoolSlice":
			var bs []bool
			for _, x := range a.Value.([]any) {
				bs = append(bs, x.(bool))
			}
			v = tracing.BoolSliceValue(bs)
		case "Int64Slice":
			var is []int64
			for _, x := range a.Value.([]any) {
				n, _ := strconv.ParseInt(x.(string), 10, 64)
				is = append(is, n)
			}
			v = tracing.Int64SliceValue(is)
		case "Float64Slice":
			var fs []float64
			for _, x := range a.Value.([]any) {
				fs = append(fs, toFloat(x))
			}
			v = tracing.Float64SliceValue(fs)
		default:
			t.Fatalf("attribute %q has unknown type %q", a.Key, a.Type)
		}
		out = append(out, tracing.Attr{Key: a.Key, Value: v})
	}
	return out
}

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
