package tracelogrus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracelogrus"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// newLogger returns a logger writing JSON lines to a buffer, with hook.
func newLogger(hook logrus.Hook) (*logrus.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetFormatter(&logrus.JSONFormatter{DisableTimestamp: true})
	l.SetLevel(logrus.TraceLevel)
	if hook != nil {
		l.AddHook(hook)
	}
	return l, &buf
}

func decode(t *testing.T, b *bytes.Buffer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatalf("%v: %q", err, b.String())
	}
	b.Reset()
	return m
}

func TestHookAddsIDs(t *testing.T) {
	rec := tracingtest.NewRecorder()
	l, buf := newLogger(tracelogrus.NewHook())
	ctx, sp := rec.Tracer().Start(context.Background(), "op")
	defer sp.End()
	sc := sp.SpanContext()

	l.WithContext(ctx).WithField("k", 1).Info("hello")
	m := decode(t, buf)
	if m["trace_id"] != sc.TraceID().String() || m["span_id"] != sc.SpanID().String() || m["k"] != 1.0 || m["msg"] != "hello" {
		t.Errorf("entry %v, want ids %s/%s", m, sc.TraceID(), sc.SpanID())
	}
	// Every level, and the formatted and WithFields forms.
	e := l.WithContext(ctx).WithFields(logrus.Fields{"a": "b"})
	for _, log := range []func(){
		func() { e.Trace("t") }, func() { e.Debugf("d%d", 1) }, func() { e.Warnln("w") }, func() { e.Error("e") },
		func() { e.Log(logrus.InfoLevel, "log") },
	} {
		log()
		if m := decode(t, buf); m["trace_id"] != sc.TraceID().String() || m["a"] != "b" {
			t.Errorf("entry %v", m)
		}
	}

	// No context, no span: unchanged.
	l.WithField("k", 2).Info("no context")
	if m := decode(t, buf); m["trace_id"] != nil || m["span_id"] != nil || len(m) != 3 {
		t.Errorf("ids without a context: %v", m)
	}
	l.WithContext(context.Background()).Info("no span")
	if m := decode(t, buf); m["trace_id"] != nil || len(m) != 2 {
		t.Errorf("ids without a span: %v", m)
	}

	// The ids are the entry's: the entry logged from keeps its fields.
	if _, ok := e.Data["trace_id"]; ok {
		t.Errorf("the hook changed the entry logged from: %v", e.Data)
	}
	// A field of the same key is replaced by the span's id.
	l.WithContext(ctx).WithField("trace_id", "stale").Info("replaced")
	if m := decode(t, buf); m["trace_id"] != sc.TraceID().String() {
		t.Errorf("stale id kept: %v", m)
	}
}

func TestBackendNamesKeys(t *testing.T) {
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	sc := sp.SpanContext()
	tid, sid := sc.TraceID().LowDecimal(), sc.SpanID().Decimal()

	check := func(name string, hook *tracelogrus.Hook, traceKey, spanKey string) {
		t.Helper()
		l, buf := newLogger(hook)
		l.WithContext(ctx).Info("hello")
		if m := decode(t, buf); m[traceKey] != tid || m[spanKey] != sid || len(m) != 4 {
			t.Errorf("%s: entry %v, want %s=%s %s=%s", name, m, traceKey, tid, spanKey, sid)
		}
	}
	check("tracer's backend", tracelogrus.NewHook(tracelogrus.WithTracer(tr)), "dd.trace_id", "dd.span_id")
	check("explicit keys", tracelogrus.NewHook(tracelogrus.WithTracer(tr), tracelogrus.WithKeys("t", "s")), "t", "s")
	check("empty key keeps the backend's", tracelogrus.NewHook(tracelogrus.WithTracer(tr), tracelogrus.WithKeys("", "s"), nil), "dd.trace_id", "s")

	// Without WithTracer the default tracer's backend speaks: hex under
	// the default keys for the no-op one, Datadog's once tr is the default.
	hook := tracelogrus.NewHook()
	l, buf := newLogger(hook)
	l.WithContext(ctx).Info("hello")
	if m := decode(t, buf); m["trace_id"] != sc.TraceID().String() || m["span_id"] != sc.SpanID().String() {
		t.Errorf("no-op default tracer: %v, want hex ids", m)
	}
	tracing.SetDefault(tr)
	defer tracing.SetDefault(nil)
	check("default tracer's backend", hook, "dd.trace_id", "dd.span_id")
}

func TestFireOnBareEntries(t *testing.T) {
	h := tracelogrus.NewHook()
	ctx := tracing.ContextWithRemoteSpanContext(context.Background(), tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(1, 2), SpanID: tracing.SpanIDFromUint64(3),
	}))
	e := &logrus.Entry{Context: ctx} // no Data
	if err := h.Fire(e); err != nil {
		t.Fatal(err)
	}
	if e.Data["trace_id"] != "00000000000000010000000000000002" || e.Data["span_id"] != "0000000000000003" {
		t.Errorf("fields %v", e.Data)
	}
	if err := h.Fire(nil); err != nil {
		t.Errorf("Fire(nil) = %v", err)
	}
	if got := h.Levels(); len(got) != len(logrus.AllLevels) {
		t.Errorf("Levels = %v, want all", got)
	}
}

func TestConcurrentEntries(t *testing.T) {
	rec := tracingtest.NewRecorder()
	l, _ := newLogger(tracelogrus.NewHook())
	l.SetOutput(io.Discard)
	base := l.WithField("svc", "notes")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ctx, sp := rec.Tracer().Start(context.Background(), "op")
			defer sp.End()
			e := base.WithContext(ctx)
			for range 100 {
				e.Info("x")
			}
		})
	}
	wg.Wait()
	if len(base.Data) != 1 {
		t.Errorf("shared entry changed: %v", base.Data)
	}
}

type nopHook struct{}

func (nopHook) Levels() []logrus.Level   { return logrus.AllLevels }
func (nopHook) Fire(*logrus.Entry) error { return nil }

func TestNoSpanNoAllocation(t *testing.T) {
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	for name, h := range map[string]*tracelogrus.Hook{
		"default":    tracelogrus.NewHook(),
		"configured": tracelogrus.NewHook(tracelogrus.WithTracer(tr), tracelogrus.WithKeys("t", "s")),
	} {
		for ename, e := range map[string]*logrus.Entry{
			"no context": {Data: logrus.Fields{"k": 1}},
			"no span":    {Data: logrus.Fields{"k": 1}, Context: ctx},
		} {
			if n := testing.AllocsPerRun(100, func() { _ = h.Fire(e) }); n != 0 {
				t.Errorf("%s hook, %s: %v allocations", name, ename, n)
			}
			if len(e.Data) != 1 {
				t.Errorf("%s hook, %s: fields %v", name, ename, e.Data)
			}
		}
	}
	if raceEnabled {
		t.Skip("logrus pools entries and buffers; -race makes sync.Pool drop items")
	}
	// Through a logger: the hook adds nothing to what logrus allocates
	// with a hook that does nothing (logrus copies its hook list).
	plain, _ := newLogger(nopHook{})
	hooked, _ := newLogger(tracelogrus.NewHook())
	for _, l := range []*logrus.Logger{plain, hooked} {
		l.SetOutput(io.Discard)
	}
	without := testing.AllocsPerRun(200, func() { plain.WithContext(ctx).Info("x") })
	with := testing.AllocsPerRun(200, func() { hooked.WithContext(ctx).Info("x") })
	if with != without {
		t.Errorf("logging without a span: %v allocations with the hook, %v without", with, without)
	}
}
