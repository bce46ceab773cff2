package logcorrelation_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracelog"
	"github.com/polytrace/polytrace/tracing/tracelogrus"
	"github.com/polytrace/polytrace/tracing/tracezap"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// form is how a backend's users expect ids in their logs, computed here
// from the exported span's ids, independently of the facade's formatting.
type form struct {
	traceKey, spanKey string
	trace             func(tracing.TraceID) string
	span              func(tracing.SpanID) string
}

func hexTrace(id tracing.TraceID) string { return hex.EncodeToString(id[:]) }
func hexSpan(id tracing.SpanID) string   { return hex.EncodeToString(id[:]) }

// W3C ids, as OpenTelemetry and Jaeger users see them.
var w3c = form{"trace_id", "span_id", hexTrace, hexSpan}

// Datadog's: decimal, the trace id's low 64 bits, under dd.* keys.
var datadog = form{"dd.trace_id", "dd.span_id",
	func(id tracing.TraceID) string { return strconv.FormatUint(binary.BigEndian.Uint64(id[8:]), 10) },
	func(id tracing.SpanID) string { return strconv.FormatUint(binary.BigEndian.Uint64(id[:]), 10) },
}

func TestOTel(t *testing.T)    { run(t, vendors.OTelHarness(t), w3c) }
func TestDatadog(t *testing.T) { run(t, vendors.DatadogHarness(t), datadog) }
func TestJaeger(t *testing.T)  { run(t, vendors.JaegerHarness(t), w3c) }

// line is one log line, decoded, and where it came from.
type line struct {
	from   string
	fields map[string]any
}

// logs collects the JSON lines of every logger the test writes with.
type logs struct {
	bufs map[string]*bytes.Buffer
}

func (l *logs) buf(name string) *bytes.Buffer {
	if l.bufs == nil {
		l.bufs = map[string]*bytes.Buffer{}
	}
	if l.bufs[name] == nil {
		l.bufs[name] = &bytes.Buffer{}
	}
	return l.bufs[name]
}

func (l *logs) lines(t *testing.T) []line {
	t.Helper()
	var out []line
	for name, b := range l.bufs {
		for _, s := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				t.Fatalf("%s: %v: %q", name, err, s)
			}
			out = append(out, line{from: name + ": " + m["msg"].(string), fields: m})
		}
	}
	return out
}

func logrusLogger(l *logs, name string, hook *tracelogrus.Hook) *logrus.Logger {
	lg := logrus.New()
	lg.SetOutput(l.buf(name))
	lg.SetFormatter(&logrus.JSONFormatter{DisableTimestamp: true})
	lg.AddHook(hook)
	return lg
}

func zapLogger(l *logs, name string, opts ...zap.Option) *zap.Logger {
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = ""
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(cfg), zapcore.AddSync(l.buf(name)), zapcore.DebugLevel), opts...)
}

// run logs inside a span started on h's backend, through each
// integration, then checks the ids of every line against the span the
// backend exported.
func run(t *testing.T, h httpkittest.Harness, want form) {
	tr := tracing.New(h.Backend)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})

	root, rootSpan := tr.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer))
	ctx, span := tr.Start(root, "logged")
	var l logs

	// The tracer given explicitly, while the default is the no-op one.
	tracing.SetDefault(nil)
	logrusLogger(&l, "logrus, WithTracer", tracelogrus.NewHook(tracelogrus.WithTracer(tr))).
		WithContext(ctx).WithField("k", 1).Info("entry context")
	zl := zapLogger(&l, "zap core, WithTracer", tracezap.WrapCore(tracezap.WithTracer(tr)))
	zl.Info("entry context", zap.Any("context", ctx), zap.Int("k", 1))
	zl.With(tracezap.Context(ctx)).Info("With context")
	zapLogger(&l, "zap Fields, WithTracer").Info("fields", tracezap.Fields(ctx, tracezap.WithTracer(tr))...)
	slog.New(tracelog.NewHandler(slog.NewJSONHandler(l.buf("slog, WithTracer"), nil), tracelog.WithTracer(tr))).
		InfoContext(ctx, "record")

	// The tracer as the process default, as a service sets it up.
	tracing.SetDefault(tr)
	defer tracing.SetDefault(nil)
	logrusLogger(&l, "logrus, default", tracelogrus.NewHook()).WithContext(ctx).Info("entry context")
	zapLogger(&l, "zap core, default", tracezap.WrapCore()).Info("entry context", tracezap.Context(ctx))
	tracezap.Logger(ctx, zapLogger(&l, "zap Logger, default")).Info("logger")
	slog.New(tracelog.NewHandler(slog.NewJSONHandler(l.buf("slog, default"), nil))).InfoContext(ctx, "record")

	// The parent span's context: its ids. No span: no ids.
	other := logrusLogger(&l, "other contexts", tracelogrus.NewHook())
	other.WithContext(root).Info("request span")
	other.WithContext(context.Background()).Info("no span")
	span.End()
	rootSpan.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}

	spans := h.Spans(t, 2)
	var logged, request *tracingtest.SpanData
	for i := range spans {
		switch spans[i].Name {
		case "logged":
			logged = &spans[i]
		case "request":
			request = &spans[i]
		}
	}
	if logged == nil || request == nil {
		t.Fatalf("exported spans %+v, want logged and request", spans)
	}
	if logged.SpanID == request.SpanID || logged.TraceID != request.TraceID {
		t.Fatalf("exported spans do not nest: %+v", spans)
	}
	wantTrace, wantSpan := want.trace(logged.TraceID), want.span(logged.SpanID)
	t.Logf("exported span: trace %s, span %s; in logs: %s=%s %s=%s", logged.TraceID, logged.SpanID, want.traceKey, wantTrace, want.spanKey, wantSpan)

	lines := l.lines(t)
	if len(lines) != 11 {
		t.Errorf("%d log lines, want 11", len(lines))
	}
	for _, ln := range lines {
		m := ln.fields
		switch ln.from {
		case "other contexts: request span":
			if m[want.traceKey] != wantTrace || m[want.spanKey] != want.span(request.SpanID) {
				t.Errorf("%s: %v, want the request span's ids", ln.from, m)
			}
			continue
		case "other contexts: no span":
			if len(m) != 2 {
				t.Errorf("%s: %v, want no ids", ln.from, m)
			}
			continue
		}
		if m[want.traceKey] != wantTrace || m[want.spanKey] != wantSpan {
			t.Errorf("%s: %v, want %s=%s %s=%s", ln.from, m, want.traceKey, wantTrace, want.spanKey, wantSpan)
		}
		// No other backend's keys, and no context written as a field.
		for k := range m {
			if (strings.Contains(k, "trace_id") || strings.Contains(k, "span_id")) && k != want.traceKey && k != want.spanKey || k == "context" {
				t.Errorf("%s: unexpected field %s in %v", ln.from, k, m)
			}
		}
	}
}
