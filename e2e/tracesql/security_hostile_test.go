package tracesql_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
)

// TestSecurityDefaultsOnBackends: by default no SQL argument and no
// literal of the query text reaches any backend (every attribute, tag,
// event, resource and name is scanned), and the SQL the driver receives
// carries no trace comment; WithRawQuery turns the sanitizing off (and
// still records no argument).
func TestSecurityDefaultsOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		db := openSQLite(t, tracesql.WithTracer(e.Tracer))
		ctx, req := e.Tracer.Start(context.Background(), "request")
		if _, err := db.ExecContext(ctx, "INSERT INTO notes (id, description) VALUES (?, 's3cr3t-literal-1')", 424242424242); err != nil {
			t.Fatal(err)
		}
		stmt, err := db.PrepareContext(ctx, "UPDATE notes SET description = ? WHERE description = 's3cr3t-literal-2' OR id = 999999999999")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stmt.ExecContext(ctx, "s3cr3t-arg-1"); err != nil {
			t.Fatal(err)
		}
		stmt.Close()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM notes WHERE description = ? OR description = x'5333533353335333' OR id = -123451234512345.5e3", "s3cr3t-arg-2").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		req.End()
		spans := e.SpansExactly(t, 7) // CREATE, INSERT, UPDATE, BEGIN, SELECT, COMMIT, request
		for _, secret := range []string{"s3cr3t", "424242424242", "999999999999", "5333533353335333", "123451234512345"} {
			if httpkittest.ContainsValue(spans, secret) {
				t.Errorf("%s recorded %q", e.Name, secret)
			}
		}
		sel := httpkittest.Named(t, spans, e.ReadDBName("SELECT notes", "SELECT count(*) FROM notes WHERE description = ? OR description = ? OR id = ?"))
		e.WantAttr(t, sel, tracesql.AttrQueryText, tracing.StringValue("SELECT count(*) FROM notes WHERE description = ? OR description = ? OR id = ?"))
	})
}

func TestRawQueryOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		db := openSQLite(t, tracesql.WithTracer(e.Tracer), tracesql.WithRawQuery())
		ctx, req := e.Tracer.Start(context.Background(), "request")
		const q = "SELECT count(*) FROM notes WHERE description = 'kept literal' OR description = ?"
		var n int
		if err := db.QueryRowContext(ctx, q, "s3cr3t-arg").Scan(&n); err != nil {
			t.Fatal(err)
		}
		req.End()
		spans := e.SpansExactly(t, 3)
		s := httpkittest.Named(t, spans, e.ReadDBName("SELECT notes", q))
		e.WantAttr(t, s, tracesql.AttrQueryText, tracing.StringValue(q))
		if httpkittest.ContainsValue(spans, "s3cr3t-arg") {
			t.Errorf("an argument was recorded")
		}
	})
}

// TestNoTraceCommentByDefaultOnBackends: the SQL a driver receives is the
// application's, unless WithTraceComment asks for the trace id in it.
func TestNoTraceCommentByDefaultOnBackends(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		conn := &recordingConn{}
		db := tracesql.OpenDB(recordingConnector{conn}, tracesql.WithTracer(e.Tracer))
		defer db.Close()
		ctx, req := e.Tracer.Start(context.Background(), "request")
		const q = "UPDATE notes SET done = 1 WHERE id = 7"
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		req.End()
		if conn.got != q || strings.Contains(conn.got, "traceparent") {
			t.Errorf("the driver received %q, want %q", conn.got, q)
		}
		e.SpansExactly(t, 2)
	})
}

// recordingConn is a driver connection that records the last query text
// it received and runs nothing: what the driver receives is the point,
// and SQLite does not tell.
type recordingConn struct{ got string }

func (c *recordingConn) Prepare(q string) (driver.Stmt, error) {
	c.got = q
	return nil, errors.New("recordingConn: no prepared statements")
}
func (c *recordingConn) Begin() (driver.Tx, error) {
	return nil, errors.New("recordingConn: no transactions")
}
func (c *recordingConn) Close() error { return nil }
func (c *recordingConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.got = q
	return driver.RowsAffected(1), nil
}

// recordingConnector hands out its one connection; it is its own driver.
type recordingConnector struct{ c *recordingConn }

func (r recordingConnector) Connect(context.Context) (driver.Conn, error) { return r.c, nil }
func (r recordingConnector) Driver() driver.Driver                        { return r }
func (r recordingConnector) Open(string) (driver.Conn, error)             { return r.c, nil }
