//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// jaegerQuery reads Jaeger's query HTTP API (the one its UI uses).
type jaegerQuery struct {
	base   string
	client *http.Client
}

func newJaegerQuery() *jaegerQuery {
	return &jaegerQuery{base: jaegerQueryURL, client: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// apiResponse is the envelope of every answer.
type apiResponse[T any] struct {
	Data   T
	Errors []struct {
		Code int
		Msg  string
	}
}

func getJSON[T any](ctx context.Context, q *jaegerQuery, path string, params url.Values) (T, error) {
	var zero T
	u := q.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return zero, err
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return zero, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return zero, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return zero, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	var r apiResponse[T]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return zero, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(r.Errors) > 0 {
		return zero, fmt.Errorf("GET %s: errors %+v", u, r.Errors)
	}
	return r.Data, nil
}

// services returns the service names Jaeger knows, sorted.
func (q *jaegerQuery) services(ctx context.Context) ([]string, error) {
	s, err := getJSON[[]string](ctx, q, "/api/services", nil)
	sort.Strings(s)
	return s, err
}

// traces returns the traces (whole, every service's spans) that have a span
// of service that started in [since, now+1m].
func (q *jaegerQuery) traces(ctx context.Context, service string, since time.Time) ([]*trace, error) {
	params := url.Values{
		"service": {service},
		"limit":   {"1000"},
		"start":   {strconv.FormatInt(since.UnixMicro(), 10)},
		"end":     {strconv.FormatInt(time.Now().Add(time.Minute).UnixMicro(), 10)},
	}
	ts, err := getJSON[[]*trace](ctx, q, "/api/traces", params)
	for _, t := range ts {
		t.index()
	}
	return ts, err
}

// trace is a trace as the query API returns it.
type trace struct {
	TraceID   string
	Spans     []*span
	Processes map[string]struct {
		ServiceName string
		Tags        []tag
	}
	Warnings []string

	byID map[string]*span
}

type span struct {
	TraceID       string
	SpanID        string
	OperationName string
	References    []struct {
		RefType string
		TraceID string
		SpanID  string
	}
	StartTime int64 // µs
	Duration  int64 // µs
	Tags      []tag
	Logs      []struct {
		Timestamp int64
		Fields    []tag
	}
	ProcessID string
	Warnings  []string

	service string // the process's service name
}

// tag is a key-value as Jaeger stores it: Type is string, bool, int64,
// float64 or binary; Value is a string, bool or json.Number.
type tag struct {
	Key   string
	Type  string
	Value any
}

// String renders the value as Jaeger shows it.
func (t tag) String() string { return fmt.Sprint(t.Value) }

func (t *trace) index() {
	t.byID = make(map[string]*span, len(t.Spans))
	for _, s := range t.Spans {
		t.byID[s.SpanID] = s
		s.service = t.Processes[s.ProcessID].ServiceName
	}
	// Oldest first, so that messages list spans in a stable order.
	sort.SliceStable(t.Spans, func(i, j int) bool { return t.Spans[i].StartTime < t.Spans[j].StartTime })
}

// parentID returns the span id of the span's CHILD_OF reference ("" for
// none).
func (s *span) parentID() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// roots returns the spans without a parent.
func (t *trace) roots() []*span {
	var r []*span
	for _, s := range t.Spans {
		if len(s.References) == 0 {
			r = append(r, s)
		}
	}
	return r
}

// children returns the spans whose parent is s.
func (t *trace) children(s *span) []*span {
	var c []*span
	for _, x := range t.Spans {
		if x.parentID() == s.SpanID {
			c = append(c, x)
		}
	}
	return c
}

// tag returns the span's tag key (the last one if it was set twice).
func (s *span) tag(key string) (tag, bool) {
	for i := len(s.Tags) - 1; i >= 0; i-- {
		if s.Tags[i].Key == key {
			return s.Tags[i], true
		}
	}
	return tag{}, false
}

// tagString returns the tag's value as text, "" when absent.
func (s *span) tagString(key string) string {
	if t, ok := s.tag(key); ok {
		return t.String()
	}
	return ""
}

// failed reports whether Jaeger shows the span as an error (error=true).
func (s *span) failed() bool {
	t, ok := s.tag("error")
	return ok && t.Type == "bool" && t.Value == true
}

// String describes the span for messages: service, operation, id and tags.
func (s *span) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %q span %s parent %s {", s.service, s.OperationName, s.SpanID, s.parentID())
	for i, t := range s.Tags {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%v(%s)", t.Key, t.Value, t.Type)
	}
	b.WriteString("}")
	return b.String()
}

// dump renders the trace as an indented tree, for messages.
func (t *trace) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s (%d spans)\n", t.TraceID, len(t.Spans))
	var walk func(s *span, depth int)
	walk = func(s *span, depth int) {
		if depth > 32 { // a reference cycle
			return
		}
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth+1), s)
		for _, c := range t.children(s) {
			walk(c, depth+1)
		}
	}
	for _, r := range t.roots() {
		walk(r, 0)
	}
	// Spans whose parent is missing would not be reached from a root.
	for _, s := range t.Spans {
		if p := s.parentID(); len(s.References) > 0 && t.byID[p] == nil {
			fmt.Fprintf(&b, "  (parent %s missing) %s\n", p, s)
		}
	}
	return b.String()
}
