package tracezap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracezap"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// output is a JSON core writing to a buffer, one line per entry.
type output struct {
	buf  bytes.Buffer
	core zapcore.Core
}

func newOutput(level zapcore.Level) *output {
	o := &output{}
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = ""
	o.core = zapcore.NewCore(zapcore.NewJSONEncoder(cfg), zapcore.AddSync(&o.buf), level)
	return o
}

// lines returns the entries written since the last call, decoded, and
// their raw text.
func (o *output) lines(t *testing.T) ([]map[string]any, []string) {
	t.Helper()
	var ms []map[string]any
	raw := strings.Split(strings.TrimSpace(o.buf.String()), "\n")
	if raw[0] == "" {
		raw = nil
	}
	for _, l := range raw {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		ms = append(ms, m)
	}
	o.buf.Reset()
	return ms, raw
}

// one returns the only entry written since the last call.
func (o *output) one(t *testing.T) map[string]any {
	t.Helper()
	ms, raw := o.lines(t)
	if len(ms) != 1 {
		t.Fatalf("%d entries, want 1: %q", len(ms), raw)
	}
	return ms[0]
}

type ctxKey struct{}

func startSpan(t *testing.T, tr *tracing.Tracer) (context.Context, tracing.SpanContext) {
	t.Helper()
	ctx, sp := tr.Start(context.Background(), "op")
	t.Cleanup(sp.End)
	return ctx, sp.SpanContext()
}

func hasIDs(m map[string]any, sc tracing.SpanContext) bool {
	return m["trace_id"] == sc.TraceID().String() && m["span_id"] == sc.SpanID().String()
}

func TestFieldsAndLogger(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sc := startSpan(t, rec.Tracer())
	o := newOutput(zapcore.DebugLevel)
	l := zap.New(o.core)

	f := tracezap.Fields(ctx)
	if len(f) != 2 || f[0].Key != "trace_id" || f[0].String != sc.TraceID().String() || f[1].Key != "span_id" || f[1].String != sc.SpanID().String() {
		t.Errorf("Fields = %+v", f)
	}
	l.Info("fields", append(tracezap.Fields(ctx), zap.Int("k", 1))...)
	if m := o.one(t); !hasIDs(m, sc) || m["k"] != 1.0 {
		t.Errorf("entry %v", m)
	}
	tracezap.Logger(ctx, l).Info("logger")
	if m := o.one(t); !hasIDs(m, sc) {
		t.Errorf("entry %v", m)
	}

	// No span: nothing added, and the logger itself back.
	for _, c := range []context.Context{context.Background(), tracing.ContextWithSpan(ctx, tracing.Span{})} {
		if f := tracezap.Fields(c); f != nil {
			t.Errorf("Fields without a span = %v", f)
		}
		if got := tracezap.Logger(c, l); got != l {
			t.Errorf("Logger without a span made a new logger")
		}
	}
	if got := tracezap.Logger(ctx, nil); got != nil {
		t.Errorf("Logger(ctx, nil) = %v", got)
	}
}

func TestBackendNamesKeys(t *testing.T) {
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	ctx, sc := startSpan(t, tr)
	tid, sid := sc.TraceID().LowDecimal(), sc.SpanID().Decimal()
	o := newOutput(zapcore.DebugLevel)

	check := func(name string, l *zap.Logger, traceKey, spanKey string, fields ...zap.Field) {
		t.Helper()
		l.Info("hello", fields...)
		if m := o.one(t); m[traceKey] != tid || m[spanKey] != sid || len(m) != 4 {
			t.Errorf("%s: entry %v, want %s=%s %s=%s", name, m, traceKey, tid, spanKey, sid)
		}
	}
	withTracer := tracezap.WithTracer(tr)
	plain := zap.New(o.core)
	check("Fields", plain, "dd.trace_id", "dd.span_id", tracezap.Fields(ctx, withTracer)...)
	check("Logger", tracezap.Logger(ctx, plain, withTracer), "dd.trace_id", "dd.span_id")
	check("explicit keys", plain, "t", "s", tracezap.Fields(ctx, withTracer, tracezap.WithKeys("t", "s"))...)
	check("empty key keeps the backend's", plain, "dd.trace_id", "s", tracezap.Fields(ctx, withTracer, tracezap.WithKeys("", "s"), nil)...)
	check("core", zap.New(tracezap.NewCore(o.core, withTracer)), "dd.trace_id", "dd.span_id", tracezap.Context(ctx))
	check("core, explicit keys", zap.New(tracezap.NewCore(o.core, withTracer, tracezap.WithKeys("t", "s"))), "t", "s", tracezap.Context(ctx))

	// Without WithTracer the default tracer's backend speaks.
	core := zap.New(tracezap.NewCore(o.core))
	core.Info("hello", tracezap.Context(ctx))
	if m := o.one(t); !hasIDs(m, sc) {
		t.Errorf("no-op default tracer: %v, want hex ids", m)
	}
	tracing.SetDefault(tr)
	defer tracing.SetDefault(nil)
	check("Fields, default tracer", plain, "dd.trace_id", "dd.span_id", tracezap.Fields(ctx)...)
	check("core, default tracer", core, "dd.trace_id", "dd.span_id", zap.Any("context", ctx))
}

func TestCoreReplacesContext(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sc := startSpan(t, rec.Tracer())
	ctx2, sc2 := startSpan(t, rec.Tracer())
	o := newOutput(zapcore.DebugLevel)
	l := zap.New(o.core, tracezap.WrapCore())
	noSpan := context.WithValue(context.Background(), ctxKey{}, 1)

	// Any field holding a context, whatever its key or type.
	for name, f := range map[string]zap.Field{
		"Any":      zap.Any("context", ctx),
		"Context":  tracezap.Context(ctx),
		"Reflect":  zap.Reflect("ctx", ctx),
		"Stringer": zap.Stringer("c", ctx.(interface{ String() string })),
	} {
		l.Info("hello", zap.Int("k", 1), f)
		ms, raw := o.lines(t)
		if len(ms) != 1 || !hasIDs(ms[0], sc) || ms[0]["k"] != 1.0 || len(ms[0]) != 5 {
			t.Errorf("%s: entries %q", name, raw)
			continue
		}
		// The ids come first among the entry's fields.
		if !strings.Contains(raw[0], `"msg":"hello","trace_id":`) {
			t.Errorf("%s: ids not first: %s", name, raw[0])
		}
	}
	// A context without a span is dropped, adding nothing.
	l.Info("no span", zap.Any("context", noSpan), zap.Int("k", 1))
	if m := o.one(t); len(m) != 3 || m["k"] != 1.0 {
		t.Errorf("context without a span: %v", m)
	}
	// Several contexts: the last one counts.
	l.Info("two", tracezap.Context(ctx), tracezap.Context(ctx2))
	if m := o.one(t); !hasIDs(m, sc2) {
		t.Errorf("two contexts: %v", m)
	}
	// A nil context is no context: zap.Any writes it as null.
	var nilCtx context.Context
	l.Info("nil", zap.Any("context", nil), tracezap.Context(nilCtx))
	if m := o.one(t); len(m) != 3 || m["context"] != nil {
		t.Errorf("nil context: %v", m)
	}

	// With: every entry of the new logger, once; an entry's context wins,
	// even one without a span.
	rl := l.With(zap.String("svc", "notes"), zap.Any("context", ctx))
	rl.Info("with")
	if m := o.one(t); !hasIDs(m, sc) || m["svc"] != "notes" || len(m) != 5 {
		t.Errorf("With: %v", m)
	}
	rl.Info("override", tracezap.Context(ctx2))
	if m := o.one(t); !hasIDs(m, sc2) || len(m) != 5 {
		t.Errorf("entry context over With's: %v", m)
	}
	rl.Info("override without span", tracezap.Context(noSpan))
	if m := o.one(t); m["trace_id"] != nil || len(m) != 3 {
		t.Errorf("entry context without span over With's: %v", m)
	}
	rl.With(zap.Int("n", 2)).Info("inherited")
	if m := o.one(t); !hasIDs(m, sc) || m["n"] != 2.0 {
		t.Errorf("With after With: %v", m)
	}
	rl.With(tracezap.Context(ctx2)).Info("replaced")
	if m := o.one(t); !hasIDs(m, sc2) || len(m) != 5 {
		t.Errorf("second With context: %v", m)
	}
	rl.With(tracezap.Context(noSpan)).Info("cleared")
	if m := o.one(t); m["trace_id"] != nil || len(m) != 3 {
		t.Errorf("With context without span: %v", m)
	}
	l.With(tracezap.Context(ctx)).Sugar().Infow("sugar", "k", 1)
	if m := o.one(t); !hasIDs(m, sc) {
		t.Errorf("sugared: %v", m)
	}
}

func TestCoreKeepsNextsDecisions(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sc := startSpan(t, rec.Tracer())

	// A sampler inside: the first entry of each message per second, then
	// none.
	o := newOutput(zapcore.DebugLevel)
	sampled := zap.New(o.core, zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Hour, 1, 0)
	}), tracezap.WrapCore())
	for range 3 {
		sampled.Info("same", tracezap.Context(ctx))
	}
	if ms, raw := o.lines(t); len(ms) != 1 || !hasIDs(ms[0], sc) {
		t.Errorf("sampler: %q, want one entry with ids", raw)
	}

	// A tee of cores of different levels: each writes its levels only,
	// each with the ids.
	info, errs := newOutput(zapcore.InfoLevel), newOutput(zapcore.ErrorLevel)
	tee := zap.New(tracezap.NewCore(zapcore.NewTee(info.core, errs.core)))
	tee.Info("info", tracezap.Context(ctx))
	tee.Error("error", tracezap.Context(ctx))
	tee.Debug("debug", tracezap.Context(ctx))
	im, _ := info.lines(t)
	em, _ := errs.lines(t)
	if len(im) != 2 || len(em) != 1 || !hasIDs(im[0], sc) || !hasIDs(im[1], sc) || !hasIDs(em[0], sc) || em[0]["msg"] != "error" {
		t.Errorf("tee: info core %v, error core %v", im, em)
	}
	if !tee.Core().Enabled(zapcore.InfoLevel) || tee.Core().Enabled(zapcore.DebugLevel) || tee.Level() != zapcore.InfoLevel {
		t.Errorf("Enabled/Level do not follow the wrapped core: %v", tee.Level())
	}

	// A sibling in a tee around the wrapped core (an otelzap core, say)
	// still gets the context itself.
	obsCore, logs := observer.New(zapcore.DebugLevel)
	both := zap.New(zapcore.NewTee(tracezap.NewCore(info.core), obsCore))
	both.Info("both", zap.Any("context", ctx))
	if ms, _ := info.lines(t); len(ms) != 1 || !hasIDs(ms[0], sc) {
		t.Errorf("wrapped core of the tee: %v", ms)
	}
	if all := logs.All(); len(all) != 1 || len(all[0].Context) != 1 || all[0].Context[0].Interface != ctx {
		t.Errorf("sibling core: %+v, want the context field untouched", all)
	}
}

func TestCoreKeepsCallerAndStack(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sc := startSpan(t, rec.Tracer())
	o := newOutput(zapcore.DebugLevel)
	l := zap.New(o.core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel), tracezap.WrapCore())
	l.Error("failed", tracezap.Context(ctx))
	m := o.one(t)
	if !hasIDs(m, sc) || !strings.Contains(m["caller"].(string), "tracezap_test.go") || !strings.Contains(m["stacktrace"].(string), "TestCoreKeepsCallerAndStack") {
		t.Errorf("entry %v", m)
	}
}

// failing is a core whose writes fail.
type failing struct{ zapcore.LevelEnabler }

func (f failing) With([]zapcore.Field) zapcore.Core { return f }
func (f failing) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(ent, f)
}
func (failing) Write(zapcore.Entry, []zapcore.Field) error { return errors.New("disk full") }
func (failing) Sync() error                                { return nil }

func TestCoreReportsWriteErrors(t *testing.T) {
	var errOut bytes.Buffer
	l := zap.New(tracezap.NewCore(failing{zapcore.DebugLevel}), zap.ErrorOutput(zapcore.AddSync(&errOut)))
	l.Info("hello")
	if got := errOut.String(); !strings.HasSuffix(got, " write error: disk full\n") || strings.Count(got, "write error") != 1 {
		t.Errorf("error output %q", got)
	}
}

// selfish is a wrapper that registers itself and writes to its core
// without the core's Check, as some wrappers do.
type selfish struct{ zapcore.Core }

func (s selfish) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if s.Enabled(ent.Level) {
		return ce.AddCore(ent, s)
	}
	return ce
}

func TestCoreWrittenDirectly(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, sc := startSpan(t, rec.Tracer())
	o := newOutput(zapcore.DebugLevel)
	l := zap.New(selfish{tracezap.NewCore(o.core)})
	l.Info("direct", tracezap.Context(ctx), zap.Int("k", 1))
	if m := o.one(t); !hasIDs(m, sc) || m["k"] != 1.0 {
		t.Errorf("entry %v", m)
	}
	l.With(tracezap.Context(ctx)).Info("direct, With")
	if m := o.one(t); !hasIDs(m, sc) {
		t.Errorf("entry %v", m)
	}
	if err := l.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
}

// TestConcurrentEntries: entries logged at once through one core each get
// their own span's ids (the core reuses its buffers).
func TestConcurrentEntries(t *testing.T) {
	rec := tracingtest.NewRecorder()
	var mu sync.Mutex
	o := newOutput(zapcore.DebugLevel)
	locked := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return o.buf.Write(p)
	})), zapcore.DebugLevel)
	l := zap.New(locked, tracezap.WrapCore())
	var wg sync.WaitGroup
	const n, per = 8, 200
	for i := range n {
		wg.Go(func() {
			ctx, sp := rec.Tracer().Start(context.Background(), "op")
			defer sp.End()
			for j := range per {
				l.Info("x", zap.Int("g", i), tracezap.Context(ctx), zap.Int("j", j))
			}
		})
	}
	wg.Wait()
	ms, _ := o.lines(t)
	if len(ms) != n*per {
		t.Fatalf("%d entries, want %d", len(ms), n*per)
	}
	ids := map[float64]string{}
	for _, m := range ms {
		g, _ := m["g"].(float64)
		id := m["trace_id"].(string) + "/" + m["span_id"].(string)
		if prev, ok := ids[g]; ok && prev != id {
			t.Fatalf("goroutine %v logged ids %s and %s", g, prev, id)
		}
		ids[g] = id
	}
	if len(ids) != n {
		t.Errorf("%d distinct goroutines, want %d", len(ids), n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestNoSpanNoAllocation(t *testing.T) {
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	noSpan := context.WithValue(context.Background(), ctxKey{}, 1)
	opts := []tracezap.Option{tracezap.WithTracer(tr), tracezap.WithKeys("t", "s")}
	l := zap.NewNop()
	for name, f := range map[string]func(){
		"Fields":             func() { _ = tracezap.Fields(noSpan) },
		"Fields, options":    func() { _ = tracezap.Fields(noSpan, opts...) },
		"Logger":             func() { _ = tracezap.Logger(noSpan, l) },
		"Logger, options":    func() { _ = tracezap.Logger(noSpan, l, opts...) },
		"Context":            func() { _ = tracezap.Context(noSpan) },
		"Fields, background": func() { _ = tracezap.Fields(context.Background()) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations without a span", name, n)
		}
	}
	if raceEnabled {
		t.Skip("the core pools its writers; -race makes sync.Pool drop items")
	}
	// Through a logger: the core adds nothing to what zap allocates.
	o := newOutput(zapcore.DebugLevel)
	plain := zap.New(o.core)
	wrapped := zap.New(o.core, tracezap.WrapCore(opts...))
	base := testing.AllocsPerRun(200, func() { plain.Info("x", zap.Int("k", 1)); o.buf.Reset() })
	for name, f := range map[string]func(){
		"no context":           func() { wrapped.Info("x", zap.Int("k", 1)) },
		"context without span": func() { wrapped.Info("x", zap.Int("k", 1), tracezap.Context(noSpan)) },
		"Any context":          func() { wrapped.Info("x", zap.Int("k", 1), zap.Any("context", noSpan)) },
	} {
		if n := testing.AllocsPerRun(200, func() { f(); o.buf.Reset() }); n != base {
			t.Errorf("%s: %v allocations, %v without the core", name, n, base)
		}
	}
}

// TestAllocationsWithSpan reports what a span's ids cost.
func TestAllocationsWithSpan(t *testing.T) {
	if raceEnabled {
		t.Skip("the core pools its writers; -race makes sync.Pool drop items")
	}
	rec := tracingtest.NewRecorder()
	ctx, _ := startSpan(t, rec.Tracer())
	o := newOutput(zapcore.DebugLevel)
	plain := zap.New(o.core)
	wrapped := zap.New(o.core, tracezap.WrapCore())
	bound := wrapped.With(tracezap.Context(ctx))
	base := testing.AllocsPerRun(200, func() { plain.Info("x", zap.Int("k", 1)); o.buf.Reset() })
	for name, c := range map[string]struct {
		f    func()
		most float64
	}{
		// The ids of an entry's context: one string for both hex ids.
		"entry context": {func() { wrapped.Info("x", zap.Int("k", 1), tracezap.Context(ctx)) }, 1},
		// The ids of With's context were made by With.
		"With context": {func() { bound.Info("x", zap.Int("k", 1)) }, 0},
	} {
		n := testing.AllocsPerRun(200, func() { c.f(); o.buf.Reset() })
		t.Logf("%s: %v allocations beyond zap's %v", name, n-base, base)
		if n-base > c.most {
			t.Errorf("%s: %v allocations beyond zap's, want at most %v", name, n-base, c.most)
		}
	}
	for name, f := range map[string]func(){
		"Fields": func() { _ = tracezap.Fields(ctx) },
		"Logger": func() { _ = tracezap.Logger(ctx, plain) },
	} {
		t.Logf("%s with a span: %v allocations", name, testing.AllocsPerRun(200, f))
	}
}
