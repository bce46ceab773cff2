package ddtest

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// SpanData waits (up to timeout) until at least want spans have arrived and
// returns every span received, decoded with ToSpanData.
func (a *Agent) SpanData(t testing.TB, want int, timeout time.Duration) []tracingtest.SpanData {
	t.Helper()
	return ToSpanData(a.WaitSpans(want, timeout))
}

// derivedOps are operation names the backend derives from semantic
// conventions; the facade name is then the resource.
var derivedOps = map[string]bool{"http.request": true, "http.server.request": true, "http.client.request": true}

// FacadeName recovers the facade's span name from what Datadog received:
// the operation name, unless the backend derived the operation from the
// span's kind and attributes (HTTP and database spans), in which case the
// facade name is the resource (when no explicit resource replaced it).
func FacadeName(s Span) string {
	kind := s.Meta["span.kind"]
	if kind != "server" && kind != "client" {
		return s.Name
	}
	if derivedOps[s.Name] && s.Meta["http.method"] != "" {
		return s.Resource
	}
	if sys := s.Meta["db.system"]; sys != "" && s.Name == sys+".query" {
		return s.Resource
	}
	return s.Name
}

// ToSpanData decodes what the agent received into the facade's form, so
// that tests (and tracingtest.Run) compare spans across backends: the name
// is the facade's (see FacadeName), meta become string attributes and
// metrics float64 ones, "key.0", "key.1", … tags a slice again, the
// sampling priority of a span's chunk its sampled flag, error.* its error.
func ToSpanData(spans []Span) []tracingtest.SpanData {
	priority := map[int]float64{}
	for _, s := range spans {
		if p, ok := s.Metrics["_sampling_priority_v1"]; ok {
			priority[s.Chunk] = p
		}
	}
	out := make([]tracingtest.SpanData, 0, len(spans))
	for _, s := range spans {
		d := tracingtest.SpanData{
			Name:     FacadeName(s),
			TraceID:  tracing.TraceIDFromUint64s(s.TraceIDHigh, s.TraceID),
			SpanID:   tracing.SpanIDFromUint64(s.SpanID),
			Sampled:  priority[s.Chunk] > 0,
			Start:    time.Unix(0, s.Start),
			End:      time.Unix(0, s.Start+s.Duration),
			Attrs:    attrsOf(s),
			Resource: s.Resource,
			Service:  s.Service,
			Type:     s.Type,
		}
		if s.ParentID != 0 {
			d.ParentID = tracing.SpanIDFromUint64(s.ParentID)
		}
		for k := tracing.SpanKindInternal; k <= tracing.SpanKindConsumer; k++ {
			if s.Meta["span.kind"] == k.String() {
				d.Kind = k
			}
		}
		if s.Error != 0 {
			d.Status = tracing.StatusError
			d.StatusMsg = s.Meta["error.message"]
		}
		d.ErrorMessage, d.ErrorType, d.ErrorStack = s.Meta["error.message"], s.Meta["error.type"], s.Meta["error.stack"]
		for _, e := range s.Events {
			d.Events = append(d.Events, tracingtest.Event{
				Name: e.Name, Time: time.Unix(0, int64(e.TimeUnixNano)), Attrs: eventAttrs(e.Attributes),
			})
		}
		for _, l := range s.Links {
			var attrs []tracing.Attr
			for k, v := range l.Attributes {
				attrs = append(attrs, tracing.String(k, v))
			}
			d.Links = append(d.Links, tracingtest.Link{
				TraceID: tracing.TraceIDFromUint64s(l.TraceIDHigh, l.TraceID), SpanID: tracing.SpanIDFromUint64(l.SpanID), Attrs: attrs,
			})
		}
		out = append(out, d)
	}
	return out
}

var elementKey = regexp.MustCompile(`^(.+)\.(\d+)$`)

// attrsOf returns a span's meta (as strings) and metrics (as float64), and
// reassembles the "key.0", "key.1", … tags dd-trace-go writes for a slice
// into a slice attribute "key".
func attrsOf(s Span) []tracing.Attr {
	var out []tracing.Attr
	type elem struct {
		i   int
		str *string
		num *float64
	}
	groups := map[string][]elem{}
	for k, v := range s.Meta {
		out = append(out, tracing.String(k, v))
		if m := elementKey.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[2])
			groups[m[1]] = append(groups[m[1]], elem{i: i, str: &v})
		}
	}
	for k, v := range s.Metrics {
		out = append(out, tracing.Float64(k, v))
		if m := elementKey.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[2])
			groups[m[1]] = append(groups[m[1]], elem{i: i, num: &v})
		}
	}
	for base, elems := range groups {
		if _, ok := s.Meta[base]; ok {
			continue
		}
		if _, ok := s.Metrics[base]; ok {
			continue
		}
		slices.SortFunc(elems, func(a, b elem) int { return a.i - b.i })
		var strs []string
		var nums []float64
		ok := true
		for j, e := range elems {
			ok = ok && e.i == j
			if e.str != nil {
				strs = append(strs, *e.str)
			} else {
				nums = append(nums, *e.num)
			}
		}
		switch {
		case !ok:
		case len(nums) == 0:
			out = append(out, tracing.StringSlice(base, strs))
		case len(strs) == 0:
			out = append(out, tracing.Float64Slice(base, nums))
		}
	}
	return out
}

func eventAttrs(m map[string]any) []tracing.Attr {
	var out []tracing.Attr
	for k, v := range m {
		if val, ok := valueOf(v); ok {
			out = append(out, tracing.Attr{Key: k, Value: val})
		}
	}
	return out
}

func valueOf(v any) (tracing.Value, bool) {
	switch x := v.(type) {
	case string:
		return tracing.StringValue(x), true
	case bool:
		return tracing.BoolValue(x), true
	case int64:
		return tracing.Int64Value(x), true
	case float64:
		return tracing.Float64Value(x), true
	case []any:
		if len(x) == 0 {
			return tracing.StringSliceValue(nil), true
		}
		switch x[0].(type) {
		case string:
			return tracing.StringSliceValue(convert[string](x)), true
		case bool:
			return tracing.BoolSliceValue(convert[bool](x)), true
		case int64:
			return tracing.Int64SliceValue(convert[int64](x)), true
		case float64:
			return tracing.Float64SliceValue(convert[float64](x)), true
		}
	}
	return tracing.Value{}, false
}

func convert[T any](in []any) []T {
	out := make([]T, 0, len(in))
	for _, x := range in {
		v, _ := x.(T)
		out = append(out, v)
	}
	return out
}

// ValueEqual accepts exactly the backend's documented mapping: booleans
// arrive as "true"/"false" meta, integers as float64 metrics (or decimal
// meta beyond ±(2^53-1)), slices element by element with the same rules;
// event attributes keep their types (or, as JSON, numbers are float64).
func ValueEqual(want, got tracing.Value) bool {
	if want.Equal(got) {
		return true
	}
	switch want.Kind() {
	case tracing.KindBool:
		return got.Kind() == tracing.KindString && got.AsString() == strconv.FormatBool(want.AsBool())
	case tracing.KindInt64:
		i := want.AsInt64()
		if i > 1<<53-1 || i < -(1<<53-1) {
			return got.Kind() == tracing.KindString && got.AsString() == strconv.FormatInt(i, 10)
		}
		return got.Kind() == tracing.KindFloat64 && got.AsFloat64() == float64(i)
	case tracing.KindBoolSlice:
		w := want.AsBoolSlice()
		g := got.AsStringSlice()
		return got.Kind() == tracing.KindStringSlice && len(g) == len(w) && all(w, func(i int, b bool) bool { return g[i] == strconv.FormatBool(b) })
	case tracing.KindInt64Slice:
		w := want.AsInt64Slice()
		g := got.AsFloat64Slice()
		return got.Kind() == tracing.KindFloat64Slice && len(g) == len(w) && all(w, func(i int, x int64) bool { return g[i] == float64(x) })
	case tracing.KindFloat64:
		return got.Kind() == tracing.KindFloat64 && (got.AsFloat64() == want.AsFloat64() || math.IsNaN(got.AsFloat64()) && math.IsNaN(want.AsFloat64()))
	}
	return false
}

func all[T any](s []T, f func(int, T) bool) bool {
	for i, x := range s {
		if !f(i, x) {
			return false
		}
	}
	return true
}

// SpanNamed returns the one span named name (by operation or facade
// name), failing t unless there is exactly one.
func SpanNamed(t testing.TB, spans []Span, name string) Span {
	t.Helper()
	var found []Span
	for _, s := range spans {
		if s.Name == name || FacadeName(s) == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name+"/"+s.Resource)
		}
		t.Fatalf("want one span named %q, got %d among %v", name, len(found), names)
	}
	return found[0]
}

// SpanWithResource returns the one span whose resource is resource,
// failing t unless there is exactly one.
func SpanWithResource(t testing.TB, spans []Span, resource string) Span {
	t.Helper()
	var found []Span
	for _, s := range spans {
		if s.Resource == resource {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span with resource %q, got %d", resource, len(found))
	}
	return found[0]
}
