package tracing

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// captureBackend records configs and answers with spans that count calls.
type captureBackend struct {
	cfgs  []SpanConfig
	names []string
}

type countSpan struct {
	sc    SpanContext
	calls map[string]int
	attrs []Attr
}

func (b *captureBackend) Start(ctx context.Context, name string, cfg SpanConfig) (context.Context, Span) {
	b.cfgs = append(b.cfgs, cfg)
	b.names = append(b.names, name)
	s := &countSpan{calls: map[string]int{}, sc: NewSpanContext(SpanContextConfig{TraceID: TraceIDFromUint64s(1, 1), SpanID: SpanIDFromUint64(uint64(len(b.cfgs))), TraceFlags: FlagsSampled})}
	sp := NewSpan(s)
	return ContextWithSpan(ctx, sp), sp
}
func (b *captureBackend) Shutdown(context.Context) error { return nil }

func (s *countSpan) SpanContext() SpanContext { return s.sc }
func (s *countSpan) IsRecording() bool        { return true }
func (s *countSpan) SetName(string)           { s.calls["SetName"]++ }
func (s *countSpan) SetAttrs(a Attrs) {
	s.calls["SetAttrs"]++
	s.attrs = a.AppendTo(s.attrs)
}
func (s *countSpan) AddEvent(string, time.Time, Attrs) { s.calls["AddEvent"]++ }
func (s *countSpan) RecordError(ErrorInfo)             { s.calls["RecordError"]++ }
func (s *countSpan) SetStatus(StatusCode, string)      { s.calls["SetStatus"]++ }
func (s *countSpan) End(time.Time)                     { s.calls["End"]++ }

func TestStartOptions(t *testing.T) {
	b := &captureBackend{}
	tr := New(b)
	start := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	link := Link{SpanContext: NewSpanContext(SpanContextConfig{TraceID: TraceIDFromUint64s(9, 9), SpanID: SpanIDFromUint64(9)})}
	_, _ = tr.Start(context.Background(), "", WithKind(SpanKindClient), WithAttrs(String("a", "1"), String("", "dropped")),
		WithAttrs(Int("b", 2)), WithStartTime(start), WithLinks(link, Link{}), WithResource("GET /x"), WithService("db"),
		WithSpanType(TypeSQL), WithNewRoot(), WithStartTime(time.Time{}))
	cfg := b.cfgs[0]
	if b.names[0] != "unnamed" {
		t.Errorf("empty name became %q", b.names[0])
	}
	if cfg.Kind != SpanKindClient || !cfg.NewRoot || !cfg.StartTime.Equal(start) || cfg.Resource != "GET /x" || cfg.Service != "db" || cfg.Type != "sql" {
		t.Errorf("config %+v", cfg)
	}
	if cfg.Attrs.Len() != 2 || cfg.Attrs.At(1).Key != "b" {
		t.Errorf("attrs %v", cfg.Attrs.AppendTo(nil))
	}
	if len(cfg.Links) != 1 {
		t.Errorf("links %v: the invalid one must be dropped", cfg.Links)
	}
}

func TestSpanMethodsFilterBadInput(t *testing.T) {
	b := &captureBackend{}
	_, sp := New(b).Start(context.Background(), "x")
	s := sp.Backend().(*countSpan)
	sp.SetName("")
	sp.SetAttrs()
	sp.RecordError(nil)
	if len(s.calls) != 0 {
		t.Errorf("no-op inputs reached the backend: %v", s.calls)
	}
	sp.RecordError(errors.New("boom"))
	if s.calls["RecordError"] != 1 || s.calls["SetStatus"] != 1 {
		t.Errorf("RecordError must record and set the status: %v", s.calls)
	}
	long := strings.Repeat("x", 1<<20)
	sp.SetAttrs(String("long", long))
	if got := s.attrs[0].Value.AsString(); len(got) != len(long) {
		t.Error("the facade cut a long value; limits belong to backends")
	}
}

func TestFacadeAllocatesNothing(t *testing.T) {
	b := &captureBackend{}
	tr := New(b)
	_, sp := tr.Start(context.Background(), "x")
	s := "dynamic"
	cases := map[string]func(){
		"Start with options": func() {
			// The backend's own work (the config copy it keeps) is
			// measured separately; here Start is called on a backend
			// that keeps nothing.
			_, _ = New(NoopBackend()).Start(context.Background(), "x", WithKind(SpanKindServer), WithAttrs(String("a", s), Int("b", 1), Bool("c", true)), WithResource(s))
		},
		"SetAttrs": func() { sp.SetAttrs(String("a", s), Int("b", 1), Bool("c", true)) },
		"AddEvent": func() { sp.AddEvent("e", String("a", s)) },
		"SpanFromContext": func() {
			_ = SpanFromContext(context.Background())
		},
	}
	b.cfgs = nil
	for name, f := range cases {
		s := sp.Backend().(*countSpan)
		s.attrs = make([]Attr, 0, 1024)
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations on the facade's side", name, n)
		}
	}
}

func TestNoneAllocatesNothing(t *testing.T) {
	tr := New(NoopBackend())
	ctx := context.Background()
	s := "v"
	n := testing.AllocsPerRun(1000, func() {
		ctx, sp := tr.Start(ctx, "op", WithKind(SpanKindServer), WithAttrs(String("a", s), Int("b", 2), Bool("c", true)))
		sp.SetAttrs(String("d", s))
		sp.AddEvent("e")
		_ = SpanFromContext(ctx)
		sp.End()
	})
	if n != 0 {
		t.Errorf("none backend: %v allocations per span", n)
	}
}

func TestNonePassesTraceContextThrough(t *testing.T) {
	tr := New(NoopBackend())
	in := http.Header{}
	in.Set("traceparent", "00-"+validTID+"-"+validSID+"-01")
	ctx := tr.Extract(context.Background(), HeaderCarrier(in))
	ctx, sp := tr.Start(ctx, "handler")
	sp.End()
	out := http.Header{}
	tr.Inject(ctx, HeaderCarrier(out))
	if out.Get("traceparent") != in.Get("traceparent") {
		t.Errorf("none forwarded %q, want %q", out.Get("traceparent"), in.Get("traceparent"))
	}
}

func TestDefaultTracer(t *testing.T) {
	if Default() == nil || Default().Backend() == nil {
		t.Fatal("Default is nil before SetDefault")
	}
	_, sp := Start(context.Background(), "x")
	if sp.IsRecording() {
		t.Error("default tracer records before SetDefault")
	}
	b := &captureBackend{}
	SetDefault(New(b))
	defer SetDefault(nil)
	_, sp = Start(context.Background(), "y")
	if len(b.names) != 1 || !sp.IsRecording() {
		t.Error("package-level Start does not use the default tracer")
	}
	SetDefault(nil)
	if _, ok := Default().Backend().(noopBackend); !ok {
		t.Error("SetDefault(nil) does not restore the no-op tracer")
	}
	var nilTracer *Tracer
	//lint:ignore SA1012 a nil context is what is tested: Start must treat it as context.Background()
	ctx, sp := nilTracer.Start(nil, "x")
	if ctx == nil || sp.IsRecording() || nilTracer.Shutdown(context.Background()) != nil || nilTracer.ForceFlush(context.Background()) != nil {
		t.Error("nil *Tracer is not a no-op")
	}
}

type hangingBackend struct {
	captureBackend
	release chan struct{}
}

func (h *hangingBackend) Shutdown(ctx context.Context) error { <-h.release; return nil }
func (h *hangingBackend) ForceFlush(ctx context.Context) error {
	<-h.release
	return nil
}

func TestShutdownIsBoundedByContext(t *testing.T) {
	h := &hangingBackend{release: make(chan struct{})}
	defer close(h.release)
	tr := New(h)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := tr.ForceFlush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ForceFlush on a hanging backend: %v", err)
	}
	if err := tr.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown on a hanging backend: %v", err)
	}
	_, sp := tr.Start(context.Background(), "after")
	if sp.IsRecording() || len(h.names) != 0 || tr.DroppedAfterShutdown() != 1 {
		t.Errorf("Start after Shutdown reached the backend (dropped %d)", tr.DroppedAfterShutdown())
	}
}

// testBackendName returns a name not yet registered, so that tests that
// register backends also pass with -count=2.
func testBackendName(base string) string {
	return base + "-" + strconv.Itoa(int(testBackendNames.Add(1)))
}

var testBackendNames atomic.Int32

func TestRegistry(t *testing.T) {
	f := func(context.Context, Settings) (Backend, error) { return &captureBackend{}, nil }
	capture := testBackendName("test-capture")
	Register(strings.ToUpper(capture[:1])+capture[1:], f)
	mustPanic(t, "duplicate", func() { Register(capture, f) })
	mustPanic(t, "nil factory", func() { Register("x-nil", nil) })
	mustPanic(t, "empty name", func() { Register(" ", f) })
	names := Backends()
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("Backends not sorted: %v", names)
		}
	}
	tr, err := Open(context.Background(), " "+strings.ToUpper(capture)+" ")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Backend().(*captureBackend); !ok {
		t.Errorf("Open returned %T", tr.Backend())
	}
	_, err = Open(context.Background(), "nope")
	if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), capture) || !strings.Contains(err.Error(), "tracing/all") {
		t.Errorf("unknown backend error: %v", err)
	}
	failing := testBackendName("test-failing")
	Register(failing, func(context.Context, Settings) (Backend, error) { return nil, errors.New("bad sample rate") })
	if _, err := Open(context.Background(), failing); err == nil || !strings.Contains(err.Error(), "bad sample rate") {
		t.Errorf("factory error not returned: %v", err)
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", what)
		}
	}()
	f()
}

func TestFromEnv(t *testing.T) {
	summaryName := testBackendName("test-summary")
	Register(summaryName, func(_ context.Context, s Settings) (Backend, error) {
		return summaryBackend{Summary{Backend: "test-summary", Service: s.Service, Propagators: []string{"tracecontext"}}}, nil
	})
	var buf bytes.Buffer

	t.Setenv(EnvBackend, "")
	tr, err := FromEnv(context.Background(), WithSummary(&buf))
	if err != nil || tr == nil {
		t.Fatal(err)
	}
	if _, ok := tr.Backend().(noopBackend); !ok {
		t.Errorf("unset %s gave %T", EnvBackend, tr.Backend())
	}
	if got := buf.String(); !strings.Contains(got, "tracing is off") || !strings.Contains(got, "none") || strings.Count(got, "\n") != 1 {
		t.Errorf("unset message %q", got)
	}

	buf.Reset()
	t.Setenv(EnvBackend, summaryName)
	_, err = FromEnv(context.Background(), WithSummary(&buf), WithServiceName("notes"))
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "polytrace: backend=test-summary service=notes env=- version=- destination=- sampler=- propagators=tracecontext\n" {
		t.Errorf("summary %q", got)
	}

	buf.Reset()
	_, _ = FromEnv(context.Background(), WithSummary(&buf), WithoutSummary())
	if buf.Len() != 0 {
		t.Errorf("WithoutSummary printed %q", buf.String())
	}

	t.Setenv(EnvBackend, "jeager")
	tr, err = FromEnv(context.Background(), WithSummary(&buf))
	if err == nil || !strings.Contains(err.Error(), `"jeager"`) || !strings.Contains(err.Error(), "registered:") {
		t.Errorf("misspelt backend: %v", err)
	}
	if tr == nil {
		t.Error("FromEnv returned a nil tracer with its error")
	}
}

type summaryBackend struct{ s Summary }

func (summaryBackend) Start(ctx context.Context, _ string, _ SpanConfig) (context.Context, Span) {
	return ctx, Span{}
}
func (summaryBackend) Shutdown(context.Context) error { return nil }
func (b summaryBackend) Summary() Summary             { return b.s }

func TestSummaryQuotes(t *testing.T) {
	s := Summary{Backend: "otel", Service: "my svc", Propagators: []string{"a", "b"}}
	if got := s.String(); got != `polytrace: backend=otel service="my svc" env=- version=- destination=- sampler=- propagators=a,b` {
		t.Errorf("%s", got)
	}
}

type vendorKey struct{}

type valuerSpan struct{ countSpan }

func (v *valuerSpan) ContextValue(key any) (any, bool) {
	if key == (vendorKey{}) {
		return "vendor-span", true
	}
	return nil, false
}

func TestContextWithSpan(t *testing.T) {
	vs := &valuerSpan{}
	//lint:ignore SA1012 a nil context is what is tested
	ctx := ContextWithSpan(nil, NewSpan(vs))
	if SpanFromContext(ctx).Backend() != BackendSpan(vs) {
		t.Error("SpanFromContext does not return the span put in")
	}
	if ctx.Value(vendorKey{}) != "vendor-span" {
		t.Error("ContextValuer not consulted")
	}
	hidden := ContextWithSpan(ctx, Span{})
	if SpanFromContext(hidden).Backend() != nil {
		t.Error("the zero Span does not hide the parent")
	}
	rctx := ContextWithRemoteSpanContext(context.Background(), NewSpanContext(SpanContextConfig{TraceID: TraceIDFromUint64s(1, 2), SpanID: SpanIDFromUint64(3)}))
	if sc := SpanFromContext(rctx).SpanContext(); !sc.IsRemote() || !sc.IsValid() || SpanFromContext(rctx).IsRecording() {
		t.Errorf("remote span context %v", sc)
	}
	if ContextWithRemoteSpanContext(context.Background(), SpanContext{}) != context.Background() {
		t.Error("an invalid remote context changed ctx")
	}
}

func TestCarriers(t *testing.T) {
	m := MapCarrier{"X-Mixed": "1"}
	if m.Get("x-mixed") != "1" {
		t.Error("MapCarrier.Get is case-sensitive")
	}
	m.Set("x-MIXED", "2")
	if len(m) != 1 || m["x-mixed"] != "2" {
		t.Errorf("MapCarrier.Set left %v", m)
	}
	h := HeaderCarrier(http.Header{})
	h.Set("traceparent", "a")
	if h.Get("Traceparent") != "a" || len(h.Keys()) != 1 || len(h.Values("TRACEPARENT")) != 1 {
		t.Error("HeaderCarrier")
	}
	if CarrierValues(m, "missing") != nil || len(CarrierValues(m, "X-Mixed")) != 1 {
		t.Error("CarrierValues on a map")
	}
}

func TestRecordErrorInfo(t *testing.T) {
	b := &captureBackend{}
	_, sp := New(b).Start(context.Background(), "x")
	s := sp.Backend().(*countSpan)
	sp.RecordErrorInfo(ErrorInfo{})
	if len(s.calls) != 0 {
		t.Errorf("an empty ErrorInfo reached the backend: %v", s.calls)
	}
	sp.RecordErrorInfo(ErrorInfo{Message: "panic: boom", Type: "string", Stack: "main.f\n"})
	if s.calls["RecordError"] != 1 || s.calls["SetStatus"] != 1 {
		t.Errorf("calls %v", s.calls)
	}
}

func TestHeaderCarrierDoesNotAllocate(t *testing.T) {
	h := http.Header{}
	h.Set("Traceparent", "x")
	c := HeaderCarrier(h)
	_ = c.Get("traceparent") // warm the key cache
	n := testing.AllocsPerRun(100, func() {
		_ = c.Get("traceparent")
		_ = c.Values("tracestate")
		_ = c.Get("X-Already-Canonical")
	})
	if n != 0 {
		t.Errorf("lookups allocated %v times", n)
	}
	c.Set("x-datadog-trace-id", "1")
	if h.Get("X-Datadog-Trace-Id") != "1" {
		t.Errorf("Set did not canonicalise: %v", h)
	}
}

func TestHeaderCarrierMatchesHTTPHeader(t *testing.T) {
	h := http.Header{}
	c := HeaderCarrier(h)
	c.Set("traceparent", "tp")
	c.Set("X-B3-TraceId", "b3")
	c.Set("uber-trace-id", "u")
	if h.Get("Traceparent") != "tp" || h.Get("X-B3-Traceid") != "b3" || h.Get("Uber-Trace-Id") != "u" {
		t.Errorf("Set did not canonicalise: %v", h)
	}
	h.Add("Tracestate", "a=1")
	h.Add("Tracestate", "b=2")
	for _, k := range []string{"traceparent", "TRACEPARENT", "Traceparent", "x-b3-traceid", "bad key", "tracestate"} {
		if got, want := c.Get(k), h.Get(k); got != want {
			t.Errorf("Get(%q) = %q, http.Header says %q", k, got, want)
		}
		if got, want := strings.Join(c.Values(k), ","), strings.Join(h.Values(k), ","); got != want {
			t.Errorf("Values(%q) = %q, http.Header says %q", k, got, want)
		}
	}
	if len(c.Keys()) != 4 {
		t.Errorf("Keys %v", c.Keys())
	}
}

func TestEnabled(t *testing.T) {
	var nilTracer *Tracer
	if nilTracer.Enabled() || New(NoopBackend()).Enabled() || New(nil).Enabled() {
		t.Error("a nil or none tracer is enabled")
	}
	tr := New(&captureBackend{})
	if !tr.Enabled() {
		t.Error("a recording tracer is not enabled")
	}
	_ = tr.Shutdown(context.Background())
	if tr.Enabled() {
		t.Error("enabled after Shutdown")
	}
}

func TestRangeKeys(t *testing.T) {
	h := HeaderCarrier(http.Header{"A": {"1"}, "B": {"2"}, "C": {"3"}})
	m := MapCarrier{"a": "1", "b": "2"}
	other := struct{ Carrier }{m} // neither of the two: read through Keys
	for _, c := range []Carrier{h, m, other} {
		var seen []string
		RangeKeys(c, func(k string) bool { seen = append(seen, k); return true })
		if len(seen) != len(c.Keys()) {
			t.Errorf("%T: saw %v, keys %v", c, seen, c.Keys())
		}
		n := 0
		RangeKeys(c, func(string) bool { n++; return false })
		if n != 1 {
			t.Errorf("%T: RangeKeys went on after false (%d calls)", c, n)
		}
	}
	if a := testing.AllocsPerRun(100, func() { RangeKeys(h, func(string) bool { return true }) }); a != 0 {
		t.Errorf("RangeKeys over a HeaderCarrier allocated %v times", a)
	}
}

func TestUnknownBackendSuggestsTheClosest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"otle", `did you mean "otel"?`},
		{"Jaegr", `did you mean "jaeger"?`},
		{"datdog", `did you mean "datadog"?`},
		{"data", `did you mean "datadog"?`},
		{"consle", `did you mean "console"?`},
		{"zipkin", ""},
		{"x", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Setenv(EnvBackend, tc.in)
			var buf bytes.Buffer
			tr, err := FromEnv(context.Background(), WithSummary(&buf))
			if err == nil || !errors.Is(err, ErrUnknownBackend) || tr == nil {
				t.Fatalf("FromEnv(%q) = %v, want an unknown-backend error and a no-op tracer", tc.in, err)
			}
			msg := err.Error()
			if tc.want != "" && !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not suggest: %s", msg, tc.want)
			}
			if tc.want == "" && strings.Contains(msg, "did you mean") {
				t.Errorf("error %q suggests a name for %q, which is near none", msg, tc.in)
			}
			if strings.Count(msg, "tracing:") != 1 || !strings.HasPrefix(msg, "tracing: TRACING_BACKEND: unknown tracing backend") {
				t.Errorf("error %q: want it to start once with %q", msg, "tracing: TRACING_BACKEND: unknown tracing backend")
			}
		})
	}
}

func TestFactoryErrorsDoNotStutter(t *testing.T) {
	name := testBackendName("test-failing")
	Register(name, func(context.Context, Settings) (Backend, error) {
		return nil, errors.New(`FAKE_RATE="2": want a number between 0 and 1`)
	})
	t.Setenv(EnvBackend, name)
	_, err := FromEnv(context.Background(), WithoutSummary())
	want := "tracing: TRACING_BACKEND=" + name + `: FAKE_RATE="2": want a number between 0 and 1`
	if err == nil || err.Error() != want {
		t.Errorf("FromEnv error %q, want %q", err, want)
	}
	_, err = Open(context.Background(), name)
	want = "tracing: backend " + name + `: FAKE_RATE="2": want a number between 0 and 1`
	if err == nil || err.Error() != want {
		t.Errorf("Open error %q, want %q", err, want)
	}
}

func TestFromEnvDefaultBackend(t *testing.T) {
	name := testBackendName("test-default")
	Register(name, func(context.Context, Settings) (Backend, error) { return &captureBackend{}, nil })
	t.Setenv(EnvBackend, "")
	tr, err := FromEnv(context.Background(), WithoutSummary(), WithDefaultBackend(name))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Backend().(*captureBackend); !ok {
		t.Errorf("TRACING_BACKEND unset with a default backend: opened %T", tr.Backend())
	}
	// TRACING_BACKEND still wins.
	t.Setenv(EnvBackend, "none")
	tr, err = FromEnv(context.Background(), WithoutSummary(), WithDefaultBackend(name))
	if err != nil || tr.Enabled() {
		t.Errorf("TRACING_BACKEND=none with a default backend: %v, enabled %v", err, tr.Enabled())
	}
}
