package otshim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otshim"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestNesting interleaves facade spans and spans started by unchanged
// OpenTracing call sites (StartSpanFromContext) in one context chain: each
// must be the child of the one before, whatever the backend.
func TestNesting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		ctx, root := tr.Start(context.Background(), "facade-root", tracing.WithKind(tracing.SpanKindServer))
		legacy, lctx := opentracing.StartSpanFromContextWithTracer(ctx, shim, "legacy")
		ictx, inner := tr.Start(lctx, "facade-inner")
		legacy2, l2ctx := opentracing.StartSpanFromContextWithTracer(ictx, shim, "legacy-inner")
		_, leaf := tr.Start(l2ctx, "facade-leaf")
		if got := opentracing.SpanFromContext(l2ctx); got != legacy2 {
			t.Errorf("opentracing.SpanFromContext = %v, want the shim's span", got)
		}
		if got, want := tracing.SpanFromContext(lctx).SpanContext(), legacy.Context(); !sameAs(got, want) {
			t.Errorf("tracing.SpanFromContext(ctx of legacy) = %v, want the legacy span", got)
		}
		leaf.End()
		legacy2.Finish()
		inner.End()
		legacy.Finish()
		root.End()

		got := spans(t, 5)
		chain := []string{"facade-root", "legacy", "facade-inner", "legacy-inner", "facade-leaf"}
		for i := 1; i < len(chain); i++ {
			p, c := one(t, got, chain[i-1]), one(t, got, chain[i])
			if c.ParentID != p.SpanID || c.TraceID != p.TraceID {
				t.Errorf("%s: parent %s in trace %s, want %s (%s) in %s", c.Name, c.ParentID, c.TraceID, p.SpanID, p.Name, p.TraceID)
			}
		}
	})
}

func sameAs(sc tracing.SpanContext, osc opentracing.SpanContext) bool {
	want, ok := otshim.SpanContext(osc)
	return ok && sc.SpanID() == want.SpanID() && sc.TraceID() == want.TraceID()
}

// TestGlobalTracer is the one line a legacy service adds.
func TestGlobalTracer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		prevT, prevOT := tracing.Default(), opentracing.GlobalTracer()
		t.Cleanup(func() { tracing.SetDefault(prevT); opentracing.SetGlobalTracer(prevOT) })
		tracing.SetDefault(tr)

		opentracing.SetGlobalTracer(otshim.New())

		ctx, root := tracing.Start(context.Background(), "handler")
		sp, _ := opentracing.StartSpanFromContext(ctx, "legacy-call", ext.SpanKindRPCClient)
		sp.Finish()
		root.End()
		got := spans(t, 2)
		r, c := one(t, got, "handler"), one(t, got, "legacy-call")
		if c.ParentID != r.SpanID || c.Kind != tracing.SpanKindClient {
			t.Errorf("legacy-call: parent %s kind %v, want %s client", c.ParentID, c.Kind, r.SpanID)
		}
	})
}

func TestReferences(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		root := shim.StartSpan("root")
		child := shim.StartSpan("child", opentracing.ChildOf(root.Context()))
		follower := shim.StartSpan("follower", opentracing.FollowsFrom(root.Context()))
		other := shim.StartSpan("other")
		both := shim.StartSpan("both", opentracing.FollowsFrom(other.Context()), opentracing.ChildOf(child.Context()))
		for _, s := range []opentracing.Span{both, other, follower, child, root} {
			s.Finish()
		}
		got := spans(t, 5)
		r, c, f, o, bo := one(t, got, "root"), one(t, got, "child"), one(t, got, "follower"), one(t, got, "other"), one(t, got, "both")
		if !r.IsRoot() || !o.IsRoot() || o.TraceID == r.TraceID {
			t.Errorf("spans started without references are not separate roots")
		}
		if c.ParentID != r.SpanID || c.TraceID != r.TraceID {
			t.Errorf("ChildOf: parent %s, want %s", c.ParentID, r.SpanID)
		}
		if f.ParentID != r.SpanID || f.TraceID != r.TraceID {
			t.Errorf("FollowsFrom alone: parent %s, want %s (documented: a child)", f.ParentID, r.SpanID)
		}
		if bo.ParentID != c.SpanID {
			t.Errorf("ChildOf after FollowsFrom: parent %s, want the ChildOf %s", bo.ParentID, c.SpanID)
		}
		if len(bo.Links) != 1 || bo.Links[0].SpanID != o.SpanID || bo.Links[0].TraceID != o.TraceID {
			t.Fatalf("FollowsFrom beside ChildOf: links %+v, want one to %s", bo.Links, o.SpanID)
		}
		if v, _ := attrOf(bo.Links[0].Attrs, "opentracing.ref_type"); v.String() != "follows_from" {
			t.Errorf("link attribute opentracing.ref_type = %q, want follows_from", v)
		}
	})
}

func attrOf(attrs []tracing.Attr, key string) (tracing.Value, bool) {
	for i := len(attrs) - 1; i >= 0; i-- {
		if attrs[i].Key == key {
			return attrs[i].Value, true
		}
	}
	return tracing.Value{}, false
}

func TestTags(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		start := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
		sp := shim.StartSpan("GET", opentracing.StartTime(start), opentracing.Tag{Key: "component", Value: "net/http"})
		ext.SpanKindRPCServer.Set(sp) // before first use: the span's kind
		sp.SetOperationName("GET /notes/{id}")
		ext.HTTPMethod.Set(sp, "GET")
		ext.HTTPStatusCode.Set(sp, 503)
		ext.HTTPUrl.Set(sp, "https://user:secret@notes.example/notes/7?token=abc")
		sp.SetTag("resource.name", "GET /notes/{id}")
		sp.SetTag("items", 3)
		sp.SetTag("ratio", 0.5)
		sp.SetTag("nil", nil)
		ext.Error.Set(sp, true)
		sp.FinishWithOptions(opentracing.FinishOptions{FinishTime: start.Add(2 * time.Second)})

		q := shim.StartSpan("query")
		_ = q.Context() // started
		ext.DBStatement.Set(q, "SELECT * FROM notes WHERE id = ?")
		ext.DBType.Set(q, "sql")
		q.SetTag("service.name", "db")
		q.SetTag("span.type", "sql")
		q.Finish()

		got := spans(t, 2)
		d := one(t, got, "GET /notes/{id}")
		if d.Kind != tracing.SpanKindServer || d.Status != tracing.StatusError || d.Resource != "GET /notes/{id}" {
			t.Errorf("kind %v status %v resource %q, want server error GET /notes/{id}", d.Kind, d.Status, d.Resource)
		}
		if !near(d.Start, start) || !near(d.End, start.Add(2*time.Second)) {
			t.Errorf("span %v…%v, want %v…%v", d.Start, d.End, start, start.Add(2*time.Second))
		}
		want := map[string]tracing.Value{
			"http.request.method":       tracing.StringValue("GET"),
			"http.response.status_code": tracing.Int64Value(503),
			"url.full":                  tracing.StringValue("https://notes.example/notes/7"),
			"component":                 tracing.StringValue("net/http"),
			"items":                     tracing.Int64Value(3),
			"ratio":                     tracing.Float64Value(0.5),
		}
		for k, w := range want {
			if v, ok := d.Attr(b.key(k)); !ok || !b.wantEqual(k, w, v) {
				t.Errorf("attribute %s = %v (%v), want %v", b.key(k), v, ok, w)
			}
		}
		if _, ok := d.Attr("nil"); ok {
			t.Error("a nil tag value was recorded")
		}
		for _, a := range d.Attrs {
			if strings.Contains(a.Value.String(), "secret") || strings.Contains(a.Value.String(), "token") {
				t.Errorf("attribute %s keeps a secret: %q", a.Key, a.Value)
			}
		}
		qd := one(t, got, "query")
		if v, _ := qd.Attr(b.key("db.query.text")); v.String() != "SELECT * FROM notes WHERE id = ?" {
			t.Errorf("%s = %q", b.key("db.query.text"), v)
		}
		if qd.Service != "db" || qd.Type != "sql" {
			t.Errorf("overrides set after start: service %q type %q", qd.Service, qd.Type)
		}
	})
}

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

type timeoutError struct{}

func (timeoutError) Error() string { return "upstream timed out" }

func TestLogs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		at := time.Now().Add(-time.Second).Truncate(time.Microsecond)

		sp := shim.StartSpan("logs")
		sp.LogFields(log.String("event", "cache.miss"), log.Int("items", 3))
		sp.LogKV("event", "retry", "attempt", 2)
		sp.LogKV("odd") // an error of the caller: recorded, not fatal
		sp.FinishWithOptions(opentracing.FinishOptions{LogRecords: []opentracing.LogRecord{
			{Timestamp: at, Fields: []log.Field{log.String("event", "queued")}},
		}})

		e1 := shim.StartSpan("error-object")
		e1.LogFields(log.Error(timeoutError{}))
		e1.Finish()

		e2 := shim.StartSpan("error-fields")
		e2.LogKV("event", "error", "error.kind", "Timeout", "message", "gave up after 3 tries", "stack", "main.fetch\n\tmain.go:12")
		e2.Finish()

		var typedNil *timeoutError
		e3 := shim.StartSpan("error-nil")
		e3.LogFields(log.Object("error.object", typedNil), log.Lazy(func(log.Encoder) { panic("lazy") }))
		e3.Finish()

		got := spans(t, 4)
		d := one(t, got, "logs")
		if e, ok := d.Event("cache.miss"); !ok {
			t.Error("event cache.miss missing")
		} else if v, _ := e.Attr("items"); v.AsInt64() != 3 {
			t.Errorf("cache.miss items = %v", v)
		}
		if e, ok := d.Event("retry"); !ok {
			t.Error("event retry missing")
		} else if v, _ := e.Attr("attempt"); v.AsInt64() != 2 {
			t.Errorf("retry attempt = %v", v)
		}
		if e, ok := d.Event("queued"); !ok || !near(e.Time, at) {
			t.Errorf("event queued at %v (%v), want %v", e.Time, ok, at)
		}
		if d.Status == tracing.StatusError {
			t.Error("a span without an error log was marked failed")
		}
		d = one(t, got, "error-object")
		if d.Status != tracing.StatusError || d.ErrorMessage != "upstream timed out" || !strings.Contains(d.ErrorType, "timeoutError") {
			t.Errorf("log.Error: status %v message %q type %q", d.Status, d.ErrorMessage, d.ErrorType)
		}
		d = one(t, got, "error-fields")
		if d.Status != tracing.StatusError || d.ErrorMessage != "gave up after 3 tries" || d.ErrorType != "Timeout" ||
			!strings.Contains(d.ErrorStack, "main.go:12") {
			t.Errorf("event=error: status %v message %q type %q stack %q", d.Status, d.ErrorMessage, d.ErrorType, d.ErrorStack)
		}
		one(t, got, "error-nil") // ended despite the bad fields
	})
}

func TestBaggage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		bag, _ := tracing.Baggage{}.With("tenant", "acme")
		ctx := tracing.ContextWithBaggage(context.Background(), bag)
		ctx, root := tr.Start(ctx, "root")

		sp, sctx := opentracing.StartSpanFromContextWithTracer(ctx, shim, "legacy")
		if v := sp.BaggageItem("tenant"); v != "acme" {
			t.Errorf("BaggageItem(tenant) = %q, want the facade's acme", v)
		}
		sp.SetBaggageItem("user", "u-7")
		sp.SetBaggageItem("bad key", "x") // not an HTTP token: ignored
		child := shim.StartSpan("child", opentracing.ChildOf(sp.Context()))
		if v := child.BaggageItem("user"); v != "u-7" {
			t.Errorf("child BaggageItem(user) = %q", v)
		}
		items := map[string]string{}
		child.Context().ForeachBaggageItem(func(k, v string) bool { items[k] = v; return true })
		if items["tenant"] != "acme" || items["user"] != "u-7" || len(items) != 2 {
			t.Errorf("ForeachBaggageItem = %v", items)
		}
		// A child started from the legacy span's context later inherits
		// the item set on the legacy span since.
		fromCtx, fctx := opentracing.StartSpanFromContextWithTracer(sctx, shim, "from-ctx")
		if v, _ := tracing.BaggageFromContext(fctx).Get("user"); v != "u-7" || fromCtx.BaggageItem("user") != "u-7" {
			t.Errorf("baggage of a span started from the context: %q / %q", v, fromCtx.BaggageItem("user"))
		}
		h := http.Header{}
		if err := shim.Inject(child.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		if got := h.Get("baggage"); !strings.Contains(got, "tenant=acme") || !strings.Contains(got, "user=u-7") {
			t.Errorf("injected baggage %q", got)
		}
		fromCtx.Finish()
		child.Finish()
		sp.Finish()
		root.End()
		spans(t, 4)
	})
}

func TestInjectExtract(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		client := shim.StartSpan("client", ext.SpanKindRPCClient)
		h := http.Header{}
		if err := shim.Inject(client.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		tm := opentracing.TextMapCarrier{}
		if err := shim.Inject(client.Context(), opentracing.TextMap, tm); err != nil {
			t.Fatal(err)
		}
		for _, k := range append([]string{"traceparent"}, b.headers...) {
			if h.Get(k) == "" {
				t.Errorf("Inject wrote no %s: %v", k, h)
			}
		}
		var servers []opentracing.Span
		for _, c := range []struct {
			format  any
			carrier any
		}{{opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)}, {opentracing.TextMap, tm}} {
			wire, err := shim.Extract(c.format, c.carrier)
			if err != nil {
				t.Fatalf("Extract %v: %v", c.format, err)
			}
			sc, ok := otshim.SpanContext(wire)
			if !ok || !sc.IsRemote() {
				t.Errorf("extracted span context %v is not valid and remote", sc)
			}
			servers = append(servers, shim.StartSpan("server", ext.RPCServerOption(wire)))
		}
		for _, s := range servers {
			s.Finish()
		}
		client.Finish()

		if err := shim.Inject(client.Context(), opentracing.Binary, new(strings.Builder)); !errors.Is(err, opentracing.ErrUnsupportedFormat) {
			t.Errorf("Inject Binary: %v, want ErrUnsupportedFormat", err)
		}
		if _, err := shim.Extract(opentracing.Binary, strings.NewReader("")); !errors.Is(err, opentracing.ErrUnsupportedFormat) {
			t.Errorf("Extract Binary: %v, want ErrUnsupportedFormat", err)
		}
		if err := shim.Inject(client.Context(), opentracing.HTTPHeaders, 42); !errors.Is(err, opentracing.ErrInvalidCarrier) {
			t.Errorf("Inject into an int: %v, want ErrInvalidCarrier", err)
		}
		if err := shim.Inject(nil, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{})); !errors.Is(err, opentracing.ErrInvalidSpanContext) {
			t.Errorf("Inject nil: %v, want ErrInvalidSpanContext", err)
		}
		if _, err := shim.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{"Traceparent": {"garbage"}})); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
			t.Errorf("Extract of garbage: %v, want ErrSpanContextNotFound", err)
		}

		got := spans(t, 3)
		cd := one(t, got, "client")
		srv := tracingtest.Named(got, "server")
		if len(srv) != 2 {
			t.Fatalf("got %d server spans, want 2", len(srv))
		}
		for _, s := range srv {
			if s.TraceID != cd.TraceID || s.ParentID != cd.SpanID || s.Kind != tracing.SpanKindServer {
				t.Errorf("server span %s/%s kind %v, want a server child of %s/%s", s.TraceID, s.ParentID, s.Kind, cd.TraceID, cd.SpanID)
			}
		}
	})
}

// TestConcurrentUse uses one shim span from several goroutines while it
// finishes; run with -race.
func TestConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend, tr *tracing.Tracer, spans spansFunc) {
		shim := otshim.New(otshim.WithTracer(tr))
		sp := shim.StartSpan("shared")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 20 {
					sp.SetTag("k", j)
					sp.LogKV("event", "tick", "g", i)
					_ = sp.Context()
					sp.SetBaggageItem("g", "v")
					_ = sp.BaggageItem("g")
					c, _ := opentracing.StartSpanFromContextWithTracer(opentracing.ContextWithSpan(context.Background(), sp), shim, "child")
					c.Finish()
					if i == 0 && j == 10 {
						sp.Finish()
					}
				}
			})
		}
		wg.Wait()
		got := spans(t, 161)
		if n := len(tracingtest.Named(got, "shared")); n != 1 {
			t.Errorf("shared span exported %d times", n)
		}
		s := one(t, got, "shared")
		for _, c := range tracingtest.Named(got, "child") {
			if c.ParentID != s.SpanID {
				t.Fatalf("child parent %s, want %s", c.ParentID, s.SpanID)
			}
		}
	})
}
