package tracesql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// The span of each kind of operation on a real driver, on the recorder.

// wantDBSpan checks what every database span has.
func wantDBSpan(t *testing.T, s tracingtest.SpanData, parent tracing.Span) {
	t.Helper()
	if s.Kind != tracing.SpanKindClient {
		t.Errorf("%s: kind %v, want client", s.Name, s.Kind)
	}
	if psc := parent.SpanContext(); s.TraceID != psc.TraceID() || s.ParentID != psc.SpanID() {
		t.Errorf("%s: parent %s/%s, want the request span %s/%s", s.Name, s.TraceID, s.ParentID, psc.TraceID(), psc.SpanID())
	}
	if got := s.AttrString(tracesql.AttrSystem); got != "sqlite" {
		t.Errorf("%s: %s = %q, want sqlite", s.Name, tracesql.AttrSystem, got)
	}
	if s.Type != "sql" || s.Service != "db" {
		t.Errorf("%s: type %q service %q, want sql and db", s.Name, s.Type, s.Service)
	}
}

func TestQuerySpan(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr))
	if _, err := db.ExecContext(ctx, "INSERT INTO notes (description) VALUES (?), (?)", "secret-arg-1", "secret-arg-2"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, description FROM notes WHERE description <> 'hidden literal' AND id > ?", -1)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	req.End()

	ins, ok := rec.Span("INSERT notes")
	if !ok {
		t.Fatalf("no INSERT notes span in %v", httpkittest.Names(rec.Spans()))
	}
	wantDBSpan(t, ins, req)
	if v, _ := ins.Attr(tracesql.AttrAffectedRows); v.AsInt64() != 2 {
		t.Errorf("INSERT: %s = %v, want 2", tracesql.AttrAffectedRows, v)
	}

	sel, ok := rec.Span("SELECT notes")
	if !ok {
		t.Fatalf("no SELECT notes span in %v", httpkittest.Names(rec.Spans()))
	}
	wantDBSpan(t, sel, req)
	wantText := "SELECT id, description FROM notes WHERE description <> ? AND id > ?"
	for k, want := range map[string]string{tracesql.AttrQueryText: wantText, tracesql.AttrOperation: "SELECT", tracesql.AttrCollection: "notes"} {
		if got := sel.AttrString(k); got != want {
			t.Errorf("SELECT: %s = %q, want %q", k, got, want)
		}
	}
	if sel.Resource != wantText {
		t.Errorf("SELECT: resource %q, want the sanitized query", sel.Resource)
	}
	if v, _ := sel.Attr(tracesql.AttrReturnedRows); v.AsInt64() != int64(n) || n != 2 {
		t.Errorf("SELECT: %s = %v, read %d rows, want 2", tracesql.AttrReturnedRows, v, n)
	}
	if sel.Status != tracing.StatusUnset {
		t.Errorf("SELECT: status %v, want unset", sel.Status)
	}
	// Neither arguments nor literals are recorded anywhere.
	for _, s := range rec.Spans() {
		for _, a := range s.Attrs {
			if v := a.Value.String(); strings.Contains(v, "secret-arg") || strings.Contains(v, "hidden literal") {
				t.Errorf("%s: attribute %s = %q records a value", s.Name, a.Key, v)
			}
		}
		if strings.Contains(s.Resource, "hidden") {
			t.Errorf("%s: resource %q records a literal", s.Name, s.Resource)
		}
	}
}

func TestRawQueryOption(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr), tracesql.WithRawQuery(), tracesql.WithService(""), tracesql.WithAttrs(tracing.String("db.namespace", "main")))
	q := "SELECT count(*) FROM notes WHERE description = 'kept literal' OR description = ?"
	var n int
	if err := db.QueryRowContext(ctx, q, "secret-arg").Scan(&n); err != nil {
		t.Fatal(err)
	}
	req.End()
	s, ok := rec.Span("SELECT notes")
	if !ok {
		t.Fatal("no SELECT notes span")
	}
	if got := s.AttrString(tracesql.AttrQueryText); got != q {
		t.Errorf("%s = %q, want the raw query", tracesql.AttrQueryText, got)
	}
	if s.Service != "" {
		t.Errorf("service %q, want the application's (none set)", s.Service)
	}
	if got := s.AttrString("db.namespace"); got != "main" {
		t.Errorf("db.namespace = %q, want the tracesql.WithAttrs value", got)
	}
	for _, a := range s.Attrs {
		if strings.Contains(a.Value.String(), "secret-arg") {
			t.Errorf("attribute %s records an argument", a.Key)
		}
	}
}

func TestErrorSpans(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr))

	_, err := db.ExecContext(ctx, "INSERT INTO missing (a) VALUES (1)")
	if err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	_, qerr := db.QueryContext(ctx, "SELEKT 1")
	if qerr == nil {
		t.Fatal("a syntax error succeeded")
	}
	// An empty result is not an error.
	var d string
	if err := db.QueryRowContext(ctx, "SELECT description FROM notes WHERE id = ?", 12345).Scan(&d); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("Scan = %v, want sql.ErrNoRows", err)
	}
	req.End()

	for name, e := range map[string]error{"INSERT missing": err, "SELEKT": qerr} {
		s, ok := rec.Span(name)
		if !ok {
			t.Fatalf("no %s span in %v", name, httpkittest.Names(rec.Spans()))
		}
		wantDBSpan(t, s, req)
		if s.Status != tracing.StatusError || s.ErrorMessage != e.Error() || s.StatusMsg != e.Error() {
			t.Errorf("%s: status %v %q, error %q, want error with the driver's message %q", name, s.Status, s.StatusMsg, s.ErrorMessage, e)
		}
		if s.ErrorType == "" {
			t.Errorf("%s: no error type", name)
		}
	}
	s, ok := rec.Span("SELECT notes")
	if !ok {
		t.Fatal("no SELECT notes span")
	}
	if s.Status != tracing.StatusUnset || s.ErrorMessage != "" {
		t.Errorf("ErrNoRows query: status %v, error %q: want no error", s.Status, s.ErrorMessage)
	}
	if v, _ := s.Attr(tracesql.AttrReturnedRows); v.AsInt64() != 0 {
		t.Errorf("ErrNoRows query: %s = %v, want 0", tracesql.AttrReturnedRows, v)
	}
}

func TestContextCanceledRecorded(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr))
	const endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

	// Cut short inside the driver by a deadline.
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	var n int64
	err := db.QueryRowContext(dctx, endless).Scan(&n)
	cancel()
	if err == nil {
		t.Fatal("the endless query ended")
	}

	// Cut short while reading rows.
	cctx, cancel := context.WithCancel(ctx)
	rows, err := db.QueryContext(cctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c")
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	cancel()
	for rows.Next() {
	}
	if !errors.Is(rows.Err(), context.Canceled) {
		t.Errorf("rows.Err() = %v, want context.Canceled", rows.Err())
	}
	rows.Close()
	req.End()

	spans := rec.WaitForSpans(3, 10*time.Second)
	sels := tracingtest.Named(spans, "SELECT c")
	if len(sels) != 2 {
		t.Fatalf("%d SELECT c spans in %v, want 2", len(sels), httpkittest.Names(spans))
	}
	for i, want := range []string{"context.DeadlineExceeded", "context.Canceled"} {
		s := sels[i]
		if s.Status != tracing.StatusError || s.ErrorType != want {
			t.Errorf("span %d: status %v, error type %q (%q), want error type %s", i, s.Status, s.ErrorType, s.ErrorMessage, want)
		}
		if !strings.HasPrefix(s.ErrorMessage, "context ") {
			t.Errorf("span %d: error message %q, want the context's", i, s.ErrorMessage)
		}
	}
}

func TestTransactionSpans(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr))

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO notes (description) VALUES (?)", "a"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM notes"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	req.End()

	var got []string
	for _, s := range rec.Spans() {
		if s.Name == "request" || s.Name == "CREATE notes" {
			continue
		}
		got = append(got, s.Name)
		wantDBSpan(t, s, req)
		if s.Status != tracing.StatusUnset {
			t.Errorf("%s: status %v", s.Name, s.Status)
		}
	}
	want := []string{"BEGIN", "INSERT notes", "COMMIT", "BEGIN", "DELETE notes", "ROLLBACK"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("spans %q, want %q", got, want)
	}
	for _, name := range []string{"BEGIN", "COMMIT", "ROLLBACK"} {
		s, _ := rec.Span(name)
		if s.AttrString(tracesql.AttrOperation) != name || s.Resource != name {
			t.Errorf("%s: %s = %q, resource %q", name, tracesql.AttrOperation, s.AttrString(tracesql.AttrOperation), s.Resource)
		}
	}
	var count int
	if err := db.QueryRow("SELECT count(*) FROM notes").Scan(&count); err != nil || count != 1 {
		t.Errorf("count = %d, %v: want the committed row only", count, err)
	}
}

func TestPreparedStatementSpans(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []tracesql.Option
		prepare bool
	}{
		{"default", nil, false},
		{"all ops", []tracesql.Option{tracesql.WithOps(tracesql.AllOps)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, tr, ctx, req := newRecorder(t)
			db := openSQLite(t, append(tc.opts, tracesql.WithTracer(tr))...)
			db.SetMaxOpenConns(1) // one connection: statements are prepared once
			ins, err := db.PrepareContext(ctx, "INSERT INTO notes (description) VALUES (?)")
			if err != nil {
				t.Fatal(err)
			}
			defer ins.Close()
			// Prepared before the request: statements prepared at
			// start-up are traced when used later.
			sel, err := db.Prepare("SELECT description FROM notes WHERE id = ?")
			if err != nil {
				t.Fatal(err)
			}
			defer sel.Close()
			for i := range 3 {
				res, err := ins.ExecContext(ctx, fmt.Sprint("note ", i))
				if err != nil {
					t.Fatal(err)
				}
				id, _ := res.LastInsertId()
				var d string
				if err := sel.QueryRowContext(ctx, id).Scan(&d); err != nil || d != fmt.Sprint("note ", i) {
					t.Fatalf("read back %q, %v", d, err)
				}
			}
			req.End()
			spans := rec.Spans()
			if n := len(tracingtest.Named(spans, "INSERT notes")); n != 3 {
				t.Errorf("%d INSERT notes spans, want 3", n)
			}
			selects := tracingtest.Named(spans, "SELECT notes")
			if len(selects) != 3 {
				t.Fatalf("%d SELECT notes spans, want 3", len(selects))
			}
			for _, s := range selects {
				wantDBSpan(t, s, req)
				if got := s.AttrString(tracesql.AttrQueryText); got != "SELECT description FROM notes WHERE id = ?" {
					t.Errorf("%s = %q", tracesql.AttrQueryText, got)
				}
				if v, _ := s.Attr(tracesql.AttrReturnedRows); v.AsInt64() != 1 {
					t.Errorf("%s = %v, want 1", tracesql.AttrReturnedRows, v)
				}
			}
			prepares := tracingtest.Named(spans, "PREPARE")
			if want := map[bool]int{true: 2, false: 0}[tc.prepare]; len(prepares) != want {
				t.Errorf("%d PREPARE spans, want %d", len(prepares), want)
			}
			for _, p := range prepares {
				if p.AttrString(tracesql.AttrQueryText) == "INSERT INTO notes (description) VALUES (?)" {
					wantDBSpan(t, p, req)
					if p.AttrString(tracesql.AttrOperation) != "PREPARE" || p.AttrString(tracesql.AttrCollection) != "notes" {
						t.Errorf("PREPARE attributes %v", p.Attrs)
					}
				} else if !p.IsRoot() {
					t.Errorf("PREPARE of %q outside a request has a parent", p.AttrString(tracesql.AttrQueryText))
				}
			}
		})
	}
}

func TestOpsAndChildSpansOnly(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr), tracesql.WithOps(tracesql.OpQuery|tracesql.OpPing), tracesql.WithChildSpansOnly())
	bg := context.Background()
	// Not traced: no parent, or not a selected operation.
	if _, err := db.QueryContext(bg, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM notes"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	if n := len(rec.Spans()); n != 0 {
		t.Fatalf("%d spans (%v), want none", n, httpkittest.Names(rec.Spans()))
	}
	// Traced: a selected operation with a parent.
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	req.End()
	got := httpkittest.Names(rec.Spans())
	if strings.Join(got, ",") != "SELECT,PING,request" {
		t.Errorf("spans %q, want SELECT, PING, request", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	db := openSQLite(t, tracesql.WithTracer(tr))
	const workers, perWorker = 8, 25
	parents := make([]tracing.Span, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		ctx, span := tr.Start(context.Background(), "worker")
		parents[w] = span
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if _, err := db.ExecContext(ctx, "INSERT INTO notes (description) VALUES (?)", fmt.Sprint(w, "-", i)); err != nil {
					errs <- err
					return
				}
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM notes WHERE description LIKE ?", fmt.Sprint(w, "-%")).Scan(&n); err != nil {
					errs <- err
					return
				}
				if n != i+1 {
					errs <- fmt.Errorf("worker %d saw %d rows, want %d", w, n, i+1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byParent := map[tracing.SpanID]int{}
	for _, s := range rec.Spans() {
		byParent[s.ParentID]++
	}
	for w, p := range parents {
		if got := byParent[p.SpanContext().SpanID()]; got != 2*perWorker {
			t.Errorf("worker %d: %d child spans, want %d", w, got, 2*perWorker)
		}
		p.End()
	}
}

// TestSystemFromDriverPackage: modernc.org/sqlite is known by its
// package, which wins over the name it is registered under; WithSystem
// wins over both. (The root's TestSystemOf covers the drivers known by
// their name only.)
func TestSystemFromDriverPackage(t *testing.T) {
	// Registered by tracesql.Register, which has no name to go by.
	rec, tr, ctx, req := newRecorder(t)
	db := openSQLite(t, tracesql.WithTracer(tr))
	if _, err := db.ExecContext(ctx, "DELETE FROM notes"); err != nil {
		t.Fatal(err)
	}
	// Registered by the application under a name that says postgres,
	// opened by that name.
	if !slices.Contains(sql.Drivers(), "postgres") { // tests may run more than once
		sql.Register("postgres", &sqlite.Driver{})
	}
	pg, err := tracesql.Open("postgres", sqliteDSN(t), tracesql.WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var one int
	if err := pg.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	req.End()
	for _, name := range []string{"DELETE notes", "SELECT"} {
		if s, _ := rec.Span(name); s.AttrString(tracesql.AttrSystem) != "sqlite" {
			t.Errorf("%s: %s = %q, want sqlite (from the driver's package)", name, tracesql.AttrSystem, s.AttrString(tracesql.AttrSystem))
		}
	}

	rec, tr, ctx, req = newRecorder(t)
	db = openSQLite(t, tracesql.WithSystem("custom.db"), tracesql.WithTracer(tr))
	if _, err := db.ExecContext(ctx, "DELETE FROM notes"); err != nil {
		t.Fatal(err)
	}
	req.End()
	if s, _ := rec.Span("DELETE notes"); s.AttrString(tracesql.AttrSystem) != "custom.db" {
		t.Errorf("%s = %q, want the WithSystem value", tracesql.AttrSystem, s.AttrString(tracesql.AttrSystem))
	}
}

// TestTraceCommentWithSQLite: SQLite runs statements that carry a trace
// comment, before or after the statement (even after a trailing
// semicolon or a -- comment), and the comment is not recorded.
func TestTraceCommentWithSQLite(t *testing.T) {
	for _, pos := range []tracesql.CommentPosition{tracesql.CommentPrepend, tracesql.CommentAppend} {
		rec, tr, ctx, req := newRecorder(t)
		db := openSQLite(t, tracesql.WithTracer(tr), tracesql.WithTraceComment(pos))
		if _, err := db.ExecContext(ctx, "INSERT INTO notes (description) VALUES ('x');"); err != nil {
			t.Fatalf("position %d: %v", pos, err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM notes -- trailing comment").Scan(&n); err != nil || n != 1 {
			t.Fatalf("position %d: count = %d, %v", pos, n, err)
		}
		req.End()
		for _, s := range rec.Spans() {
			if strings.Contains(s.AttrString(tracesql.AttrQueryText), "traceparent") {
				t.Errorf("%s records the trace comment", s.Name)
			}
		}
	}
}

// TestUntracedQueryCostsWhatBareDoes: a query through tracesql on the none
// tracer makes exactly as many allocations as through the bare driver
// (the root's test of the same name compares over a driver that allocates
// nothing).
func TestUntracedQueryCostsWhatBareDoes(t *testing.T) {
	dsn := "file:" + filepath.Join(t.TempDir(), "a.db")
	open := func(traced bool) *sql.DB {
		var db *sql.DB
		var err error
		if traced {
			db, err = tracesql.Open("sqlite", dsn, tracesql.WithTracer(tracing.New(tracing.NoopBackend())))
		} else {
			db, err = sql.Open("sqlite", dsn)
		}
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	bare, traced := open(false), open(true)
	if _, err := bare.Exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, description TEXT); INSERT INTO notes VALUES (1, 'x')"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	measure := func(db *sql.DB) float64 {
		var d string
		run := func() {
			if err := db.QueryRowContext(ctx, "SELECT description FROM notes WHERE id = ?", 1).Scan(&d); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(200, run)
	}
	b, tr := measure(bare), measure(traced)
	if tr != b {
		t.Errorf("query through tracesql (none tracer): %v allocations, bare driver: %v; want the same", tr, b)
	}
}
