package console

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// JSONSpan is the shape of one line of FormatJSON output. Attribute values
// keep their type: Type is the tracing.Kind's name ("String", "Int64", …)
// and Value the JSON form of the value.
type JSONSpan struct {
	TraceID       string          `json:"trace_id"`
	SpanID        string          `json:"span_id"`
	ParentSpanID  string          `json:"parent_span_id,omitempty"`
	ParentRemote  bool            `json:"parent_remote,omitempty"`
	Sampled       bool            `json:"sampled"`
	TraceState    string          `json:"trace_state,omitempty"`
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Start         time.Time       `json:"start"`
	End           time.Time       `json:"end"`
	DurationNanos int64           `json:"duration_ns"`
	Service       string          `json:"service,omitempty"`
	Resource      string          `json:"resource,omitempty"`
	Type          string          `json:"type,omitempty"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"status_message,omitempty"`
	Attributes    []JSONAttr      `json:"attributes,omitempty"`
	Events        []JSONEvent     `json:"events,omitempty"`
	Links         []JSONLink      `json:"links,omitempty"`
	Dropped       *JSONDropCounts `json:"dropped,omitempty"`
}

// JSONAttr is a typed attribute.
type JSONAttr struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// JSONEvent is a span event.
type JSONEvent struct {
	Name       string     `json:"name"`
	Time       time.Time  `json:"time"`
	Attributes []JSONAttr `json:"attributes,omitempty"`
}

// JSONLink is a span link.
type JSONLink struct {
	TraceID    string     `json:"trace_id"`
	SpanID     string     `json:"span_id"`
	Attributes []JSONAttr `json:"attributes,omitempty"`
}

// JSONDropCounts says what the span's limits dropped.
type JSONDropCounts struct {
	Attributes int `json:"attributes"`
	Events     int `json:"events"`
}

func jsonAttrs(attrs []tracing.Attr) []JSONAttr {
	var out []JSONAttr
	for _, a := range attrs {
		out = append(out, jsonAttr(a))
	}
	return out
}

func jsonAttr(a tracing.Attr) JSONAttr {
	v := a.Value
	ja := JSONAttr{Key: a.Key, Type: v.Kind().String()}
	switch v.Kind() {
	case tracing.KindString:
		ja.Value = v.AsString()
	case tracing.KindBool:
		ja.Value = v.AsBool()
	case tracing.KindInt64:
		// As a string: JSON numbers lose int64 precision in most readers.
		ja.Value = v.String()
	case tracing.KindFloat64:
		ja.Value = jsonFloat(v.AsFloat64())
	case tracing.KindStringSlice:
		ja.Value = v.AsStringSlice()
	case tracing.KindBoolSlice:
		ja.Value = v.AsBoolSlice()
	case tracing.KindInt64Slice:
		var ss []string
		for _, x := range v.AsInt64Slice() {
			ss = append(ss, tracing.Int64Value(x).String())
		}
		ja.Value = ss
	case tracing.KindFloat64Slice:
		var fs []any
		for _, x := range v.AsFloat64Slice() {
			fs = append(fs, jsonFloat(x))
		}
		ja.Value = fs
	}
	return ja
}

// jsonFloat returns f, or its string form ("NaN", "+Inf", "-Inf") where
// JSON has no number for it.
func jsonFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return tracing.Float64Value(f).String()
	}
	return f
}

func toJSON(d *backendkit.SpanData) JSONSpan {
	j := JSONSpan{
		TraceID:       d.SpanContext.TraceID().String(),
		SpanID:        d.SpanContext.SpanID().String(),
		Sampled:       d.SpanContext.IsSampled(),
		TraceState:    d.SpanContext.TraceState(),
		Name:          d.Name,
		Kind:          d.Kind.String(),
		Start:         d.Start,
		End:           d.End,
		DurationNanos: int64(d.End.Sub(d.Start)),
		Service:       d.Service,
		Resource:      d.Resource,
		Type:          d.Type,
		Status:        d.Status.String(),
		StatusMessage: d.StatusDesc,
		Attributes:    jsonAttrs(d.Attrs),
	}
	if d.Parent.IsValid() {
		j.ParentSpanID = d.Parent.SpanID().String()
		j.ParentRemote = d.Parent.IsRemote()
	}
	for _, e := range d.Events {
		j.Events = append(j.Events, JSONEvent{Name: e.Name, Time: e.Time, Attributes: jsonAttrs(e.Attrs)})
	}
	for _, l := range d.Links {
		j.Links = append(j.Links, JSONLink{TraceID: l.SpanContext.TraceID().String(), SpanID: l.SpanContext.SpanID().String(), Attributes: jsonAttrs(l.Attrs)})
	}
	if d.DroppedAttrs > 0 || d.DroppedEvent > 0 {
		j.Dropped = &JSONDropCounts{Attributes: d.DroppedAttrs, Events: d.DroppedEvent}
	}
	return j
}

func writeJSON(w io.Writer, d *backendkit.SpanData) {
	b, err := json.Marshal(toJSON(d))
	if err != nil {
		return
	}
	_, _ = w.Write(append(b, '\n'))
}
