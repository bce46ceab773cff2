package interop_test

import (
	"context"
	"database/sql/driver"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	sqltrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/database/sql"
	httptrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/net/http"
	v1tracer "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// TestInteropDDUnderFacade: dd-trace-go's v1 and v2 APIs find a facade
// span in the context and nest under it, and facade spans nest under
// theirs.
func TestInteropDDUnderFacade(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)

	ctx, root := tr.Start(bg(), "facade.root")
	rootID := root.SpanContext().SpanID().Uint64()
	if s, ok := v2tracer.SpanFromContext(ctx); !ok || s.Context().SpanID() != rootID || s != ddbackend.DDSpan(root) {
		t.Errorf("v2 SpanFromContext on a facade context: %v %v", s, ok)
	}
	if s, ok := v1tracer.SpanFromContext(ctx); !ok || s.Context().SpanID() != rootID {
		t.Errorf("v1 SpanFromContext on a facade context: %v %v", s, ok)
	}
	v2span, v2ctx := v2tracer.StartSpanFromContext(ctx, "v2.child")
	v1span, v1ctx := v1tracer.StartSpanFromContext(v2ctx, "v1.grandchild")
	_, inner := tr.Start(v1ctx, "facade.under.v1")
	inner.End()
	v1span.Finish()
	v2span.Finish()
	// A facade span re-attached with ContextWithSpan is found by dd too.
	re := tracing.ContextWithSpan(bg(), root)
	if s, ok := v2tracer.SpanFromContext(re); !ok || s.Context().SpanID() != rootID {
		t.Error("dd-trace-go does not see a span attached with tracing.ContextWithSpan")
	}
	root.End()

	shutdown(t, b)
	spans := a.Spans()
	r, c, g, i := ddtest.SpanNamed(t, spans, "facade.root"), ddtest.SpanNamed(t, spans, "v2.child"), ddtest.SpanNamed(t, spans, "v1.grandchild"), ddtest.SpanNamed(t, spans, "facade.under.v1")
	for _, pair := range [][2]ddtest.Span{{c, r}, {g, c}, {i, g}} {
		if pair[0].ParentID != pair[1].SpanID || pair[0].TraceID != r.TraceID {
			t.Errorf("%s: parent %d trace %d, want parent %s %d trace %d", pair[0].Name, pair[0].ParentID, pair[0].TraceID, pair[1].Name, pair[1].SpanID, r.TraceID)
		}
	}
}

// TestInteropFacadeUnderDD: a trace begun with dd-trace-go's v1 API
// continues through facade spans.
func TestInteropFacadeUnderDD(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	v1root, ctx := v1tracer.StartSpanFromContext(bg(), "v1.root")
	fctx, f := tr.Start(ctx, "facade.child")
	v2span, _ := v2tracer.StartSpanFromContext(fctx, "v2.grandchild")
	v2span.Finish()
	f.End()
	v1root.Finish()
	shutdown(t, b)
	spans := a.Spans()
	r, c, g := ddtest.SpanNamed(t, spans, "v1.root"), ddtest.SpanNamed(t, spans, "facade.child"), ddtest.SpanNamed(t, spans, "v2.grandchild")
	if c.ParentID != r.SpanID || g.ParentID != c.SpanID || c.TraceID != r.TraceID || g.TraceID != r.TraceID {
		t.Errorf("chain root %d ← %d (parent %d) ← %d (parent %d)", r.SpanID, c.SpanID, c.ParentID, g.SpanID, g.ParentID)
	}
}

// TestInteropContribHTTP: dd-trace-go v1's net/http contrib on both sides
// of a request, with facade spans around and inside: facade server span →
// contrib client span → (headers) → contrib server span → facade span.
func TestInteropContribHTTP(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sp := tr.Start(r.Context(), "calendar.lookup")
		sp.End()
		_, _ = io.WriteString(w, `"2026-01-01"`)
	})
	srv := httptest.NewServer(httptrace.WrapHandler(handler, "calendar", "GET /calendar"))
	defer srv.Close()
	client := httptrace.WrapClient(&http.Client{Transport: &http.Transport{}},
		httptrace.RTWithResourceNamer(func(r *http.Request) string { return r.Method + " " + r.URL.Path }))
	defer client.CloseIdleConnections()

	ctx, root := tr.Start(bg(), "POST /notes", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "POST")))
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/calendar", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	root.End()
	srv.Close()
	shutdown(t, b)

	spans := a.Spans()
	r := ddtest.SpanNamed(t, spans, "POST /notes")
	var contribClient, contribServer ddtest.Span
	for _, s := range spans {
		switch s.Meta["span.kind"] {
		case "client":
			contribClient = s
		case "server":
			if s.SpanID != r.SpanID {
				contribServer = s
			}
		}
	}
	inner := ddtest.SpanNamed(t, spans, "calendar.lookup")
	if contribClient.Resource != "GET /calendar" || contribServer.Service != "calendar" {
		t.Fatalf("contrib spans not found: %+v %+v", contribClient, contribServer)
	}
	chain := []ddtest.Span{r, contribClient, contribServer, inner}
	for i := 1; i < len(chain); i++ {
		if chain[i].ParentID != chain[i-1].SpanID || chain[i].TraceID != r.TraceID {
			t.Errorf("%s/%s: parent %d, want %s/%s %d", chain[i].Name, chain[i].Resource, chain[i].ParentID, chain[i-1].Name, chain[i-1].Resource, chain[i-1].SpanID)
		}
	}
}

// TestInteropContribSQL: dd-trace-go v1's database/sql contrib nests its
// query spans under the facade's.
func TestInteropContribSQL(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	registerFakeDriver()
	db, err := sqltrace.Open("polytrace-fake", "", sqltrace.WithServiceName("db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, sp := tr.Start(bg(), "GetNote")
	if _, err := db.ExecContext(ctx, "UPDATE notes SET description = ? WHERE id = ?", "x", 1); err != nil {
		t.Fatal(err)
	}
	sp.End()
	db.Close()
	shutdown(t, b)
	spans := a.Spans()
	parent := ddtest.SpanNamed(t, spans, "GetNote")
	q := ddtest.SpanWithResource(t, spans, "UPDATE notes SET description = ? WHERE id = ?")
	if c := ddtest.SpanWithResource(t, spans, "Connect"); c.ParentID != parent.SpanID {
		t.Errorf("contrib Connect span parent %d, want %d", c.ParentID, parent.SpanID)
	}
	if q.ParentID != parent.SpanID || q.Name != "polytrace-fake.query" || q.Service != "db" || q.Resource != "UPDATE notes SET description = ? WHERE id = ?" || q.Type != "sql" {
		t.Errorf("contrib sql span %s/%s/%s/%s parent %d, want parent %d", q.Name, q.Service, q.Resource, q.Type, q.ParentID, parent.SpanID)
	}
}

var registerOnce sync.Once

func registerFakeDriver() {
	registerOnce.Do(func() { sqltrace.Register("polytrace-fake", fakeDriver{}) })
}

// fakeDriver is the least database/sql driver: every statement succeeds.
type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{}, nil }

type fakeConn struct{}

func (fakeConn) Prepare(string) (driver.Stmt, error) { return fakeStmt{}, nil }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, driver.ErrSkip }
func (fakeConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}

type fakeStmt struct{}

func (fakeStmt) Close() error                               { return nil }
func (fakeStmt) NumInput() int                              { return -1 }
func (fakeStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (fakeStmt) Query([]driver.Value) (driver.Rows, error)  { return nil, driver.ErrSkip }
