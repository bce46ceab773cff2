package tracesql_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// The span-shape tests again, on every backend of httpkittest.Backends
// (the vendors' included: main_test.go imports e2e/vendors), read back
// through each backend's decoder and checked through its mapping
// (Datadog: operation sqlite.query with the query as resource; Jaeger:
// db.type and db.statement).

// dbSpan returns the one database span read back for name (resource: the
// sanitized query) and checks what every database span has: kind client,
// child of parent, the system, type sql and service db.
func dbSpan(t *testing.T, e *httpkittest.Env, spans []tracingtest.SpanData, name, resource string, parent tracing.Span) tracingtest.SpanData {
	t.Helper()
	s := httpkittest.Named(t, spans, e.ReadDBName(name, resource))
	if s.Kind != tracing.SpanKindClient {
		t.Errorf("%s: kind %v, want client", s.Name, s.Kind)
	}
	if psc := parent.SpanContext(); s.TraceID != psc.TraceID() || s.ParentID != psc.SpanID() {
		t.Errorf("%s: parent %s/%s, want %s/%s", s.Name, s.TraceID, s.ParentID, psc.TraceID(), psc.SpanID())
	}
	e.WantAttr(t, s, tracesql.AttrSystem, tracing.StringValue("sqlite"))
	e.WantDBOperation(t, s, "sqlite")
	if s.Type != "sql" || s.Service != "db" || s.Resource != resource {
		t.Errorf("%s: type %q service %q resource %q, want sql, db, %q", s.Name, s.Type, s.Service, s.Resource, resource)
	}
	return s
}

func TestQuerySpanOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		db := openSQLite(t, tracesql.WithTracer(e.Tracer))
		ctx, req := e.Tracer.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer))
		const insert = "INSERT INTO notes (description) VALUES (?), (?)"
		if _, err := db.ExecContext(ctx, insert, "secret-arg-1", "secret-arg-2"); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, "SELECT id, description FROM notes WHERE description <> 'hidden literal' AND id > ?", -1)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n != 2 {
			t.Fatalf("read %d rows, %v", n, err)
		}
		req.End()
		spans := e.SpansExactly(t, 4) // CREATE (no parent), INSERT, SELECT, request

		ins := dbSpan(t, e, spans, "INSERT notes", insert, req)
		e.WantAttr(t, ins, tracesql.AttrQueryText, tracing.StringValue(insert))
		e.WantAttr(t, ins, tracesql.AttrOperation, tracing.StringValue("INSERT"))
		e.WantAttr(t, ins, tracesql.AttrCollection, tracing.StringValue("notes"))
		e.WantAttr(t, ins, tracesql.AttrAffectedRows, tracing.Int64Value(2))

		const sanitized = "SELECT id, description FROM notes WHERE description <> ? AND id > ?"
		sel := dbSpan(t, e, spans, "SELECT notes", sanitized, req)
		e.WantAttr(t, sel, tracesql.AttrQueryText, tracing.StringValue(sanitized))
		e.WantAttr(t, sel, tracesql.AttrOperation, tracing.StringValue("SELECT"))
		e.WantAttr(t, sel, tracesql.AttrReturnedRows, tracing.Int64Value(2))
		if sel.Status != tracing.StatusUnset {
			t.Errorf("SELECT: status %v", sel.Status)
		}
		for _, secret := range []string{"secret-arg", "hidden literal"} {
			if httpkittest.ContainsValue(spans, secret) {
				t.Errorf("%q was recorded", secret)
			}
		}
	})
}

func TestErrorSpansOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		db := openSQLite(t, tracesql.WithTracer(e.Tracer))
		ctx, req := e.Tracer.Start(context.Background(), "request")
		const bad = "INSERT INTO missing (a) VALUES (1)"
		_, err := db.ExecContext(ctx, bad)
		if err == nil {
			t.Fatal("insert into a missing table succeeded")
		}
		var d string
		if qerr := db.QueryRowContext(ctx, "SELECT description FROM notes WHERE id = ?", 12345).Scan(&d); qerr != sql.ErrNoRows {
			t.Fatalf("Scan = %v, want sql.ErrNoRows", qerr)
		}
		req.End()
		spans := e.SpansExactly(t, 4)
		s := dbSpan(t, e, spans, "INSERT missing", "INSERT INTO missing (a) VALUES (?)", req) // numbers are literals too
		if s.Status != tracing.StatusError || s.ErrorMessage != err.Error() || s.ErrorType == "" {
			t.Errorf("failed INSERT: status %v, error %q %q; want error %q", s.Status, s.ErrorType, s.ErrorMessage, err)
		}
		empty := dbSpan(t, e, spans, "SELECT notes", "SELECT description FROM notes WHERE id = ?", req)
		if empty.Status != tracing.StatusUnset || empty.ErrorMessage != "" {
			t.Errorf("empty result: status %v, error %q", empty.Status, empty.ErrorMessage)
		}
		e.WantAttr(t, empty, tracesql.AttrReturnedRows, tracing.Int64Value(0))
	})
}

func TestTransactionSpansOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		db := openSQLite(t, tracesql.WithTracer(e.Tracer))
		ctx, req := e.Tracer.Start(context.Background(), "request")
		tx, err := db.BeginTx(ctx, nil)
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
		spans := e.SpansExactly(t, 5)
		for _, op := range []string{"BEGIN", "ROLLBACK"} {
			s := dbSpan(t, e, spans, op, op, req)
			e.WantAttr(t, s, tracesql.AttrOperation, tracing.StringValue(op))
		}
		dbSpan(t, e, spans, "DELETE notes", "DELETE FROM notes", req)
	})
}
