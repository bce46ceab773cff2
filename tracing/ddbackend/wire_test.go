package ddbackend_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestWireSeedTutorial reproduces what the seed tutorial's dd-trace-go
// instrumentation shows in Datadog — a chi server span, an HTTP client
// span with a resource namer, a database/sql span under service "db", a
// custom span with service and type overrides, unified service tags — and
// checks the payload the tracer sent, field by field. No ForceFlush: every
// span that ended before Shutdown must have arrived when Shutdown returns.
func TestWireSeedTutorial(t *testing.T) {
	t.Setenv("DD_SERVICE", "notes")
	t.Setenv("DD_ENV", "prod")
	t.Setenv("DD_VERSION", "1.2.3")
	a := newAgent(t, ddtest.Config{SpanEvents: true})
	b := newBackend(t, a)
	tr := tracing.New(b)

	ctx, server := tr.Start(bg(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer), tracing.WithAttrs(
		tracing.String("http.request.method", "GET"),
		tracing.String("http.route", "/notes/{id}"),
		tracing.String("url.path", "/notes/42"),
		tracing.String("url.scheme", "http"),
		tracing.String("server.address", "localhost"),
		tracing.Int("server.port", 8080),
		tracing.String("client.address", "127.0.0.1"),
		tracing.String("user_agent.original", "curl/8.5.0"),
		tracing.String("network.protocol.version", "1.1"),
	))
	cctx, client := tr.Start(ctx, "GET", tracing.WithKind(tracing.SpanKindClient), tracing.WithResource("GET /calendar"), tracing.WithAttrs(
		tracing.String("http.request.method", "GET"),
		tracing.String("url.full", "http://calendar:9090/calendar"),
		tracing.String("server.address", "calendar"),
		tracing.Int("server.port", 9090),
	))
	client.SetAttrs(tracing.Int("http.response.status_code", 200), tracing.Int("http.response.body.size", 12))
	client.End()
	_ = cctx
	_, query := tr.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"), tracing.WithAttrs(
		tracing.String("db.system.name", "sqlite"),
		tracing.String("db.query.text", "SELECT id, description FROM notes WHERE id = ?"),
		tracing.String("db.operation.name", "SELECT"),
		tracing.String("db.collection.name", "notes"),
	))
	query.End()
	_, helper := tr.Start(ctx, "noteshelper.format", tracing.WithService("noteshelper"), tracing.WithSpanType(tracing.TypeCustom))
	helper.SetAttrs(tracing.Int("note.length", 17))
	helper.End()
	server.SetAttrs(tracing.Int("http.response.status_code", 200), tracing.Int("http.response.body.size", 17), tracing.String("note.id", "42"))
	server.End()

	// A failing request: 500, an error recorded with its stack. The
	// middleware's error.type (semantic conventions: the error class) and
	// RecordError's (the Go type) are the same Datadog tag; the later wins.
	_, failing := tr.Start(bg(), "PUT /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "PUT"), tracing.String("url.path", "/notes/7")))
	failing.RecordError(errors.New("database is locked"), tracing.WithStack())
	failing.SetAttrs(tracing.Int("http.response.status_code", 500), tracing.String("error.type", "500"))
	failing.End()

	ssc := server.SpanContext()
	tracingtest.Shutdown(t, b)
	spans := a.Spans() // no waiting: Shutdown delivered them
	if len(spans) != 5 {
		t.Fatalf("the agent has %d spans when Shutdown returned, want 5", len(spans))
	}

	srv := ddtest.SpanNamed(t, spans, "GET /notes/{id}")
	want := ddtest.Span{Name: "http.request", Resource: "GET /notes/{id}", Type: "web", Service: "notes"}
	checkSpan(t, srv, want, map[string]string{
		"span.kind": "server", "http.method": "GET", "http.route": "/notes/{id}", "http.status_code": "200",
		"http.url": "http://localhost:8080/notes/42", "http.host": "localhost:8080", "http.client_ip": "127.0.0.1",
		"http.useragent": "curl/8.5.0", "http.version": "1.1", "note.id": "42", "env": "prod", "version": "1.2.3",
		"language": "go",
	}, map[string]float64{"http.response.content_length": 17, "_dd.top_level": 1, "_sampling_priority_v1": 1})
	for _, k := range []string{"url.path", "url.scheme", "server.address", "server.port", "http.request.method", "http.response.status_code"} {
		if _, ok := srv.Meta[k]; ok {
			t.Errorf("server span keeps the OpenTelemetry key %q next to its Datadog name", k)
		}
	}
	if srv.ParentID != 0 {
		t.Errorf("server span has parent %d", srv.ParentID)
	}
	// 128-bit trace id: the low half in trace_id, the high half in _dd.p.tid.
	if got := tracing.TraceIDFromUint64s(srv.TraceIDHigh, srv.TraceID); got != ssc.TraceID() || srv.TraceIDHigh == 0 {
		t.Errorf("trace id on the wire %s (_dd.p.tid %q), want the span's %s", got, srv.Meta["_dd.p.tid"], ssc.TraceID())
	}
	if srv.SpanID != ssc.SpanID().Uint64() {
		t.Errorf("span id on the wire %d, want %d", srv.SpanID, ssc.SpanID().Uint64())
	}

	cl := ddtest.SpanNamed(t, spans, "GET /calendar")
	checkSpan(t, cl, ddtest.Span{Name: "http.request", Resource: "GET /calendar", Type: "http", Service: "notes"}, map[string]string{
		"span.kind": "client", "http.method": "GET", "http.url": "http://calendar:9090/calendar", "http.status_code": "200",
		"network.destination.name": "calendar",
	}, map[string]float64{"network.destination.port": 9090, "http.response.content_length": 12})

	db := ddtest.SpanNamed(t, spans, "sqlite.query")
	checkSpan(t, db, ddtest.Span{Name: "sqlite.query", Resource: "SELECT id, description FROM notes WHERE id = ?", Type: "sql", Service: "db"},
		map[string]string{"span.kind": "client", "db.system": "sqlite", "db.operation.name": "SELECT", "db.collection.name": "notes"},
		map[string]float64{"_dd.top_level": 1})
	if _, ok := db.Meta["db.query.text"]; ok {
		t.Error("the query is kept as a tag besides being the resource")
	}

	h := ddtest.SpanNamed(t, spans, "noteshelper.format")
	checkSpan(t, h, ddtest.Span{Name: "noteshelper.format", Resource: "noteshelper.format", Type: "custom", Service: "noteshelper"},
		map[string]string{"_dd.base_service": "notes"}, map[string]float64{"note.length": 17, "_dd.top_level": 1})
	// dd-trace-go's own custom spans carry no span.kind; ours say
	// "internal", so that nothing downstream guesses a kind from the span
	// type (the Collector's Datadog receiver makes a type-web span a server).
	if k := h.Meta["span.kind"]; k != "internal" {
		t.Errorf("internal span has span.kind %q, want internal", k)
	}

	for _, s := range []ddtest.Span{cl, db, h} {
		if s.ParentID != srv.SpanID || s.TraceID != srv.TraceID || s.TraceIDHigh != srv.TraceIDHigh {
			t.Errorf("%s: trace %x-%d parent %d, want trace %x-%d parent %d", s.Name, s.TraceIDHigh, s.TraceID, s.ParentID, srv.TraceIDHigh, srv.TraceID, srv.SpanID)
		}
	}
	if cl.Metrics["_dd.top_level"] == 1 {
		t.Error("client span of the same service marked top-level")
	}

	f := ddtest.SpanNamed(t, spans, "PUT /notes/{id}")
	if f.Error != 1 || f.Meta["error.message"] != "database is locked" || f.Meta["error.type"] != "500" ||
		!strings.Contains(f.Meta["error.stack"], "TestWireSeedTutorial") || f.Meta["http.status_code"] != "500" {
		t.Errorf("failed request: error=%d meta=%v", f.Error, f.Meta)
	}
	if f.Meta["http.url"] != "/notes/7" {
		t.Errorf("http.url without a host = %q, want the path alone (as dd contrib)", f.Meta["http.url"])
	}

	hdr := a.TraceHeaders()
	if len(hdr) == 0 || hdr[0].Get("Datadog-Meta-Lang") != "go" || hdr[0].Get("X-Datadog-Trace-Count") == "" {
		t.Errorf("upload headers %v", hdr)
	}
}

func checkSpan(t *testing.T, got, want ddtest.Span, meta map[string]string, metrics map[string]float64) {
	t.Helper()
	if got.Name != want.Name || got.Resource != want.Resource || got.Type != want.Type || got.Service != want.Service {
		t.Errorf("span %s/%s/%s/%s, want name %s resource %s type %s service %s", got.Name, got.Resource, got.Type, got.Service,
			want.Name, want.Resource, want.Type, want.Service)
	}
	for k, v := range meta {
		if got.Meta[k] != v {
			t.Errorf("%s: meta %s = %q, want %q", got.Resource, k, got.Meta[k], v)
		}
	}
	for k, v := range metrics {
		if g, ok := got.Metrics[k]; !ok || g != v {
			t.Errorf("%s: metric %s = %v (present %v), want %v", got.Resource, k, g, ok, v)
		}
	}
}

// TestWireLateChanges: the overrides set after start, renaming, and
// semantic attributes that arrive after start.
func TestWireLateChanges(t *testing.T) {
	t.Setenv("DD_SERVICE", "notes")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)

	// A router renames the server span once the route is known.
	ctx, srv := tr.Start(bg(), "GET", tracing.WithKind(tracing.SpanKindServer), tracing.WithAttrs(tracing.String("http.request.method", "GET")))
	srv.SetName("GET /notes/{id}")
	// An explicit resource is not replaced by a rename.
	_, pinned := tr.Start(ctx, "first", tracing.WithResource("pinned"))
	pinned.SetName("second")
	pinned.End()
	// Overrides after start; a changed service makes the span top-level.
	_, late := tr.Start(ctx, "late")
	late.SetAttrs(tracing.String(tracing.KeyResource, "GET /calendar"), tracing.String(tracing.KeySpanType, "http"),
		tracing.String(tracing.KeyService, "calendar-client"))
	late.SetName("renamed-late")
	late.End()
	// Semantic attributes after start turn a client span into an HTTP or
	// database span.
	_, c := tr.Start(ctx, "GET /calendar", tracing.WithKind(tracing.SpanKindClient))
	c.SetAttrs(tracing.String("http.request.method", "GET"))
	c.End()
	_, q := tr.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient))
	q.SetAttrs(tracing.String("db.system.name", "postgresql"), tracing.String("db.query.text", "SELECT 1"))
	q.End()
	srv.End()
	tracingtest.Shutdown(t, b)
	spans := a.Spans()

	checkSpan(t, ddtest.SpanNamed(t, spans, "GET /notes/{id}"), ddtest.Span{Name: "http.request", Resource: "GET /notes/{id}", Type: "web", Service: "notes"}, nil, nil)
	checkSpan(t, ddtest.SpanNamed(t, spans, "second"), ddtest.Span{Name: "second", Resource: "pinned", Service: "notes"}, nil, nil)
	l := ddtest.SpanNamed(t, spans, "renamed-late")
	checkSpan(t, l, ddtest.Span{Name: "renamed-late", Resource: "GET /calendar", Type: "http", Service: "calendar-client"}, nil,
		map[string]float64{"_dd.top_level": 1})
	checkSpan(t, ddtest.SpanNamed(t, spans, "GET /calendar"), ddtest.Span{Name: "http.request", Resource: "GET /calendar", Type: "http", Service: "notes"},
		map[string]string{"span.kind": "client", "http.method": "GET"}, nil)
	checkSpan(t, ddtest.SpanNamed(t, spans, "postgresql.query"), ddtest.Span{Name: "postgresql.query", Resource: "SELECT 1", Type: "sql", Service: "postgresql.db"},
		map[string]string{"db.system": "postgresql"}, map[string]float64{"_dd.top_level": 1})
}

// TestWireAttributeTypes: the value mapping, as dd-trace-go's SetTag does
// it, decoded from the payload.
func TestWireAttributeTypes(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	_, sp := tr.Start(bg(), "types", tracing.WithAttrs(
		tracing.String("s", "v"), tracing.Bool("b", true), tracing.Int("i", -3), tracing.Int64("big", 1<<60),
		tracing.Float64("f", 0.25), tracing.StringSlice("ss", []string{"x", "y"}), tracing.Int64Slice("is", []int64{4, 5}),
		tracing.Attr{Key: "empty"},
	))
	sp.End()
	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "types")
	checkSpan(t, s, ddtest.Span{Name: "types", Resource: "types", Service: s.Service},
		map[string]string{"s": "v", "b": "true", "big": strconv.FormatInt(1<<60, 10), "ss.0": "x", "ss.1": "y"},
		map[string]float64{"i": -3, "f": 0.25, "is.0": 4, "is.1": 5})
	if _, ok := s.Meta["empty"]; ok {
		t.Error("an empty value was recorded")
	}
}

// TestWireEventsAsTags: with an agent that lacks native span events,
// dd-trace-go sends them as JSON in the "events" tag.
func TestWireEventsAsTags(t *testing.T) {
	a := newAgent(t, ddtest.Config{SpanEvents: false})
	b := newBackend(t, a)
	tr := tracing.New(b)
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	_, sp := tr.Start(bg(), "evented")
	sp.AddEventAt(at, "validated", tracing.Int("items", 3), tracing.StringSlice("by", []string{"schema"}))
	sp.End()
	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "evented")
	if _, ok := s.Meta["events"]; !ok || len(s.Events) != 1 {
		t.Fatalf("events tag %q, decoded %v", s.Meta["events"], s.Events)
	}
	e := s.Events[0]
	if e.Name != "validated" || e.TimeUnixNano != uint64(at.UnixNano()) || e.Attributes["items"] != 3.0 {
		t.Errorf("event %+v", e)
	}
}

// TestWireLinksAndSampling: links with their 128-bit ids and attributes;
// sampling priority set through Datadog's manual.keep / manual.drop tags.
func TestWireLinksAndSampling(t *testing.T) {
	a := newAgent(t, ddtest.Config{SpanEvents: true})
	b := newBackend(t, a)
	tr := tracing.New(b)
	foreign := tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(0x0102030405060708, 0x090a0b0c0d0e0f10), SpanID: tracing.SpanIDFromUint64(0x1112131415161718),
		TraceFlags: tracing.FlagsSampled, TraceState: "vendor=x",
	})
	_, kept := tr.Start(bg(), "kept", tracing.WithLinks(tracing.Link{SpanContext: foreign, Attrs: []tracing.Attr{tracing.Int("n", 2)}}))
	kept.SetAttrs(tracing.Bool("manual.keep", true))
	kept.End()
	_, dropped := tr.Start(bg(), "dropped")
	dropped.SetAttrs(tracing.Bool("manual.drop", true))
	if dropped.SpanContext().IsSampled() {
		t.Error("span still sampled after manual.drop")
	}
	dropped.End()
	tracingtest.Shutdown(t, b)
	spans := a.Spans()
	k := ddtest.SpanNamed(t, spans, "kept")
	if len(k.Links) != 1 {
		t.Fatalf("links %+v", k.Links)
	}
	l := k.Links[0]
	if l.TraceIDHigh != 0x0102030405060708 || l.TraceID != 0x090a0b0c0d0e0f10 || l.SpanID != 0x1112131415161718 ||
		l.Attributes["n"] != "2" || l.Tracestate != "vendor=x" || l.Flags != 1|1<<31 {
		t.Errorf("link %+v", l)
	}
	if p := k.Metrics["_sampling_priority_v1"]; p != 2 {
		t.Errorf("manual.keep: priority %v, want 2 (user keep)", p)
	}
	if p := ddtest.SpanNamed(t, spans, "dropped").Metrics["_sampling_priority_v1"]; p != -1 {
		t.Errorf("manual.drop: priority %v, want -1 (user reject)", p)
	}
}

// TestWireSampleRate: a sample rate of 0 makes new traces unsampled
// (priority user-reject), visible in the facade's span context too.
func TestWireSampleRate(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a, ddbackend.WithSampleRate(0))
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "unsampled")
	if sp.SpanContext().IsSampled() {
		t.Error("span sampled at rate 0")
	}
	sp.End()
	tracingtest.Shutdown(t, b)
	if p := ddtest.SpanNamed(t, a.Spans(), "unsampled").Metrics["_sampling_priority_v1"]; p > 0 {
		t.Errorf("priority %v at rate 0", p)
	}
}
