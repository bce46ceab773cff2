package tracelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracelog"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func decode(t *testing.T, b *bytes.Buffer) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatalf("%v: %q", err, b.String())
	}
	b.Reset()
	return m
}

func TestHandlerAddsIDs(t *testing.T) {
	var buf bytes.Buffer
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(&buf, nil)))
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	sc := sp.SpanContext()

	logger.InfoContext(ctx, "hello", "k", 1)
	m := decode(t, &buf)
	if m["trace_id"] != sc.TraceID().String() || m["span_id"] != sc.SpanID().String() || m["k"] != 1.0 {
		t.Errorf("record %v, want ids %s/%s", m, sc.TraceID(), sc.SpanID())
	}

	logger.Info("no context")
	if m := decode(t, &buf); m["trace_id"] != nil {
		t.Errorf("ids without a context: %v", m)
	}
	logger.InfoContext(context.Background(), "no span")
	if m := decode(t, &buf); m["trace_id"] != nil {
		t.Errorf("ids without a span: %v", m)
	}

	// Groups: the ids stay at the top level; attributes nest as slog
	// would nest them.
	g := logger.With("svc", "notes").WithGroup("req").With("method", "GET").WithGroup("inner")
	g.InfoContext(ctx, "grouped", "x", 2)
	m = decode(t, &buf)
	req, _ := m["req"].(map[string]any)
	inner, _ := req["inner"].(map[string]any)
	if m["trace_id"] != sc.TraceID().String() || m["svc"] != "notes" || req["method"] != "GET" || inner["x"] != 2.0 {
		t.Errorf("grouped record %v", m)
	}
	// An empty group is dropped, as slog drops it.
	g.InfoContext(ctx, "nothing in the group")
	m = decode(t, &buf)
	if req, _ := m["req"].(map[string]any); req["inner"] != nil {
		t.Errorf("empty group kept: %v", m)
	}
}

type decimalBackend struct{ tracing.Backend }

func (decimalBackend) FormatIDs(sc tracing.SpanContext) (string, string) {
	return sc.TraceID().LowDecimal(), sc.SpanID().Decimal()
}

func TestBackendChoosesFormat(t *testing.T) {
	var buf bytes.Buffer
	rec := tracingtest.NewRecorder()
	tr := tracing.New(decimalBackend{rec})
	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(&buf, nil), tracelog.WithTracer(tr), tracelog.WithKeys("dd.trace_id", "dd.span_id")))
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	logger.InfoContext(ctx, "hello")
	m := decode(t, &buf)
	if m["dd.trace_id"] != sp.SpanContext().TraceID().LowDecimal() || m["dd.span_id"] != sp.SpanContext().SpanID().Decimal() {
		t.Errorf("record %v", m)
	}
}

func TestBackendNamesKeys(t *testing.T) {
	var buf bytes.Buffer
	tr := tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))
	ctx, sp := tr.Start(context.Background(), "op")
	defer sp.End()
	sc := sp.SpanContext()
	tid, sid := sc.TraceID().LowDecimal(), sc.SpanID().Decimal()

	check := func(name string, logger *slog.Logger, traceKey, spanKey string) {
		t.Helper()
		logger.InfoContext(ctx, "hello")
		m := decode(t, &buf)
		if m[traceKey] != tid || m[spanKey] != sid || len(m) != 5 {
			t.Errorf("%s: record %v, want %s=%s %s=%s", name, m, traceKey, tid, spanKey, sid)
		}
	}
	out := slog.NewJSONHandler(&buf, nil)
	check("tracer's backend", slog.New(tracelog.NewHandler(out, tracelog.WithTracer(tr))), "dd.trace_id", "dd.span_id")
	check("explicit keys", slog.New(tracelog.NewHandler(out, tracelog.WithTracer(tr), tracelog.WithKeys("t", "s"))), "t", "s")
	check("empty key keeps the backend's", slog.New(tracelog.NewHandler(out, tracelog.WithTracer(tr), tracelog.WithKeys("", "s"))), "dd.trace_id", "s")
	check("under a group", slog.New(tracelog.NewHandler(out, tracelog.WithTracer(tr))).WithGroup("g"), "dd.trace_id", "dd.span_id")

	// Without WithTracer, the default tracer's backend speaks.
	plain := slog.New(tracelog.NewHandler(out))
	plain.InfoContext(ctx, "hello")
	if m := decode(t, &buf); m["trace_id"] != sc.TraceID().String() || m["dd.trace_id"] != nil {
		t.Errorf("no-op default tracer: %v, want hex ids under trace_id", m)
	}
	tracing.SetDefault(tr)
	defer tracing.SetDefault(nil)
	check("default tracer's backend", plain, "dd.trace_id", "dd.span_id")
}

// nopHandler handles every record and keeps none.
type nopHandler struct{ n int }

func (*nopHandler) Enabled(context.Context, slog.Level) bool    { return true }
func (h *nopHandler) Handle(context.Context, slog.Record) error { h.n++; return nil }
func (h *nopHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h *nopHandler) WithGroup(string) slog.Handler             { return h }

func TestNoSpanNoAllocation(t *testing.T) {
	next := &nopHandler{}
	h := tracelog.NewHandler(next, tracelog.WithTracer(tracing.New(tracingtest.DatadogLogIDs(tracingtest.NewRecorder()))))
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "hello", 0)
	r.AddAttrs(slog.Int("k", 1))
	ctx := context.WithValue(context.Background(), nopHandler{}, 1)
	if n := testing.AllocsPerRun(100, func() { _ = h.Handle(ctx, r) }); n != 0 {
		t.Errorf("Handle without a span: %v allocations", n)
	}
	if next.n == 0 {
		t.Fatal("records were not passed on")
	}
}

func Example() {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	logger := slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "trace_id" || a.Key == "span_id" {
				a.Value = slog.StringValue("…") // vary from run to run
			}
			return a
		},
	})))
	ctx, span := tr.Start(context.Background(), "CreateNote")
	defer span.End()
	logger.InfoContext(ctx, "note created", "id", 7)
	// Output: time=… level=INFO msg="note created" id=7 trace_id=… span_id=…
}
