package tracingtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// Harness is what a backend supplies to Run: a fresh backend and a way to
// read back what it exported.
type Harness struct {
	// Backend is a new backend instance, configured as a user would,
	// exporting somewhere Spans can read.
	Backend tracing.Backend

	// Spans returns every span the backend has exported so far, decoded
	// from what it actually sent, waiting (a few seconds at most) until at
	// least want have arrived. Run flushes the tracer before calling it.
	// It must keep working after Shutdown.
	Spans func(t testing.TB, want int) []SpanData

	// ValueEqual compares an attribute value as set (want) with the value
	// read back (got). Nil means tracing.Value.Equal. Backends whose wire
	// format changes types (Datadog keeps numbers as float64 metrics)
	// supply a comparison that accepts exactly their documented mapping.
	ValueEqual func(want, got tracing.Value) bool

	// Skip names subtests that cannot hold for this backend, with the
	// reason, which Run prints.
	Skip map[string]string

	// Sequential says only one instance of the backend can be active at a
	// time (its vendor SDK is process-global, as dd-trace-go's is): tests
	// that need a second, "remote" instance then shut the first one down
	// before creating the second.
	Sequential bool

	// WaitAttempts, if set, waits until the receiver has seen at least n
	// export requests (answered, failed or still held), or until timeout,
	// and reports whether it has. RunFaults uses it to know that the
	// backend's first export is under way; Run does not.
	WaitAttempts func(n int, timeout time.Duration) bool

	// Refused, if set, returns how many spans reached the receiver in
	// exports it refused (a payload over its size limit), which RunLimits
	// checks Stats counts as dropped; Run does not use it.
	Refused func() int
}

// NewHarness returns a Harness with a new backend.
type NewHarness func(t *testing.T) Harness

// Run is the conformance suite every backend passes. Each subtest gets a
// fresh backend from newHarness.
func Run(t *testing.T, newHarness NewHarness) {
	t.Helper()
	for _, tc := range conformanceTests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if reason, ok := h.Skip[tc.name]; ok {
				t.Skipf("%s: not applicable to this backend: %s", tc.name, reason)
			}
			if h.Backend == nil || h.Spans == nil {
				t.Fatal("harness has no Backend or Spans hook")
			}
			if h.ValueEqual == nil {
				h.ValueEqual = tracing.Value.Equal
			}
			tr := tracing.New(h.Backend)
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = tr.Shutdown(ctx)
			})
			tc.f(t, &suite{h: h, tr: tr, newHarness: newHarness})
		})
	}
}

type suite struct {
	h          Harness
	tr         *tracing.Tracer
	newHarness NewHarness
}

// spans flushes and reads back at least want spans.
func (s *suite) spans(t *testing.T, want int) []SpanData {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.tr.ForceFlush(ctx); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	got := s.h.Spans(t, want)
	if len(got) < want {
		t.Fatalf("backend exported %d spans, want at least %d", len(got), want)
	}
	return got
}

var conformanceTests = []struct {
	name string
	f    func(t *testing.T, s *suite)
}{
	{"ParentChild", testParentChild},
	{"ContextCarriesSpan", testContextCarriesSpan},
	{"Attributes", testAttributes},
	{"Errors", testErrors},
	{"Status", testStatus},
	{"Events", testEvents},
	{"Kinds", testKinds},
	{"Links", testLinks},
	{"Rename", testRename},
	{"Timestamps", testTimestamps},
	{"Overrides", testOverrides},
	{"RemoteParent", testRemoteParent},
	{"UnsampledParent", testUnsampledParent},
	{"NewRoot", testNewRoot},
	{"EndTwice", testEndTwice},
	{"AfterEnd", testAfterEnd},
	{"BareContext", testBareContext},
	{"Concurrent", testConcurrent},
	{"OneSpanManyGoroutines", testOneSpanManyGoroutines},
	{"Limits", testLimits},
	{"Lossless", testLossless},
	{"Shutdown", testShutdown},
}

func testParentChild(t *testing.T, s *suite) {
	ctx, root := s.tr.Start(context.Background(), "root")
	cctx, child := s.tr.Start(ctx, "child")
	_, grand := s.tr.Start(cctx, "grandchild")
	_, sibling := s.tr.Start(ctx, "sibling")
	grand.End()
	child.End()
	sibling.End()
	root.End()

	got := s.spans(t, 4)
	r, c, g, sib := One(t, got, "root"), One(t, got, "child"), One(t, got, "grandchild"), One(t, got, "sibling")
	if !r.IsRoot() {
		t.Errorf("root has parent %s", r.ParentID)
	}
	if !r.TraceID.IsValid() || !r.SpanID.IsValid() {
		t.Fatalf("root has invalid ids %s/%s", r.TraceID, r.SpanID)
	}
	for _, x := range []SpanData{c, g, sib} {
		if x.TraceID != r.TraceID {
			t.Errorf("%s: trace id %s, want the root's %s", x.Name, x.TraceID, r.TraceID)
		}
	}
	if c.ParentID != r.SpanID || sib.ParentID != r.SpanID {
		t.Errorf("child/sibling parents %s/%s, want %s", c.ParentID, sib.ParentID, r.SpanID)
	}
	if g.ParentID != c.SpanID {
		t.Errorf("grandchild parent %s, want %s", g.ParentID, c.SpanID)
	}
	if c.SpanID == r.SpanID || g.SpanID == c.SpanID || sib.SpanID == c.SpanID {
		t.Error("span ids repeat")
	}
	if rs := root.SpanContext(); rs.TraceID() != r.TraceID || rs.SpanID() != r.SpanID || !rs.IsSampled() {
		t.Errorf("Span.SpanContext %v does not match the exported root %s/%s or is not sampled", rs, r.TraceID, r.SpanID)
	}
	// 128-bit trace ids: the high half is used too.
	if r.TraceID.High64() == 0 {
		t.Errorf("trace id %s is only 64 bits", r.TraceID)
	}
}

func testContextCarriesSpan(t *testing.T, s *suite) {
	ctx, sp := s.tr.Start(context.Background(), "carried")
	if got := tracing.SpanFromContext(ctx).SpanContext(); got != sp.SpanContext() {
		t.Errorf("SpanFromContext(ctx) = %v, want the started span %v", got, sp.SpanContext())
	}
	if !sp.IsRecording() {
		t.Error("a sampled span is not recording")
	}
	// The context from Start still behaves as a context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if cctx.Err() == nil {
		t.Error("a context derived from Start's context does not cancel")
	}
	type key struct{}
	vctx := context.WithValue(context.Background(), key{}, "v")
	vctx, sp2 := s.tr.Start(vctx, "values")
	if vctx.Value(key{}) != "v" {
		t.Error("Start's context lost a value of its parent")
	}
	// Re-attaching a span to another context makes it the parent there.
	other := tracing.ContextWithSpan(context.Background(), sp)
	_, c := s.tr.Start(other, "reattached-child")
	c.End()
	sp2.End()
	sp.End()
	got := s.spans(t, 3)
	if p, ch := One(t, got, "carried"), One(t, got, "reattached-child"); ch.ParentID != p.SpanID {
		t.Errorf("child of a span put in another context by ContextWithSpan has parent %s, want %s", ch.ParentID, p.SpanID)
	}
}

func allTypes() []tracing.Attr {
	return []tracing.Attr{
		tracing.String("s", "hello, wörld"),
		tracing.String("s.empty", ""),
		tracing.Bool("b.true", true),
		tracing.Bool("b.false", false),
		tracing.Int("i", 42),
		tracing.Int64("i.neg", -7),
		tracing.Int64("i.big", 1<<53),
		tracing.Float64("f", 3.25),
		tracing.Float64("f.neg", -0.5),
		tracing.StringSlice("ss", []string{"a", "b", ""}),
		tracing.BoolSlice("bs", []bool{true, false}),
		tracing.Int64Slice("is", []int64{1, -2, 3}),
		tracing.Float64Slice("fs", []float64{1.5, -2.25}),
	}
}

func testAttributes(t *testing.T, s *suite) {
	attrs := allTypes()
	_, sp := s.tr.Start(context.Background(), "attrs-at-start", tracing.WithAttrs(attrs...))
	sp.End()
	_, sp = s.tr.Start(context.Background(), "attrs-set")
	sp.SetAttrs(attrs...)
	// A later value replaces an earlier one; an empty key is dropped.
	sp.SetAttrs(tracing.String("replaced", "old"), tracing.String("", "dropped"))
	sp.SetAttrs(tracing.String("replaced", "new"))
	// The caller may reuse its slice after the call returns.
	reused := []string{"x", "y"}
	sp.SetAttrs(tracing.StringSlice("reused", reused))
	reused[0] = "CHANGED"
	sp.End()

	got := s.spans(t, 2)
	for _, name := range []string{"attrs-at-start", "attrs-set"} {
		d := One(t, got, name)
		for _, want := range attrs {
			v, ok := d.Attr(want.Key)
			if !ok {
				t.Errorf("%s: attribute %q missing", name, want.Key)
				continue
			}
			if !s.h.ValueEqual(want.Value, v) {
				t.Errorf("%s: attribute %q = %v (%v), want %v (%v)", name, want.Key, v, v.Kind(), want.Value, want.Value.Kind())
			}
		}
	}
	d := One(t, got, "attrs-set")
	if v, _ := d.Attr("replaced"); v.String() != "new" {
		t.Errorf("replaced = %q, want new", v)
	}
	if _, ok := d.Attr(""); ok {
		t.Error("attribute with an empty key was kept")
	}
	if v, _ := d.Attr("reused"); !s.h.ValueEqual(tracing.StringSliceValue([]string{"x", "y"}), v) {
		t.Errorf("reused = %v: the backend kept the caller's slice instead of a copy", v)
	}
}

type customError struct{ msg string }

func (e *customError) Error() string { return e.msg }

func testErrors(t *testing.T, s *suite) {
	_, sp := s.tr.Start(context.Background(), "failed")
	sp.RecordError(&customError{"disk on fire"})
	sp.End()

	_, sp = s.tr.Start(context.Background(), "failed-stack")
	sp.RecordError(fmt.Errorf("open config: %w", fs.ErrNotExist), tracing.WithStack())
	sp.End()

	_, sp = s.tr.Start(context.Background(), "nil-error")
	sp.RecordError(nil)
	sp.End()

	got := s.spans(t, 3)
	d := One(t, got, "failed")
	if d.Status != tracing.StatusError {
		t.Errorf("status %v after RecordError, want error", d.Status)
	}
	if d.ErrorMessage != "disk on fire" {
		t.Errorf("error message %q, want %q", d.ErrorMessage, "disk on fire")
	}
	if !strings.Contains(d.ErrorType, "customError") {
		t.Errorf("error type %q, want the Go type *…customError", d.ErrorType)
	}
	if d.ErrorStack != "" {
		t.Errorf("a stack was recorded without WithStack: %q", d.ErrorStack)
	}
	d = One(t, got, "failed-stack")
	if d.ErrorMessage != "open config: file does not exist" || d.ErrorType != "*fmt.wrapError" {
		t.Errorf("wrapped error recorded as %q (%s)", d.ErrorMessage, d.ErrorType)
	}
	if !strings.Contains(d.ErrorStack, "testErrors") {
		t.Errorf("stack %q does not show the caller", d.ErrorStack)
	}
	if d := One(t, got, "nil-error"); d.Status == tracing.StatusError || d.ErrorMessage != "" {
		t.Errorf("RecordError(nil) marked the span: status %v, message %q", d.Status, d.ErrorMessage)
	}
}

func testStatus(t *testing.T, s *suite) {
	_, sp := s.tr.Start(context.Background(), "status-error")
	sp.SetStatus(tracing.StatusError, "upstream returned 503")
	sp.End()
	_, sp = s.tr.Start(context.Background(), "status-ok")
	sp.SetStatus(tracing.StatusOK, "")
	sp.End()
	_, sp = s.tr.Start(context.Background(), "status-unset")
	sp.End()
	got := s.spans(t, 3)
	if d := One(t, got, "status-error"); d.Status != tracing.StatusError || d.StatusMsg != "upstream returned 503" {
		t.Errorf("status-error recorded as %v %q", d.Status, d.StatusMsg)
	}
	if d := One(t, got, "status-ok"); d.Status == tracing.StatusError {
		t.Errorf("status-ok recorded as %v", d.Status)
	}
	if d := One(t, got, "status-unset"); d.Status == tracing.StatusError {
		t.Errorf("status-unset recorded as %v", d.Status)
	}
}

func testEvents(t *testing.T, s *suite) {
	at := time.Now().Add(-time.Second).Truncate(time.Microsecond)
	_, sp := s.tr.Start(context.Background(), "events", tracing.WithStartTime(at.Add(-time.Second)))
	sp.AddEvent("validated", tracing.Int("items", 3), tracing.String("by", "schema"))
	sp.AddEventAt(at, "cache.miss")
	sp.End()
	got := s.spans(t, 1)
	d := One(t, got, "events")
	if len(d.Events) < 2 {
		t.Fatalf("got %d events, want 2", len(d.Events))
	}
	e, ok := d.Event("validated")
	if !ok {
		t.Fatal("event validated missing")
	}
	if v, _ := e.Attr("items"); !s.h.ValueEqual(tracing.Int64Value(3), v) {
		t.Errorf("event attribute items = %v", v)
	}
	if v, _ := e.Attr("by"); v.String() != "schema" {
		t.Errorf("event attribute by = %v", v)
	}
	e2, ok := d.Event("cache.miss")
	if !ok {
		t.Fatal("event cache.miss missing")
	}
	if diff := e2.Time.Sub(at); diff < -time.Millisecond || diff > time.Millisecond {
		t.Errorf("event time %v, want %v", e2.Time, at)
	}
}

func testKinds(t *testing.T, s *suite) {
	kinds := []tracing.SpanKind{tracing.SpanKindInternal, tracing.SpanKindServer, tracing.SpanKindClient, tracing.SpanKindProducer, tracing.SpanKindConsumer}
	for _, k := range kinds {
		_, sp := s.tr.Start(context.Background(), "kind-"+k.String(), tracing.WithKind(k))
		sp.End()
	}
	got := s.spans(t, len(kinds))
	for _, k := range kinds {
		if d := One(t, got, "kind-"+k.String()); d.Kind != k {
			t.Errorf("span of kind %v recorded as %v", k, d.Kind)
		}
	}
}

func testLinks(t *testing.T, s *suite) {
	_, other := s.tr.Start(context.Background(), "linked-to")
	other.End()
	osc := other.SpanContext()
	foreign := tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(0x0102030405060708, 0x090a0b0c0d0e0f10), SpanID: tracing.SpanIDFromUint64(0x1112131415161718),
		TraceFlags: tracing.FlagsSampled, Remote: true,
	})
	_, sp := s.tr.Start(context.Background(), "linking", tracing.WithLinks(
		tracing.Link{SpanContext: osc, Attrs: []tracing.Attr{tracing.String("link.kind", "batch")}},
		tracing.Link{SpanContext: foreign},
		tracing.Link{}, // invalid: dropped
	))
	sp.End()
	got := s.spans(t, 2)
	d := One(t, got, "linking")
	if len(d.Links) != 2 {
		t.Fatalf("got %d links, want 2 (the invalid one dropped): %+v", len(d.Links), d.Links)
	}
	found := map[tracing.SpanID]Link{}
	for _, l := range d.Links {
		found[l.SpanID] = l
	}
	if l, ok := found[osc.SpanID()]; !ok || l.TraceID != osc.TraceID() {
		t.Errorf("link to %v missing or wrong: %+v", osc, d.Links)
	} else if v, _ := attrOf(l.Attrs, "link.kind"); v.String() != "batch" {
		t.Errorf("link attribute link.kind = %v, want batch", v)
	}
	if l, ok := found[foreign.SpanID()]; !ok || l.TraceID != foreign.TraceID() {
		t.Errorf("link to the foreign trace %v missing or wrong: %+v", foreign, d.Links)
	}
	if d.TraceID == foreign.TraceID() || !d.IsRoot() {
		t.Error("a link made the span a child")
	}
}

func testRename(t *testing.T, s *suite) {
	_, sp := s.tr.Start(context.Background(), "GET")
	sp.SetName("GET /notes/{id}")
	sp.SetName("") // ignored
	sp.End()
	if d := One(t, s.spans(t, 1), "GET /notes/{id}"); d.Name != "GET /notes/{id}" {
		t.Errorf("renamed span is %q", d.Name)
	}
}

func testTimestamps(t *testing.T, s *suite) {
	start := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	end := start.Add(1500 * time.Millisecond)
	_, sp := s.tr.Start(context.Background(), "timed", tracing.WithStartTime(start))
	sp.EndAt(end)
	before := time.Now()
	_, sp2 := s.tr.Start(context.Background(), "now")
	sp2.End()
	after := time.Now()
	got := s.spans(t, 2)
	d := One(t, got, "timed")
	if !near(d.Start, start) || !near(d.End, end) {
		t.Errorf("timed span %v…%v, want %v…%v", d.Start, d.End, start, end)
	}
	d = One(t, got, "now")
	if d.Start.Before(before.Add(-time.Millisecond)) || d.End.After(after.Add(time.Millisecond)) || d.End.Before(d.Start) {
		t.Errorf("span timed %v…%v, outside %v…%v", d.Start, d.End, before, after)
	}
}

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

func testOverrides(t *testing.T, s *suite) {
	_, sp := s.tr.Start(context.Background(), "db.query",
		tracing.WithResource("SELECT * FROM notes WHERE id = ?"), tracing.WithService("db"), tracing.WithSpanType(tracing.TypeSQL))
	sp.End()
	_, sp = s.tr.Start(context.Background(), "later")
	sp.SetAttrs(tracing.String(tracing.KeyResource, "GET /calendar"), tracing.String(tracing.KeySpanType, tracing.TypeHTTP))
	sp.End()
	got := s.spans(t, 2)
	d := One(t, got, "db.query")
	if d.Resource != "SELECT * FROM notes WHERE id = ?" || d.Service != "db" || d.Type != "sql" {
		t.Errorf("overrides recorded as resource=%q service=%q type=%q", d.Resource, d.Service, d.Type)
	}
	d = One(t, got, "later")
	if d.Resource != "GET /calendar" || d.Type != "http" {
		t.Errorf("overrides set after start recorded as resource=%q type=%q", d.Resource, d.Type)
	}
}

// testRemoteParent injects on one backend instance and extracts on
// another, as two processes would over HTTP.
func testRemoteParent(t *testing.T, s *suite) {
	ctx, client := s.tr.Start(context.Background(), "client-call", tracing.WithKind(tracing.SpanKindClient))
	bag, err := tracing.Baggage{}.With("tenant", "acme corp")
	if err != nil {
		t.Fatal(err)
	}
	bctx := tracing.ContextWithBaggage(ctx, bag)
	h := http.Header{}
	s.tr.Inject(bctx, tracing.HeaderCarrier(h))
	client.End()
	if len(h) == 0 {
		t.Fatal("Inject wrote no headers")
	}
	var cd SpanData
	if s.h.Sequential {
		cd = One(t, s.spans(t, 1), "client-call")
		if err := s.tr.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown of the first instance: %v", err)
		}
	}

	remote := s.newHarness(t)
	rtr := tracing.New(remote.Backend)
	t.Cleanup(func() { _ = rtr.Shutdown(context.Background()) })
	// Headers arrive canonicalised (net/http) or as a lower-cased map
	// (message metadata); both must work.
	lower := tracing.MapCarrier{}
	for k, v := range h {
		lower[strings.ToLower(k)] = v[0]
	}
	for _, carrier := range []tracing.Carrier{tracing.HeaderCarrier(h), lower} {
		rctx := rtr.Extract(context.Background(), carrier)
		psc := tracing.SpanFromContext(rctx).SpanContext()
		if psc.TraceID() != client.SpanContext().TraceID() || !psc.IsRemote() {
			t.Errorf("extracted %v (remote %v), want trace %s marked remote", psc, psc.IsRemote(), client.SpanContext().TraceID())
		}
		if v, ok := tracing.BaggageFromContext(rctx).Get("tenant"); !ok || v != "acme corp" {
			t.Errorf("baggage tenant = %q, %v after extract; headers %v", v, ok, h)
		}
		_, server := rtr.Start(rctx, "server-handle", tracing.WithKind(tracing.SpanKindServer))
		server.End()
	}
	_ = rtr.ForceFlush(context.Background())

	if !s.h.Sequential {
		cd = One(t, s.spans(t, 1), "client-call")
	}
	rs := Named(remote.Spans(t, 2), "server-handle")
	if len(rs) != 2 {
		t.Fatalf("remote side exported %d server spans, want 2", len(rs))
	}
	for _, sd := range rs {
		if sd.TraceID != cd.TraceID {
			t.Errorf("remote span trace id %s, want %s", sd.TraceID, cd.TraceID)
		}
		if sd.ParentID != cd.SpanID {
			t.Errorf("remote span parent %s, want the client span %s", sd.ParentID, cd.SpanID)
		}
	}
}

func testUnsampledParent(t *testing.T, s *suite) {
	tid := tracing.TraceIDFromUint64s(0x4bf92f3577b34da6, 0xa3ce929d0e0e4736)
	h := http.Header{}
	h.Set("traceparent", "00-"+tid.String()+"-00f067aa0ba902b7-00")
	ctx := s.tr.Extract(context.Background(), tracing.HeaderCarrier(h))
	if sc := tracing.SpanFromContext(ctx).SpanContext(); sc.IsValid() && sc.IsSampled() {
		t.Errorf("extracted an unsampled traceparent as sampled: %v", sc)
	}
	ctx, sp := s.tr.Start(ctx, "unsampled-child")
	if sc := sp.SpanContext(); sc.IsValid() && (sc.TraceID() != tid || sc.IsSampled()) {
		t.Errorf("child of an unsampled parent: %v, want trace %s unsampled", sc, tid)
	}
	out := http.Header{}
	s.tr.Inject(ctx, tracing.HeaderCarrier(out))
	sp.End()
	if tp := out.Get("traceparent"); tp != "" && (!strings.Contains(tp, tid.String()) || !strings.HasSuffix(tp, "-00")) {
		t.Errorf("child injected traceparent %q, want trace %s with flags 00", tp, tid)
	}
}

func testNewRoot(t *testing.T, s *suite) {
	ctx, parent := s.tr.Start(context.Background(), "caller")
	_, sp := s.tr.Start(ctx, "public-entry", tracing.WithNewRoot(), tracing.WithLinks(tracing.Link{SpanContext: parent.SpanContext()}))
	sp.End()
	parent.End()
	got := s.spans(t, 2)
	c, p := One(t, got, "public-entry"), One(t, got, "caller")
	if c.TraceID == p.TraceID || !c.IsRoot() {
		t.Errorf("WithNewRoot span is in trace %s with parent %s, want a new root", c.TraceID, c.ParentID)
	}
	if len(c.Links) != 1 || c.Links[0].SpanID != p.SpanID {
		t.Errorf("WithNewRoot span links %+v, want one to the caller", c.Links)
	}
}

func testEndTwice(t *testing.T, s *suite) {
	start := time.Now().Add(-time.Minute)
	_, sp := s.tr.Start(context.Background(), "end-twice", tracing.WithStartTime(start))
	end := start.Add(time.Second)
	sp.EndAt(end)
	sp.EndAt(end.Add(time.Hour))
	sp.End()
	_, marker := s.tr.Start(context.Background(), "marker")
	marker.End()
	got := s.spans(t, 2)
	if n := len(Named(got, "end-twice")); n != 1 {
		t.Fatalf("span ended three times was exported %d times", n)
	}
	if d := One(t, got, "end-twice"); !near(d.End, end) {
		t.Errorf("end time %v, want the first End's %v", d.End, end)
	}
}

func testAfterEnd(t *testing.T, s *suite) {
	_, sp := s.tr.Start(context.Background(), "after-end")
	sp.SetAttrs(tracing.String("before", "yes"))
	sp.End()
	sp.SetAttrs(tracing.String("after", "yes"))
	sp.AddEvent("after")
	sp.SetName("renamed-after-end")
	sp.RecordError(errors.New("after"))
	if sp.IsRecording() {
		t.Error("IsRecording after End")
	}
	got := s.spans(t, 1)
	d := One(t, got, "after-end")
	if _, ok := d.Attr("before"); !ok {
		t.Error("attribute set before End missing")
	}
	if _, ok := d.Attr("after"); ok {
		t.Error("attribute set after End was kept")
	}
	if _, ok := d.Event("after"); ok || d.Status == tracing.StatusError {
		t.Error("event or error after End was kept")
	}
}

func testBareContext(t *testing.T, s *suite) {
	sp := tracing.SpanFromContext(context.Background())
	//lint:ignore SA1012 a nil context is what this checks
	sp2 := tracing.SpanFromContext(nil)
	for _, x := range []tracing.Span{sp, sp2, {}} {
		if x.SpanContext().IsValid() || x.IsRecording() {
			t.Errorf("span from a bare context is %v, recording %v", x.SpanContext(), x.IsRecording())
		}
		// Every method is a harmless no-op.
		x.SetAttrs(tracing.String("k", "v"))
		x.AddEvent("e")
		x.RecordError(errors.New("x"), tracing.WithStack())
		x.SetStatus(tracing.StatusError, "x")
		x.SetName("x")
		x.End()
		x.EndAt(time.Now())
	}
	//lint:ignore SA1012 a nil context and an empty name are what this checks
	ctx, root := s.tr.Start(nil, "")
	if ctx == nil {
		t.Fatal("Start(nil ctx) returned a nil context")
	}
	root.End()
	got := s.spans(t, 1)
	if d := One(t, got, "unnamed"); !d.IsRoot() {
		t.Error("span started from a nil context has a parent")
	}
	// Inject and Extract with nil carriers do nothing.
	s.tr.Inject(ctx, nil)
	if s.tr.Extract(ctx, nil) != ctx {
		t.Error("Extract with a nil carrier changed the context")
	}
}

func testConcurrent(t *testing.T, s *suite) {
	const goroutines, each = 16, 40
	ctx, shared := s.tr.Start(context.Background(), "shared")
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				cctx, sp := s.tr.Start(ctx, "worker", tracing.WithAttrs(tracing.Int("g", g), tracing.Int("i", i)))
				_, inner := s.tr.Start(cctx, "inner")
				shared.SetAttrs(tracing.Int(fmt.Sprintf("g%d", g), i))
				shared.AddEvent("tick")
				inner.End()
				sp.End()
				if i == each-1 {
					shared.End() // racing with the others' SetAttrs
				}
			}
		})
	}
	wg.Wait()
	shared.End()
	want := goroutines*each*2 + 1
	got := s.spans(t, want)
	if n := len(Named(got, "worker")); n != goroutines*each {
		t.Errorf("got %d worker spans, want %d", n, goroutines*each)
	}
	if n := len(Named(got, "inner")); n != goroutines*each {
		t.Errorf("got %d inner spans, want %d", n, goroutines*each)
	}
	seen := map[tracing.SpanID]bool{}
	for _, d := range got {
		if seen[d.SpanID] {
			t.Fatalf("span id %s used twice", d.SpanID)
		}
		seen[d.SpanID] = true
	}
}

// testOneSpanManyGoroutines: 100 goroutines use one span at once, each
// calling every method, End included; the race detector watches. The span
// is exported once, and nothing panics.
func testOneSpanManyGoroutines(t *testing.T, s *suite) {
	const goroutines = 100
	_, sp := s.tr.Start(context.Background(), "contended")
	sc := sp.SpanContext()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range 10 {
				sp.SetAttrs(tracing.Int(fmt.Sprintf("g%d", g%20), i), tracing.String("shared", "v"))
				sp.AddEvent("tick", tracing.Int("g", g))
				sp.RecordError(fmt.Errorf("failure %d/%d", g, i))
				sp.SetName(fmt.Sprintf("contended-%d", g%3))
				sp.SetStatus(tracing.StatusError, "x")
				_ = sp.IsRecording()
				_ = sp.SpanContext()
				if i == 5 {
					sp.End()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	sp.End()
	_, marker := s.tr.Start(context.Background(), "marker")
	marker.End()
	got := s.spans(t, 2)
	n := 0
	for _, d := range got {
		if d.SpanID == sc.SpanID() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the contended span was exported %d times, want once", n)
	}
}

// testLimits: a 10 MB value never reaches the wire whole, in an attribute,
// an event or an error, and neither that nor a span with a thousand
// attributes and events breaks the other spans exported with it.
func testLimits(t *testing.T, s *suite) {
	big := strings.Repeat("0123456789", 1<<20) // 10 MiB
	_, sp := s.tr.Start(context.Background(), "big-attr", tracing.WithAttrs(tracing.String("big", big)))
	sp.SetAttrs(tracing.StringSlice("bigs", []string{"small", big}))
	sp.End()
	_, sp = s.tr.Start(context.Background(), "big-event")
	sp.AddEvent("dump", tracing.String("body", big))
	sp.End()
	_, sp = s.tr.Start(context.Background(), "big-error")
	sp.RecordError(errors.New(big))
	sp.End()
	_, sp = s.tr.Start(context.Background(), "many")
	for i := range 1000 {
		sp.SetAttrs(tracing.Int(fmt.Sprintf("a%04d", i), i))
		sp.AddEvent("e", tracing.Int("i", i))
	}
	sp.End()
	for i := range 20 {
		_, small := s.tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
		small.End()
	}

	got := s.spans(t, 24)
	if n := len(Named(got, "neighbour")); n != 20 {
		t.Errorf("%d of the 20 spans exported with the big ones arrived", n)
	}
	cut := func(what, v string) {
		t.Helper()
		switch {
		case len(v) == len(big):
			t.Errorf("%s: the 10 MB value reached the wire whole", what)
		case v == "" || !strings.HasPrefix(big, v):
			t.Errorf("%s: sent %d bytes that are not a prefix of the value", what, len(v))
		}
	}
	d := One(t, got, "big-attr")
	v, _ := d.Attr("big")
	cut("attribute", v.String())
	if v, _ := d.Attr("bigs"); len(v.String()) >= len(big) {
		t.Errorf("string slice attribute: %d bytes sent", len(v.String()))
	}
	d = One(t, got, "big-event")
	if e, ok := d.Event("dump"); !ok {
		t.Error("the event with a big attribute is missing")
	} else {
		v, _ := e.Attr("body")
		cut("event attribute", v.String())
	}
	d = One(t, got, "big-error")
	cut("error message", d.ErrorMessage)
	d = One(t, got, "many")
	// Every backend bounds attributes and events per span (128 each by
	// default); vendors add a few tags of their own.
	if len(d.Attrs) > 200 {
		t.Errorf("a span given 1000 attributes sent %d", len(d.Attrs))
	}
	if len(d.Events) == 0 || len(d.Events) > 129 {
		t.Errorf("a span given 1000 events sent %d", len(d.Events))
	}
}

// testLossless: 10,000 spans (100 traces of 100) ended before Shutdown all
// arrive, once each; Stats, if the backend reports it, agrees.
func testLossless(t *testing.T, s *suite) {
	const traces, per = 100, 100
	for i := range traces {
		ctx, root := s.tr.Start(context.Background(), "lossless", tracing.WithAttrs(tracing.Int("trace", i)))
		for range per - 1 {
			_, c := s.tr.Start(ctx, "lossless")
			c.End()
		}
		root.End()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	got := Named(s.h.Spans(t, traces*per), "lossless")
	seen := map[tracing.SpanID]bool{}
	for _, d := range got {
		if seen[d.SpanID] {
			t.Fatalf("span %s exported twice", d.SpanID)
		}
		seen[d.SpanID] = true
	}
	if len(seen) != traces*per {
		t.Errorf("%d of %d spans ended before Shutdown arrived", len(seen), traces*per)
	}
	if _, ok := s.tr.Backend().(tracing.StatsReporter); ok {
		st := s.tr.Stats()
		if st.Ended != traces*per || st.Dropped != 0 || (st.Exported != 0 && st.Exported != traces*per) {
			t.Errorf("Stats %+v, want %d ended, none dropped", st, traces*per)
		}
	}
}

func testShutdown(t *testing.T, s *suite) {
	const n = 300
	for i := range n {
		_, sp := s.tr.Start(context.Background(), "before-shutdown", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	// A span started before Shutdown and ended after it.
	_, straddle := s.tr.Start(context.Background(), "straddling")
	_, reports := s.tr.Backend().(tracing.StatsReporter)
	before := s.tr.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := s.tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	straddle.End()
	for range 10 {
		_, sp := s.tr.Start(context.Background(), "after-shutdown")
		sp.SetAttrs(tracing.String("k", "v"))
		sp.End()
	}
	if err := s.tr.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	// What ended after Shutdown is dropped silently, and counted: the
	// straddling span by the backend, the ten started after Shutdown by
	// the Tracer.
	if after := s.tr.Stats(); reports && after.Dropped-before.Dropped != 11 {
		t.Errorf("Stats().Dropped went from %d to %d, want 11 more (1 span ended and 10 started after Shutdown)", before.Dropped, after.Dropped)
	} else if !reports && after.Dropped != 10 {
		t.Errorf("Stats().Dropped = %d, want the 10 spans started after Shutdown", after.Dropped)
	}
	got := s.h.Spans(t, n)
	if c := len(Named(got, "before-shutdown")); c != n {
		t.Errorf("%d of %d spans ended before Shutdown were exported", c, n)
	}
	if c := len(Named(got, "after-shutdown")); c != 0 {
		t.Errorf("%d spans started after Shutdown were exported", c)
	}
	seen := map[int64]bool{}
	for _, d := range Named(got, "before-shutdown") {
		v, _ := d.Attr("i")
		i := asInt(v)
		if seen[i] {
			t.Errorf("span %d exported twice", i)
		}
		seen[i] = true
	}
}
