package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// openFake opens a database over a fake driver whose connection records
// the SQL it receives; it has every optional interface.
func openFake(t *testing.T, conn *fakeConn, opts ...Option) *sql.DB {
	t.Helper()
	conn.log = &callLog{}
	name := uniqueName("fake")
	Register(name, &fakeDriver{log: conn.log, conn: conn}, opts...)
	db, err := sql.Open(name, "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestTraceComment(t *testing.T) {
	const q = "UPDATE notes SET done = 1 WHERE id = 7"
	for _, tc := range []struct {
		pos  CommentPosition
		want func(comment string) string
	}{
		{CommentOff, func(string) string { return q }},
		{CommentPrepend, func(c string) string { return c + " " + q }},
		{CommentAppend, func(c string) string { return q + "\n" + c }},
	} {
		rec, tr, ctx, req := newRecorder(t)
		conn := &fakeConn{}
		db := openFake(t, conn, WithTracer(tr), WithTraceComment(tc.pos))
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		req.End()
		s, ok := rec.Span("UPDATE notes")
		if !ok {
			t.Fatal("no UPDATE notes span")
		}
		// The traceparent in the comment must be the UPDATE span's.
		var comment string
		if i := strings.Index(conn.got, "/*traceparent='"); i >= 0 && len(conn.got) >= i+15+55+3 {
			tp := conn.got[i+15 : i+15+55]
			sc, ok := tracing.ParseTraceparent(tp)
			if !ok || sc.TraceID() != s.TraceID || sc.SpanID() != s.SpanID || !sc.IsSampled() {
				t.Errorf("position %d: comment traceparent %q is not the span's %s-%s", tc.pos, tp, s.TraceID, s.SpanID)
			}
			comment = "/*traceparent='" + tp + "'*/"
		}
		if want := tc.want(comment); conn.got != want {
			t.Errorf("position %d: the driver received %q, want %q", tc.pos, conn.got, want)
		}
		if text := s.AttrString(AttrQueryText); strings.Contains(text, "traceparent") || s.Resource != text {
			t.Errorf("position %d: recorded text %q, resource %q: the comment must not be recorded", tc.pos, text, s.Resource)
		}
	}
}

func TestTraceCommentPaths(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	defer req.End()
	conn := &fakeConn{}
	db := openFake(t, conn, WithTracer(tr), WithTraceComment(CommentPrepend), WithChildSpansOnly())

	// Not traced: no comment.
	if _, err := db.ExecContext(context.Background(), "DELETE FROM t"); err != nil {
		t.Fatal(err)
	}
	if conn.got != "DELETE FROM t" {
		t.Errorf("untraced exec sent %q, want it unchanged", conn.got)
	}
	// Prepared statements: no comment (it would outlive the span).
	st, err := db.PrepareContext(ctx, "SELECT a FROM t WHERE b = ?")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if conn.got != "SELECT a FROM t WHERE b = ?" {
		t.Errorf("prepare sent %q, want it unchanged", conn.got)
	}
	// A query the driver declines (ErrSkip) is prepared by database/sql
	// with the comment of the query's span.
	conn.execErr = driver.ErrSkip
	rec.Reset()
	if _, err := db.ExecContext(ctx, "DELETE FROM t WHERE a = ?", 1); err != nil {
		t.Fatal(err)
	}
	spans := rec.Spans()
	if len(spans) != 1 || spans[0].Name != "DELETE t" {
		t.Fatalf("spans %v, want one DELETE t", spanNames(spans))
	}
	if !strings.HasPrefix(conn.got, "/*traceparent='00-"+spans[0].TraceID.String()+"-"+spans[0].SpanID.String()) ||
		!strings.HasSuffix(conn.got, "*/ DELETE FROM t WHERE a = ?") {
		t.Errorf("the fallback prepare sent %q, want the DELETE span's comment", conn.got)
	}
}

func TestTraceCommentEncodesTracestate(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tid, _ := tracing.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := tracing.SpanIDFromHex("b7ad6b7169203331")
	parent := tracing.NewSpanContext(tracing.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: tracing.FlagsSampled,
		TraceState: "v=a'b*/c d", Remote: true})
	ctx, span := rec.Tracer().Start(tracing.ContextWithRemoteSpanContext(context.Background(), parent), "db")
	defer span.End()
	got := traceComment(tracing.SpanFromContext(ctx).SpanContext())
	want := "/*traceparent='00-0af7651916cd43dd8448eb211c80319c-" + span.SpanContext().SpanID().String() + "-01',tracestate='v%3Da%27b%2A%2Fc%20d'*/"
	if got != want {
		t.Errorf("comment %q, want %q", got, want)
	}
	if strings.Count(got, "*/") != 1 || strings.Count(got, "'") != 4 {
		t.Errorf("comment %q can end early", got)
	}
}
