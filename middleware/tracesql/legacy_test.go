package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// legacyDriver is a minimal driver with only the pre-context interfaces:
// driver.Driver (no DriverContext), a Conn with Execer and Queryer (no
// ExecerContext, QueryerContext, ConnPrepareContext, ConnBeginTx,
// Pinger, …), a Stmt with Exec and Query only, and plain Rows. It keeps a
// key-value table in memory and understands four statements. Like MySQL's
// driver without client-side interpolation, its Exec declines statements
// with arguments (driver.ErrSkip), so database/sql prepares them.
type legacyDriver struct {
	mu sync.Mutex
	kv map[string]string
}

func newLegacyDriver() *legacyDriver { return &legacyDriver{kv: map[string]string{}} }

func (d *legacyDriver) Open(string) (driver.Conn, error) { return &legacyConn{d: d}, nil }

type legacyConn struct{ d *legacyDriver }

func (c *legacyConn) Prepare(q string) (driver.Stmt, error) {
	if _, err := parseLegacy(q); err != nil {
		return nil, err
	}
	return &legacyStmt{c: c, q: q}, nil
}
func (c *legacyConn) Close() error              { return nil }
func (c *legacyConn) Begin() (driver.Tx, error) { return legacyTx{}, nil }

func (c *legacyConn) Exec(q string, args []driver.Value) (driver.Result, error) {
	if len(args) > 0 {
		return nil, driver.ErrSkip
	}
	return c.run(q, args)
}

func (c *legacyConn) Query(q string, args []driver.Value) (driver.Rows, error) {
	return c.query(q, args)
}

type legacyStmt struct {
	c *legacyConn
	q string
}

func (s *legacyStmt) Close() error { return nil }
func (s *legacyStmt) NumInput() int {
	n, _ := parseLegacy(s.q)
	return n
}
func (s *legacyStmt) Exec(args []driver.Value) (driver.Result, error) { return s.c.run(s.q, args) }
func (s *legacyStmt) Query(args []driver.Value) (driver.Rows, error)  { return s.c.query(s.q, args) }

const (
	legacyInsert = "INSERT INTO kv (k, v) VALUES (?, ?)"
	legacyGet    = "SELECT v FROM kv WHERE k = ?"
	legacyAll    = "SELECT k, v FROM kv"
	legacyClear  = "DELETE FROM kv"
)

// parseLegacy returns the number of arguments of a statement it knows.
func parseLegacy(q string) (int, error) {
	switch q {
	case legacyInsert:
		return 2, nil
	case legacyGet:
		return 1, nil
	case legacyAll, legacyClear:
		return 0, nil
	}
	return 0, fmt.Errorf("legacy: cannot parse %q", q)
}

func (c *legacyConn) run(q string, args []driver.Value) (driver.Result, error) {
	if _, err := parseLegacy(q); err != nil {
		return nil, err
	}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	switch q {
	case legacyInsert:
		c.d.kv[fmt.Sprint(args[0])] = fmt.Sprint(args[1])
		return driver.RowsAffected(1), nil
	case legacyClear:
		n := len(c.d.kv)
		clear(c.d.kv)
		return driver.RowsAffected(n), nil
	}
	return nil, errors.New("legacy: not an exec")
}

func (c *legacyConn) query(q string, args []driver.Value) (driver.Rows, error) {
	if _, err := parseLegacy(q); err != nil {
		return nil, err
	}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	r := &legacyRows{}
	switch q {
	case legacyGet:
		r.cols = []string{"v"}
		if v, ok := c.d.kv[fmt.Sprint(args[0])]; ok {
			r.rows = append(r.rows, []driver.Value{v})
		}
	case legacyAll:
		r.cols = []string{"k", "v"}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range c.d.kv {
				if !yield(k) {
					return
				}
			}
		}) {
			r.rows = append(r.rows, []driver.Value{k, c.d.kv[k]})
		}
	default:
		return nil, errors.New("legacy: not a query")
	}
	return r, nil
}

type legacyRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *legacyRows) Columns() []string { return r.cols }
func (r *legacyRows) Close() error      { return nil }
func (r *legacyRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

type legacyTx struct{}

func (legacyTx) Commit() error   { return nil }
func (legacyTx) Rollback() error { return nil }

// legacyScript runs the same operations on db and reports what
// database/sql returned, as text.
func legacyScript(ctx context.Context, db *sql.DB) []string {
	var out []string
	say := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	res, err := db.ExecContext(ctx, legacyInsert, "a", "1") // ErrSkip → prepared
	if err == nil {
		n, _ := res.RowsAffected()
		say("insert: %d", n)
	} else {
		say("insert: %v", err)
	}
	db.ExecContext(ctx, legacyInsert, "b", "2")
	var v string
	say("get a: %v %q", db.QueryRowContext(ctx, legacyGet, "a").Scan(&v), v)
	say("get zz: %v", db.QueryRowContext(ctx, legacyGet, "zz").Scan(&v))
	rows, err := db.QueryContext(ctx, legacyAll)
	if err != nil {
		say("all: %v", err)
	} else {
		for rows.Next() {
			var k, v string
			rows.Scan(&k, &v)
			say("row %s=%s", k, v)
		}
		say("all: %v %v", rows.Err(), rows.Close())
	}
	_, err = db.ExecContext(ctx, "UPSERT nonsense")
	say("bad exec: %v", err)
	_, err = db.QueryContext(ctx, "SELECT nonsense")
	say("bad query: %v", err)
	_, err = db.ExecContext(ctx, legacyInsert, sql.Named("k", "c"), sql.Named("v", "3"))
	say("named: %v", err)
	_, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	say("isolation: %v", err)
	_, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	say("read-only: %v", err)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		say("begin: %v", err)
	} else {
		_, err = tx.ExecContext(ctx, legacyInsert, "c", "3")
		say("tx insert: %v, commit: %v", err, tx.Commit())
	}
	st, err := db.PrepareContext(ctx, legacyGet)
	if err != nil {
		say("prepare: %v", err)
	} else {
		say("stmt get c: %v %q", st.QueryRowContext(ctx, "c").Scan(&v), v)
		_, err = st.ExecContext(ctx, "c", "extra")
		say("stmt wrong arg count: %v", err)
		st.Close()
	}
	say("ping: %v", db.PingContext(ctx))
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = db.ExecContext(canceled, legacyClear)
	say("canceled: %v", err)
	res, err = db.ExecContext(ctx, legacyClear)
	if err == nil {
		n, _ := res.RowsAffected()
		say("clear: %d", n)
	}
	return out
}

// TestLegacyDriverBehavesAsBare runs the same script on the legacy driver
// bare and wrapped: database/sql must return the same results and errors.
func TestLegacyDriverBehavesAsBare(t *testing.T) {
	bareName, tracedName := uniqueName("legacy-bare"), uniqueName("legacy-traced")
	sql.Register(bareName, newLegacyDriver())
	rec, tr, ctx, req := newRecorder(t)
	Register(tracedName, newLegacyDriver(), WithTracer(tr), WithOps(AllOps))
	var got [2][]string
	for i, name := range []string{bareName, tracedName} {
		db, err := sql.Open(name, "")
		if err != nil {
			t.Fatal(err)
		}
		got[i] = legacyScript(ctx, db)
		db.Close()
	}
	req.End()
	if !slices.Equal(got[0], got[1]) {
		t.Errorf("wrapped legacy driver differs from the bare one:\nbare:\n  %s\nwrapped:\n  %s",
			strings.Join(got[0], "\n  "), strings.Join(got[1], "\n  "))
	}
	if len(rec.Spans()) < 10 {
		t.Errorf("only %d spans through the legacy driver", len(rec.Spans()))
	}
}

// TestLegacyDriverSpans checks that operations through the legacy driver
// get one span each, children of the request, including an exec that the
// driver declined with ErrSkip and database/sql ran as a statement.
func TestLegacyDriverSpans(t *testing.T) {
	name := uniqueName("legacy-traced")
	rec, tr, ctx, req := newRecorder(t)
	Register(name, newLegacyDriver(), WithTracer(tr), WithSystem("other_sql"))
	db, err := sql.Open(name, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, legacyInsert, "a", "1"); err != nil { // ErrSkip, prepared
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRowContext(ctx, legacyGet, "a").Scan(&v); err != nil || v != "1" {
		t.Fatalf("get = %q, %v", v, err)
	}
	if _, err := db.ExecContext(ctx, legacyClear); err != nil { // direct Exec
		t.Fatal(err)
	}
	req.End()

	children := tracingtest.Children(rec.Spans(), spanData(rec, "request"))
	if got := spanNames(children); strings.Join(got, ",") != "INSERT kv,SELECT kv,DELETE kv" {
		t.Fatalf("spans under the request %q, want INSERT kv, SELECT kv, DELETE kv (one each)", got)
	}
	for _, s := range children {
		if s.Kind != tracing.SpanKindClient || s.AttrString(AttrSystem) != "other_sql" || s.Status != tracing.StatusUnset {
			t.Errorf("%s: kind %v system %q status %v", s.Name, s.Kind, s.AttrString(AttrSystem), s.Status)
		}
	}
	if v, _ := children[0].Attr(AttrAffectedRows); v.AsInt64() != 1 {
		t.Errorf("INSERT kv (run as a statement after ErrSkip): %s = %v, want 1", AttrAffectedRows, v)
	}
	if v, _ := children[1].Attr(AttrReturnedRows); v.AsInt64() != 1 {
		t.Errorf("SELECT kv: %s = %v, want 1", AttrReturnedRows, v)
	}
}

func spanData(rec *tracingtest.Recorder, name string) tracingtest.SpanData {
	s, _ := rec.Span(name)
	return s
}
