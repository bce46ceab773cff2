// Package ddtest is a loopback HTTP server that poses as the Datadog
// trace agent for tests: it answers the endpoints dd-trace-go calls
// (/info, /v0.4/traces, /v0.6/stats, the telemetry proxy) and decodes the
// msgpack trace payloads the tracer really sends, with
// github.com/tinylib/msgp as dd-trace-go encodes them. It can misbehave as
// a tracingtest.Fault says (SetFault).
package ddtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Config describes the agent the tracer discovers through /info.
type Config struct {
	// SpanEvents advertises native span events (span_events: true), so
	// that the tracer sends them in the span_events field rather than as
	// JSON in the "events" tag.
	SpanEvents bool
	// Stats advertises /v0.6/stats, which lets the tracer compute stats.
	Stats bool
	// ClientDropP0s lets the tracer drop unsampled traces itself.
	ClientDropP0s bool
	// Discard accepts trace payloads without decoding or keeping them
	// (for benchmarks).
	Discard bool
	// MaxPayload, if not zero, is the largest trace payload accepted, in
	// bytes; a larger one is answered 413 and its spans count in
	// Rejected, as the real agent does past its limit.
	MaxPayload int
}

// Span is one span as the tracer encoded it in a v0.4 payload.
type Span struct {
	Name, Service, Resource, Type string
	Start, Duration               int64
	Meta                          map[string]string
	Metrics                       map[string]float64
	SpanID, TraceID, ParentID     uint64
	Error                         int32
	Links                         []Link
	Events                        []Event

	// TraceIDHigh is the upper 64 bits of the trace id, decoded from the
	// _dd.p.tid tag that the tracer writes on one span of each chunk.
	TraceIDHigh uint64
	// Chunk numbers the trace chunks in the order they arrived; spans of
	// one chunk share it.
	Chunk int
}

// Link is a span link as encoded in the span_links field.
type Link struct {
	TraceID, TraceIDHigh, SpanID uint64
	Attributes                   map[string]string
	Tracestate                   string
	Flags                        uint32
}

// Event is a span event, from the native span_events field or from the
// JSON "events" tag the tracer writes for agents without native support.
// Attribute values are string, bool, int64, float64 or []any of those.
type Event struct {
	Name         string
	TimeUnixNano uint64
	Attributes   map[string]any
}

// Agent is a running fake agent.
type Agent struct {
	srv *httptest.Server
	cfg Config

	gate tracingtest.FaultGate // of trace uploads

	mu         sync.Mutex
	spans      []Span
	rejected   int // spans in payloads answered with an error
	chunks     int
	payloads   int
	requests   map[string]int
	unexpected []string
	errs       []error
	headers    []http.Header
	changes    tracingtest.Changes // of spans
}

// Start starts an agent on a loopback port.
func Start(cfg Config) *Agent {
	a := &Agent{cfg: cfg, requests: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// StartUnix starts an agent listening on the Unix socket path.
func StartUnix(cfg Config, path string) (*Agent, error) {
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, requests: map[string]int{}}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	a.srv.Listener = l
	a.srv.Start()
	return a, nil
}

// URL returns the agent's base URL ("http://127.0.0.1:port").
func (a *Agent) URL() string { return a.srv.URL }

// Close shuts the agent down; uploads it holds are let go first.
func (a *Agent) Close() {
	a.gate.Close()
	a.srv.Close()
}

// SetFault makes the agent answer the trace uploads that arrive from now
// on as f says. A payload answered with f.Status is still decoded (its
// errors reported), but its spans are not kept: they count in Rejected.
func (a *Agent) SetFault(f tracingtest.Fault) { a.gate.SetFault(f) }

// Attempts returns how many trace uploads arrived so far, answered,
// failed or still held.
func (a *Agent) Attempts() int { return a.gate.Attempts() }

// WaitAttempts waits until at least n trace uploads have arrived
// (answered or still held), or until timeout, and reports whether they
// did.
func (a *Agent) WaitAttempts(n int, timeout time.Duration) bool {
	return a.gate.WaitAttempts(n, timeout)
}

func (a *Agent) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	a.mu.Lock()
	a.requests[r.URL.Path]++
	a.mu.Unlock()
	if err != nil {
		a.fail(fmt.Errorf("%s: reading body: %v", r.URL.Path, err))
		return
	}
	switch r.URL.Path {
	case "/info":
		a.info(w)
	case "/v0.4/traces":
		a.traces(w, r, body)
	case "/v0.6/stats":
		w.WriteHeader(http.StatusOK)
	case "/telemetry/proxy/api/v2/apmtelemetry":
		w.WriteHeader(http.StatusAccepted)
	default:
		a.mu.Lock()
		a.unexpected = append(a.unexpected, r.Method+" "+r.URL.Path)
		a.mu.Unlock()
		http.NotFound(w, r)
	}
}

func (a *Agent) info(w http.ResponseWriter) {
	endpoints := []string{"/v0.4/traces", "/telemetry/proxy/"}
	if a.cfg.Stats {
		endpoints = append(endpoints, "/v0.6/stats")
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"version":         "7.99.0-fake",
		"endpoints":       endpoints,
		"client_drop_p0s": a.cfg.ClientDropP0s,
		"span_events":     a.cfg.SpanEvents,
		"config":          map[string]any{"default_env": "none"},
	})
}

func (a *Agent) traces(w http.ResponseWriter, r *http.Request, body []byte) {
	f := a.gate.Arrive(r.Context())
	if r.Context().Err() != nil {
		return // the client gave up
	}
	if a.cfg.Discard {
		_, _ = io.WriteString(w, `{"rate_by_service":{"service:,env:":1}}`)
		return
	}
	chunks, err := DecodeTraces(body)
	a.mu.Lock()
	if err != nil {
		a.errs = append(a.errs, err)
	}
	a.payloads++
	a.headers = append(a.headers, r.Header.Clone())
	if a.cfg.MaxPayload > 0 && len(body) > a.cfg.MaxPayload {
		f = tracingtest.Fault{Status: http.StatusRequestEntityTooLarge}
	}
	for _, c := range chunks {
		if f.Status != 0 {
			a.rejected += len(c)
			continue
		}
		for i := range c {
			c[i].Chunk = a.chunks
		}
		a.chunks++
		a.spans = append(a.spans, c...)
	}
	a.mu.Unlock()
	a.changes.Notify()
	if f.WriteHTTP(w, "ddtest: fault injected") {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"rate_by_service":{"service:,env:":1}}`)
}

func (a *Agent) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, err)
}

// Spans returns every span received so far.
func (a *Agent) Spans() []Span {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Span(nil), a.spans...)
}

// WaitSpans waits until at least want spans have arrived or timeout has
// passed, and returns the spans received.
func (a *Agent) WaitSpans(want int, timeout time.Duration) []Span {
	a.changes.WaitUntil(timeout, func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.spans) >= want
	})
	return a.Spans()
}

// Rejected returns how many spans arrived in payloads the agent answered
// with an error (a Fault's Status, MaxPayload).
func (a *Agent) Rejected() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rejected
}

// Requests returns how many requests each path received.
func (a *Agent) Requests() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.requests))
	for k, v := range a.requests {
		out[k] = v
	}
	return out
}

// Unexpected lists requests to endpoints the fake agent does not know.
func (a *Agent) Unexpected() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.unexpected...)
}

// Errors lists payloads that could not be decoded.
func (a *Agent) Errors() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.errs...)
}

// TraceHeaders returns the headers of each /v0.4/traces request.
func (a *Agent) TraceHeaders() []http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]http.Header(nil), a.headers...)
}

// DecodeTraces decodes a v0.4 payload: an array of trace chunks, each an
// array of spans.
func DecodeTraces(b []byte) ([][]Span, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var chunks [][]Span
	for range n {
		var m uint32
		m, b, err = msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return chunks, fmt.Errorf("chunk: %w", err)
		}
		chunk := make([]Span, 0, m)
		var high uint64
		for range m {
			var s Span
			s, b, err = decodeSpan(b)
			if err != nil {
				return chunks, err
			}
			if tid := s.Meta["_dd.p.tid"]; tid != "" {
				if high, err = strconv.ParseUint(tid, 16, 64); err != nil {
					return chunks, fmt.Errorf("span %d: _dd.p.tid %q: %w", s.SpanID, tid, err)
				}
			}
			chunk = append(chunk, s)
		}
		for i := range chunk {
			chunk[i].TraceIDHigh = high
		}
		chunks = append(chunks, chunk)
	}
	if len(b) != 0 {
		return chunks, fmt.Errorf("payload: %d bytes left over", len(b))
	}
	return chunks, nil
}

func decodeSpan(b []byte) (s Span, _ []byte, err error) {
	var n uint32
	if n, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
		return s, b, fmt.Errorf("span: %w", err)
	}
	for range n {
		var key string
		if key, b, err = msgp.ReadStringBytes(b); err != nil {
			return s, b, fmt.Errorf("span key: %w", err)
		}
		switch key {
		case "name":
			s.Name, b, err = msgp.ReadStringBytes(b)
		case "service":
			s.Service, b, err = msgp.ReadStringBytes(b)
		case "resource":
			s.Resource, b, err = msgp.ReadStringBytes(b)
		case "type":
			s.Type, b, err = msgp.ReadStringBytes(b)
		case "start":
			s.Start, b, err = msgp.ReadInt64Bytes(b)
		case "duration":
			s.Duration, b, err = msgp.ReadInt64Bytes(b)
		case "span_id":
			s.SpanID, b, err = msgp.ReadUint64Bytes(b)
		case "trace_id":
			s.TraceID, b, err = msgp.ReadUint64Bytes(b)
		case "parent_id":
			s.ParentID, b, err = msgp.ReadUint64Bytes(b)
		case "error":
			s.Error, b, err = msgp.ReadInt32Bytes(b)
		case "meta":
			s.Meta, b, err = readStringMap(b)
		case "metrics":
			s.Metrics, b, err = readFloatMap(b)
		case "span_links":
			s.Links, b, err = readLinks(b)
		case "span_events":
			s.Events, b, err = readEvents(b)
		default: // meta_struct and anything newer
			b, err = msgp.Skip(b)
		}
		if err != nil {
			return s, b, fmt.Errorf("span field %q: %w", key, err)
		}
	}
	if raw, ok := s.Meta["events"]; ok && len(s.Events) == 0 {
		if s.Events, err = jsonEvents(raw); err != nil {
			return s, b, fmt.Errorf("span %d: events tag: %w", s.SpanID, err)
		}
	}
	return s, b, nil
}

func readStringMap(b []byte) (map[string]string, []byte, error) {
	if msgp.IsNil(b) {
		b, err := msgp.ReadNilBytes(b)
		return nil, b, err
	}
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	m := make(map[string]string, n)
	for range n {
		var k, v string
		if k, b, err = msgp.ReadStringBytes(b); err != nil {
			return m, b, err
		}
		if v, b, err = msgp.ReadStringBytes(b); err != nil {
			return m, b, err
		}
		m[k] = v
	}
	return m, b, nil
}

func readFloatMap(b []byte) (map[string]float64, []byte, error) {
	if msgp.IsNil(b) {
		b, err := msgp.ReadNilBytes(b)
		return nil, b, err
	}
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	m := make(map[string]float64, n)
	for range n {
		var k string
		var v float64
		if k, b, err = msgp.ReadStringBytes(b); err != nil {
			return m, b, err
		}
		if v, b, err = msgp.ReadFloat64Bytes(b); err != nil {
			return m, b, err
		}
		m[k] = v
	}
	return m, b, nil
}

func readLinks(b []byte) ([]Link, []byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	links := make([]Link, 0, n)
	for range n {
		var l Link
		var fields uint32
		if fields, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
			return links, b, err
		}
		for range fields {
			var key string
			if key, b, err = msgp.ReadStringBytes(b); err != nil {
				return links, b, err
			}
			switch key {
			case "trace_id":
				l.TraceID, b, err = msgp.ReadUint64Bytes(b)
			case "trace_id_high":
				l.TraceIDHigh, b, err = msgp.ReadUint64Bytes(b)
			case "span_id":
				l.SpanID, b, err = msgp.ReadUint64Bytes(b)
			case "attributes":
				l.Attributes, b, err = readStringMap(b)
			case "tracestate":
				l.Tracestate, b, err = msgp.ReadStringBytes(b)
			case "flags":
				l.Flags, b, err = msgp.ReadUint32Bytes(b)
			default:
				b, err = msgp.Skip(b)
			}
			if err != nil {
				return links, b, fmt.Errorf("link field %q: %w", key, err)
			}
		}
		links = append(links, l)
	}
	return links, b, nil
}

func readEvents(b []byte) ([]Event, []byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	events := make([]Event, 0, n)
	for range n {
		var e Event
		var fields uint32
		if fields, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
			return events, b, err
		}
		for range fields {
			var key string
			if key, b, err = msgp.ReadStringBytes(b); err != nil {
				return events, b, err
			}
			switch key {
			case "name":
				e.Name, b, err = msgp.ReadStringBytes(b)
			case "time_unix_nano":
				e.TimeUnixNano, b, err = msgp.ReadUint64Bytes(b)
			case "attributes":
				e.Attributes, b, err = readEventAttrs(b)
			default:
				b, err = msgp.Skip(b)
			}
			if err != nil {
				return events, b, fmt.Errorf("event field %q: %w", key, err)
			}
		}
		events = append(events, e)
	}
	return events, b, nil
}

// Event attribute types, as dd-trace-go numbers them.
const (
	attrString = 0
	attrBool   = 1
	attrInt    = 2
	attrDouble = 3
	attrArray  = 4
)

func readEventAttrs(b []byte) (map[string]any, []byte, error) {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	m := make(map[string]any, n)
	for range n {
		var k string
		if k, b, err = msgp.ReadStringBytes(b); err != nil {
			return m, b, err
		}
		if msgp.IsNil(b) {
			b, err = msgp.ReadNilBytes(b)
			if err != nil {
				return m, b, err
			}
			continue
		}
		var v any
		if v, b, err = readTypedValue(b, true); err != nil {
			return m, b, fmt.Errorf("event attribute %q: %w", k, err)
		}
		m[k] = v
	}
	return m, b, nil
}

// readTypedValue reads {type, string_value, bool_value, int_value,
// double_value[, array_value]}.
func readTypedValue(b []byte, arrays bool) (any, []byte, error) {
	fields, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	var (
		typ  int32
		str  string
		bl   bool
		in   int64
		dbl  float64
		arr  []any
		ikey string
	)
	for range fields {
		if ikey, b, err = msgp.ReadStringBytes(b); err != nil {
			return nil, b, err
		}
		switch ikey {
		case "type":
			typ, b, err = msgp.ReadInt32Bytes(b)
		case "string_value":
			str, b, err = msgp.ReadStringBytes(b)
		case "bool_value":
			bl, b, err = msgp.ReadBoolBytes(b)
		case "int_value":
			in, b, err = msgp.ReadInt64Bytes(b)
		case "double_value":
			dbl, b, err = msgp.ReadFloat64Bytes(b)
		case "array_value":
			if !arrays {
				return nil, b, fmt.Errorf("nested array")
			}
			arr, b, err = readArrayValue(b)
		default:
			b, err = msgp.Skip(b)
		}
		if err != nil {
			return nil, b, err
		}
	}
	switch typ {
	case attrString:
		return str, b, nil
	case attrBool:
		return bl, b, nil
	case attrInt:
		return in, b, nil
	case attrDouble:
		return dbl, b, nil
	case attrArray:
		if arr == nil {
			arr = []any{}
		}
		return arr, b, nil
	}
	return nil, b, fmt.Errorf("unknown attribute type %d", typ)
}

func readArrayValue(b []byte) ([]any, []byte, error) {
	fields, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return nil, b, err
	}
	var out []any
	for range fields {
		var key string
		if key, b, err = msgp.ReadStringBytes(b); err != nil {
			return nil, b, err
		}
		if key != "values" {
			if b, err = msgp.Skip(b); err != nil {
				return nil, b, err
			}
			continue
		}
		var n uint32
		if n, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
			return nil, b, err
		}
		out = make([]any, 0, n)
		for range n {
			var v any
			if v, b, err = readTypedValue(b, false); err != nil {
				return nil, b, err
			}
			out = append(out, v)
		}
	}
	return out, b, nil
}

// jsonEvents decodes the "events" tag: a JSON array of
// {"name", "time_unix_nano", "attributes"}. JSON numbers become float64.
func jsonEvents(raw string) ([]Event, error) {
	var in []struct {
		Name         string         `json:"name"`
		TimeUnixNano uint64         `json:"time_unix_nano"`
		Attributes   map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(in))
	for _, e := range in {
		out = append(out, Event{Name: e.Name, TimeUnixNano: e.TimeUnixNano, Attributes: e.Attributes})
	}
	return out, nil
}
