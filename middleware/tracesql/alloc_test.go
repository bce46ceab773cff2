package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// nopConn is a driver connection that allocates nothing, to measure what
// the wrapper allocates.
type nopConn struct {
	rows nopRows
	stmt nopStmt
	tx   nopTx
}

var nopResult driver.Result = driver.RowsAffected(1)

func (c *nopConn) Prepare(string) (driver.Stmt, error) { return &c.stmt, nil }
func (c *nopConn) Close() error                        { return nil }
func (c *nopConn) Begin() (driver.Tx, error)           { return &c.tx, nil }
func (c *nopConn) Ping(context.Context) error          { return nil }
func (c *nopConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return nopResult, nil
}
func (c *nopConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &c.rows, nil
}
func (c *nopConn) PrepareContext(context.Context, string) (driver.Stmt, error) { return &c.stmt, nil }
func (c *nopConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return &c.tx, nil
}

type nopStmt struct{ rows nopRows }

func (s *nopStmt) Close() error                               { return nil }
func (s *nopStmt) NumInput() int                              { return -1 }
func (s *nopStmt) Exec([]driver.Value) (driver.Result, error) { return nopResult, nil }
func (s *nopStmt) Query([]driver.Value) (driver.Rows, error)  { return &s.rows, nil }
func (s *nopStmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	return nopResult, nil
}
func (s *nopStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	return &s.rows, nil
}

type nopRows struct{}

func (*nopRows) Columns() []string         { return nil }
func (*nopRows) Close() error              { return nil }
func (*nopRows) Next([]driver.Value) error { return io.EOF }

type nopTx struct{}

func (*nopTx) Commit() error   { return nil }
func (*nopTx) Rollback() error { return nil }

// TestUntracedPathAllocatesNothing measures, with testing.AllocsPerRun,
// what the wrapper adds to each operation when it does not trace: nothing.
func TestUntracedPathAllocatesNothing(t *testing.T) {
	rec := tracingtest.NewRecorder()
	_, parent := rec.Tracer().Start(context.Background(), "request")
	defer parent.End()
	for _, tc := range []struct {
		name    string
		opts    []Option
		control bool // traced: allocations expected, proving the measurement
	}{
		{"control: traced", []Option{WithTracer(rec.Tracer())}, true},
		{"none tracer", []Option{WithTracer(tracing.New(tracing.NoopBackend()))}, false},
		{"default tracer (none)", nil, false},
		{"child spans only, no parent", []Option{WithTracer(rec.Tracer()), WithChildSpansOnly(), WithOps(AllOps)}, false},
		{"operations not selected", []Option{WithTracer(rec.Tracer()), WithOps(OpConnect)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := wrapConn(&nopConn{}, newConfig(nil, "", tc.opts)).(*conn)
			st, err := c.PrepareContext(ctx, "SELECT a FROM t WHERE b = ?")
			if err != nil {
				t.Fatal(err)
			}
			stc := st.(*stmt)
			const q = "SELECT a FROM t WHERE b = 'x'"
			allocs := testing.AllocsPerRun(200, func() {
				c.ExecContext(ctx, q, nil)
				r, _ := c.QueryContext(ctx, q, nil)
				r.Next(nil)
				r.Close()
				tx, _ := c.BeginTx(ctx, driver.TxOptions{})
				tx.Commit()
				tx, _ = c.BeginTx(ctx, driver.TxOptions{})
				tx.Rollback()
				c.Ping(ctx)
				stc.ExecContext(ctx, nil)
				r, _ = stc.QueryContext(ctx, nil)
				r.Close()
			})
			if tc.control {
				if allocs == 0 || len(rec.Spans()) == 0 {
					t.Errorf("traced: %v allocations, %d spans: the measurement sees nothing", allocs, len(rec.Spans()))
				}
				rec.Reset()
				return
			}
			if allocs != 0 {
				t.Errorf("%v allocations per untraced round of operations, want 0", allocs)
			}
			if n := len(rec.Spans()); n != 0 {
				t.Errorf("%d spans recorded", n)
			}
		})
	}
}

// TestUntracedQueryCostsWhatBareDoes checks the same through database/sql:
// a query and an exec through tracesql on the none tracer make exactly as
// many allocations as through the bare driver (nopConn here; the e2e
// module's tracesql tests compare over modernc.org/sqlite).
func TestUntracedQueryCostsWhatBareDoes(t *testing.T) {
	open := func(traced bool) *sql.DB {
		var c driver.Connector = nopConnector{&nopConn{}}
		if traced {
			c = WrapConnector(c, WithTracer(tracing.New(tracing.NoopBackend())))
		}
		db := sql.OpenDB(c)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	ctx := context.Background()
	measure := func(db *sql.DB) float64 {
		run := func() {
			rows, err := db.QueryContext(ctx, "SELECT a FROM t WHERE b = ?", 1)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, "DELETE FROM t WHERE b = ?", 1); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(200, run)
	}
	b, tr := measure(open(false)), measure(open(true))
	if tr != b {
		t.Errorf("query and exec through tracesql (none tracer): %v allocations, bare driver: %v; want the same", tr, b)
	}
}
