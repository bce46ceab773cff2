// Package mwtest is the test support of polytrace's HTTP adapters: the
// table of backends every adapter test runs against, and a server suite
// that each adapter passes (RunServerSuite). Only tests import it.
package mwtest

import (
	"context"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Backend is a backend the adapter tests run against: New returns a fresh
// instance and a Spans hook that decodes what the backend really sent (see
// tracingtest.Harness).
type Backend struct {
	Name string
	New  func(t *testing.T) tracingtest.Harness
}

// Backends is the table every adapter test runs against. A backend whose
// package exposes a harness constructor is added with one line; the
// vendor backends (tracing/otelbackend, tracing/ddbackend,
// tracing/jaegerbackend) are being written and land later:
//
//	{"otel", otelbackendtest.NewHarness},
//	{"datadog", ddbackendtest.NewHarness},
//	{"jaeger", jaegerbackendtest.NewHarness},
var Backends = []Backend{
	{"recorder", RecorderHarness},
	{"console", ConsoleJSONHarness},
}

// RecorderHarness is the tracingtest recorder.
func RecorderHarness(*testing.T) tracingtest.Harness {
	r := tracingtest.NewRecorder()
	return tracingtest.Harness{
		Backend: r,
		Spans:   func(testing.TB, int) []tracingtest.SpanData { return r.Spans() },
	}
}

// ConsoleJSONHarness is the console backend writing JSON lines, read back
// from what it wrote.
func ConsoleJSONHarness(*testing.T) tracingtest.Harness {
	out := &syncBuffer{}
	b := console.New(console.WithWriter(out), console.WithFormat(console.FormatJSON))
	return tracingtest.Harness{
		Backend: b,
		Spans: func(t testing.TB, _ int) []tracingtest.SpanData {
			return DecodeConsoleJSON(t, out.String())
		},
	}
}

// Env is one backend set up for one test.
type Env struct {
	Name   string
	H      tracingtest.Harness
	Tracer *tracing.Tracer
}

// Each runs f once per backend in Backends, each in a subtest with a fresh
// backend that is shut down when the subtest ends.
func Each(t *testing.T, f func(t *testing.T, e *Env)) {
	t.Helper()
	test := path.Base(t.Name())
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) {
			h := b.New(t)
			if reason, ok := h.Skip[test]; ok {
				t.Skipf("not applicable to %s: %s", b.Name, reason)
			}
			e := &Env{Name: b.Name, H: h, Tracer: tracing.New(h.Backend)}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = e.Tracer.Shutdown(ctx)
			})
			f(t, e)
		})
	}
}

// Spans flushes the backend and returns what it exported, waiting up to
// five seconds for at least want spans: servers end their spans after the
// client has its response.
func (e *Env) Spans(t testing.TB, want int) []tracingtest.SpanData {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := e.Tracer.ForceFlush(ctx); err != nil {
			t.Errorf("ForceFlush: %v", err)
		}
		cancel()
		got := e.H.Spans(t, want)
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SpansExactly waits for want spans, then a little longer to catch extra
// ones, and fails the test unless there are exactly want.
func (e *Env) SpansExactly(t testing.TB, want int) []tracingtest.SpanData {
	t.Helper()
	got := e.Spans(t, want)
	time.Sleep(20 * time.Millisecond)
	got = e.Spans(t, want)
	if len(got) != want {
		t.Fatalf("%s exported %d spans, want %d: %v", e.Name, len(got), want, Names(got))
	}
	return got
}

// Equal compares an attribute value as set (want) with the value the
// backend exported (got), allowing the backend's documented mapping.
func (e *Env) Equal(want, got tracing.Value) bool {
	if e.H.ValueEqual != nil {
		return e.H.ValueEqual(want, got)
	}
	return want.Equal(got)
}

// WantAttr fails the test unless s has attribute key equal to want.
func (e *Env) WantAttr(t testing.TB, s tracingtest.SpanData, key string, want tracing.Value) {
	t.Helper()
	got, ok := s.Attr(key)
	if !ok {
		t.Errorf("span %q has no attribute %s (want %v); attributes: %v", s.Name, key, want, s.Attrs)
		return
	}
	if !e.Equal(want, got) {
		t.Errorf("span %q attribute %s = %v (%v), want %v (%v)", s.Name, key, got, got.Kind(), want, want.Kind())
	}
}

// NoAttr fails the test if s has attribute key.
func NoAttr(t testing.TB, s tracingtest.SpanData, key string) {
	t.Helper()
	if v, ok := s.Attr(key); ok {
		t.Errorf("span %q has attribute %s = %v, want none", s.Name, key, v)
	}
}

// Names returns the spans' names.
func Names(spans []tracingtest.SpanData) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// One returns the only span with kind k, failing the test otherwise.
func One(t testing.TB, spans []tracingtest.SpanData, k tracing.SpanKind) tracingtest.SpanData {
	t.Helper()
	var found []tracingtest.SpanData
	for _, s := range spans {
		if s.Kind == k {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %v span, got %d: %v", k, len(found), Names(spans))
	}
	return found[0]
}

// ContainsValue reports whether any attribute, event attribute or status
// message of the spans contains s (to prove secrets are not recorded).
func ContainsValue(spans []tracingtest.SpanData, s string) bool {
	in := func(attrs []tracing.Attr) bool {
		return slices.ContainsFunc(attrs, func(a tracing.Attr) bool { return containsStr(a.Value.String(), s) || containsStr(a.Key, s) })
	}
	for _, sp := range spans {
		if in(sp.Attrs) || containsStr(sp.StatusMsg, s) || containsStr(sp.Name, s) || containsStr(sp.Resource, s) {
			return true
		}
		for _, ev := range sp.Events {
			if in(ev.Attrs) {
				return true
			}
		}
	}
	return false
}
