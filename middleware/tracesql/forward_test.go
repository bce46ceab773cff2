//lint:file-ignore SA1019 the tests exercise the deprecated driver interfaces on purpose.

package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// equivCase is a fake driver with some of the optional interfaces: conn,
// stmt and rows pick them (nil: none); connector 1 gives the driver a
// DriverContext, 2 one whose connector is an io.Closer.
type equivCase struct {
	name      string
	conn      func(*fakeConn) driver.Conn
	stmt      func(*fakeStmt) driver.Stmt
	rows      func(*fakeRows) driver.Rows
	connector int
}

type (
	dConn  = driver.Conn
	dStmt  = driver.Stmt
	dRows  = driver.Rows
	execer = driver.Execer
	execC  = driver.ExecerContext
	quer   = driver.Queryer
	querC  = driver.QueryerContext
	nvc    = driver.NamedValueChecker
)

var equivCases = []equivCase{
	{name: "none"},
	{name: "Pinger", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.Pinger
		}{c, c}
	}},
	{name: "Execer", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			execer
		}{c, c}
	}},
	{name: "ExecerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			execC
		}{c, c}
	}},
	{name: "Execer+ExecerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			execer
			execC
		}{c, c, c}
	}},
	{name: "Queryer", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			quer
		}{c, c}
	}},
	{name: "QueryerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			querC
		}{c, c}
	}},
	{name: "Queryer+QueryerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			quer
			querC
		}{c, c, c}
	}},
	{name: "Execer+Queryer", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			execer
			quer
		}{c, c, c}
	}},
	{name: "ExecerContext+QueryerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			execC
			querC
		}{c, c, c}
	}},
	{name: "ConnPrepareContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.ConnPrepareContext
		}{c, c}
	}},
	{name: "ConnBeginTx", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.ConnBeginTx
		}{c, c}
	}},
	{name: "SessionResetter", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.SessionResetter
		}{c, c}
	}},
	{name: "Validator", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.Validator
		}{c, c}
	}},
	{name: "SessionResetter+Validator", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			driver.SessionResetter
			driver.Validator
		}{c, c, c}
	}},
	// Argument conversion: the connection's checker (alone, with direct
	// queries, with one kind only), the statement's checker and column
	// converter, and how database/sql picks among them.
	{name: "conn NamedValueChecker", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			nvc
		}{c, c}
	}},
	{name: "conn NamedValueChecker+ExecerContext+QueryerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			nvc
			execC
			querC
		}{c, c, c, c}
	}},
	{name: "conn NamedValueChecker+Execer", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			nvc
			execer
		}{c, c, c}
	}},
	{name: "conn NamedValueChecker+QueryerContext", conn: func(c *fakeConn) dConn {
		return struct {
			dConn
			nvc
			querC
		}{c, c, c}
	}},
	{name: "stmt NamedValueChecker", stmt: func(s *fakeStmt) dStmt {
		return struct {
			dStmt
			nvc
		}{s, s}
	}},
	{name: "stmt ColumnConverter", stmt: func(s *fakeStmt) dStmt {
		return struct {
			dStmt
			columnConverter
		}{s, s}
	}},
	{name: "stmt NamedValueChecker+ColumnConverter", stmt: func(s *fakeStmt) dStmt {
		return struct {
			dStmt
			nvc
			columnConverter
		}{s, s, s}
	}},
	{name: "conn and stmt NamedValueChecker",
		conn: func(c *fakeConn) dConn {
			return struct {
				dConn
				nvc
			}{c, c}
		},
		stmt: func(s *fakeStmt) dStmt {
			return struct {
				dStmt
				nvc
			}{s, s}
		}},
	{name: "conn NamedValueChecker, stmt ColumnConverter",
		conn: func(c *fakeConn) dConn {
			return struct {
				dConn
				nvc
			}{c, c}
		},
		stmt: func(s *fakeStmt) dStmt {
			return struct {
				dStmt
				columnConverter
			}{s, s}
		}},
	{name: "StmtExecContext", stmt: func(s *fakeStmt) dStmt {
		return struct {
			dStmt
			driver.StmtExecContext
		}{s, s}
	}},
	{name: "StmtQueryContext", stmt: func(s *fakeStmt) dStmt {
		return struct {
			dStmt
			driver.StmtQueryContext
		}{s, s}
	}},
	{name: "RowsNextResultSet", rows: func(r *fakeRows) dRows { return struct{ driver.RowsNextResultSet }{r} }},
	{name: "RowsColumnTypeScanType", rows: func(r *fakeRows) dRows { return struct{ driver.RowsColumnTypeScanType }{r} }},
	{name: "RowsColumnTypeDatabaseTypeName", rows: func(r *fakeRows) dRows {
		return struct {
			driver.RowsColumnTypeDatabaseTypeName
		}{r}
	}},
	{name: "RowsColumnTypeLength", rows: func(r *fakeRows) dRows { return struct{ driver.RowsColumnTypeLength }{r} }},
	{name: "RowsColumnTypeNullable", rows: func(r *fakeRows) dRows { return struct{ driver.RowsColumnTypeNullable }{r} }},
	{name: "RowsColumnTypePrecisionScale", rows: func(r *fakeRows) dRows {
		return struct {
			driver.RowsColumnTypePrecisionScale
		}{r}
	}},
	{name: "DriverContext", connector: 1},
	{name: "DriverContext, connector io.Closer", connector: 2},
}

// open registers the case's fake driver, through wrap, and opens it.
func (tc equivCase) open(t *testing.T, wrap func(driver.Driver) driver.Driver) (*sql.DB, *fakeDriver) {
	log := &callLog{}
	fc := &fakeConn{log: log, stmtIfaces: tc.stmt, rowsIfaces: tc.rows}
	if fc.stmtIfaces == nil {
		fc.stmtIfaces = func(s *fakeStmt) dStmt { return struct{ dStmt }{s} }
	}
	if fc.rowsIfaces == nil {
		fc.rowsIfaces = func(r *fakeRows) dRows { return struct{ dRows }{r} }
	}
	fd := &fakeDriver{log: log, conn: fc, ifaces: tc.conn}
	if fd.ifaces == nil {
		fd.ifaces = func(c *fakeConn) dConn { return struct{ dConn }{c} }
	}
	var drv driver.Driver = fd
	if tc.connector > 0 {
		drv = &fakeDriverContext{fakeDriver: fd, closer: tc.connector == 2}
	}
	name := uniqueName("equiv")
	sql.Register(name, wrap(drv))
	db, err := sql.Open(name, "dsn")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db, fd
}

// TestBehavesAsBareDriver runs the same script through database/sql on
// each fake driver bare and wrapped (traced, and not traced): the
// results, the errors and the calls the fake receives must be the same.
// Each case must also change the script's transcript compared with the
// driver that has none of the optional interfaces, or the script does not
// exercise it.
func TestBehavesAsBareDriver(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	defer req.End()
	none := tracing.New(tracing.NoopBackend())
	var base []string
	for _, tc := range equivCases {
		t.Run(tc.name, func(t *testing.T) {
			db, fd := tc.open(t, func(d driver.Driver) driver.Driver { return d })
			bare := equivScript(t, ctx, db, fd)
			if tc.name == "none" {
				base = bare
			} else if slices.Equal(bare, base) {
				t.Errorf("the script does not see %s", tc.name)
			}
			for _, w := range []struct {
				name string
				opts []Option
			}{
				{"traced", []Option{WithTracer(tr), WithOps(AllOps)}},
				{"not traced", []Option{WithTracer(none)}},
			} {
				rec.Reset()
				db, fd := tc.open(t, func(d driver.Driver) driver.Driver { return WrapDriver(d, w.opts...) })
				got := equivScript(t, ctx, db, fd)
				if !slices.Equal(got, bare) {
					t.Errorf("%s: the wrapped driver differs from the bare one:\n%s", w.name, diffLines(bare, got))
				}
				if w.name == "traced" {
					checkEquivSpans(t, rec.Spans(), got)
				}
			}
		})
	}
}

// equivScript drives db through database/sql and returns what each step
// returned and which calls the fake received meanwhile.
func equivScript(t *testing.T, ctx context.Context, db *sql.DB, fd *fakeDriver) []string {
	t.Helper()
	var out []string
	step := func(what string, result ...any) {
		out = append(out, fmt.Sprintf("%s: %v | %s", what, result, strings.Join(fd.log.take(), "; ")))
	}
	readRows := func(rows *sql.Rows) []any {
		var got []any
		cts, err := rows.ColumnTypes()
		if err != nil {
			return append(got, err)
		}
		for _, ct := range cts {
			n, nok := ct.Nullable()
			l, lok := ct.Length()
			p, s, pok := ct.DecimalSize()
			got = append(got, ct.Name(), ct.ScanType(), ct.DatabaseTypeName(), n, nok, l, lok, p, s, pok)
		}
		for {
			for rows.Next() {
				var v any
				got = append(got, rows.Scan(&v), v)
			}
			// Without a next result set, the rows are closed now.
			got = append(got, db.Stats().InUse)
			if !rows.NextResultSet() {
				break
			}
			got = append(got, "next set")
		}
		return append(got, rows.Err(), rows.Close())
	}

	step("ping", db.PingContext(ctx))
	for _, e := range []struct {
		q    string
		args []any
	}{
		{"DELETE FROM t WHERE a = ? AND b = ?", []any{1, "x"}},
		{"DELETE FROM t", nil},
		{"DELETE FROM t WHERE a = :a", []any{sql.Named("a", 1)}},
		{"UPDATE t SET p = ? WHERE a = ?", []any{point{1, 2}, 3}},
		{"DELETE FROM t WHERE a = ?", []any{dropped{}, 1}},
		{"DELETE FROM t WHERE a = ?", []any{sql.Named("d", dropped{}), 1}},
		{"DELETE FROM t WHERE a = ?", []any{loggedValuer{fd.log}}},
		{"DELETE FROM t WHERE a = ?", []any{(*nilValuer)(nil)}},
		{"DELETE FROM t WHERE a = ?", []any{1, point{3, 4}}},
		{"DELETE BAD", []any{1}},
	} {
		res, err := db.ExecContext(ctx, e.q, e.args...)
		var n int64 = -1
		if err == nil {
			n, _ = res.RowsAffected()
		}
		step(fmt.Sprintf("exec %q %v", e.q, e.args), n, err)
		rows, err := db.QueryContext(ctx, strings.Replace(e.q, "DELETE", "SELECT a", 1), e.args...)
		if err != nil {
			step("query", err)
		} else {
			step("query", readRows(rows)...)
		}
	}
	var v any
	step("query row", db.QueryRowContext(ctx, "SELECT a FROM t").Scan(&v), v)
	if rows, err := db.QueryContext(ctx, "SELECT a FROM t"); err == nil {
		// The next result set before the end of this one.
		got := []any{rows.Next(), rows.NextResultSet()}
		step("query, next result set early", append(got, readRows(rows)...)...)
	} else {
		step("query, next result set early", err)
	}
	// Contexts canceled during an operation, where database/sql checks
	// them between driver calls (ctxDriverPrepare, ctxDriverBegin, the
	// legacy Exec paths).
	for _, at := range []string{"Conn.Prepare", "Valuer.Value", "Conn.Begin"} {
		cctx, cancel := context.WithCancel(ctx)
		fd.log.cancelOn(at, cancel)
		var err error
		if at == "Conn.Begin" {
			_, err = db.BeginTx(cctx, nil)
		} else {
			_, err = db.ExecContext(cctx, "DELETE FROM t WHERE a = ?", loggedValuer{fd.log})
		}
		fd.log.cancelOn("", nil)
		cancel()
		settle(t, db)
		step("canceled at "+at, err)
	}

	st, err := db.PrepareContext(ctx, "INSERT INTO t VALUES (?, ?)")
	step("prepare", err)
	if err == nil {
		res, err := st.ExecContext(ctx, point{7, 8}, sql.Named("b", 2))
		if err == nil {
			n, _ := res.RowsAffected()
			step("stmt exec", n)
		} else {
			step("stmt exec", err)
		}
		rows, err := st.QueryContext(ctx, 1, loggedValuer{fd.log})
		if err == nil {
			step("stmt query", readRows(rows)...)
		} else {
			step("stmt query", err)
		}
		step("stmt close", st.Close())
	}

	for _, opts := range []*sql.TxOptions{nil, {Isolation: sql.LevelSerializable}, {ReadOnly: true}} {
		tx, err := db.BeginTx(ctx, opts)
		step(fmt.Sprintf("begin %+v", opts), err)
		if err == nil {
			_, err = tx.ExecContext(ctx, "DELETE FROM t WHERE a = ?", 1)
			step("tx exec, commit", err, tx.Commit())
		}
	}
	if tx, err := db.BeginTx(ctx, nil); err == nil {
		step("rollback", tx.Rollback())
	}
	// A transaction whose context ends: database/sql rolls it back, then
	// keeps the connection if it is a SessionResetter and a Validator,
	// else closes it.
	tctx, cancel := context.WithCancel(ctx)
	if _, err := db.BeginTx(tctx, nil); err == nil {
		cancel()
		settle(t, db)
		step("canceled transaction", db.Stats().OpenConnections)
	}
	cancel()

	conn, err := db.Conn(ctx)
	if err == nil {
		step("raw", conn.Raw(func(dc any) error {
			if Unwrap(dc) != fd.lastConn() {
				return errors.New("Unwrap(driverConn) is not the driver's connection")
			}
			return nil
		}), conn.Close())
	}
	step("close", db.Close())
	return out
}

// settle waits until db's one connection is back in the pool or closed:
// until database/sql has rolled back a transaction whose context ended.
func settle(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s := db.Stats(); s.OpenConnections != 0 && s.Idle != 1; s = db.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the connection is still in use: %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkEquivSpans checks the spans of a traced run: all children (each
// operation's context has the request's span), and a PING span exactly for
// each Ping the driver got.
func checkEquivSpans(t *testing.T, spans []tracingtest.SpanData, transcript []string) {
	t.Helper()
	if len(spans) == 0 {
		t.Error("no spans")
	}
	for _, s := range spans {
		if !s.ParentID.IsValid() {
			t.Errorf("span %s has no parent", s.Name)
		}
	}
	pings := strings.Count(strings.Join(transcript, "\n"), "Conn.Ping")
	if n := len(tracingtest.Named(spans, "PING")); n != pings {
		t.Errorf("%d PING spans for %d pings", n, pings)
	}
}

func diffLines(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "  bare:    %s\n  wrapped: %s\n", w, g)
		}
	}
	return b.String()
}

// TestInvalidNameWithoutExecer pins the one difference left (see
// conn.deferArgs): for a connection without Execer(Context), database/sql
// checks argument names before the direct exec the wrapper offers, so a
// name it rejects fails before the query is prepared, not after. The
// error is the same.
func TestInvalidNameWithoutExecer(t *testing.T) {
	var errs [2]error
	var calls [2][]string
	for i, wrap := range []func(driver.Driver) driver.Driver{
		func(d driver.Driver) driver.Driver { return d },
		func(d driver.Driver) driver.Driver { return WrapDriver(d) },
	} {
		db, fd := equivCase{}.open(t, wrap)
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		fd.log.take()
		_, errs[i] = db.Exec("DELETE FROM t WHERE a = ?", sql.Named("1a", 1))
		calls[i] = fd.log.take()
		db.Close()
	}
	if errs[0] == nil || errs[1] == nil || errs[0].Error() != errs[1].Error() {
		t.Errorf("errors %v (bare) and %v (wrapped), want the same", errs[0], errs[1])
	}
	if want := []string{`Conn.Prepare "DELETE FROM t WHERE a = ?"`, "Stmt.Close"}; !slices.Equal(calls[0], want) || len(calls[1]) != 0 {
		t.Errorf("calls %q (bare) and %q (wrapped), want %q and none", calls[0], calls[1], want)
	}
}

// TestRowsSpan checks that a query's span lasts until its rows are
// closed, counts the rows of every result set, and does not take io.EOF
// for an error.
func TestRowsSpan(t *testing.T) {
	rec, tr, ctx, req := newRecorder(t)
	defer req.End()
	for _, ifaces := range []func(*fakeRows) dRows{
		func(r *fakeRows) dRows { return struct{ dRows }{r} },
		func(r *fakeRows) dRows { return struct{ driver.RowsNextResultSet }{r} },
	} {
		rec.Reset()
		fc := &fakeConn{log: &callLog{}, rowsIfaces: ifaces}
		c := wrapConn(fc, newConfig(nil, "", []Option{WithTracer(tr)})).(driver.QueryerContext)
		r, err := c.QueryContext(ctx, "SELECT a FROM t", nil)
		if err != nil {
			t.Fatal(err)
		}
		bare := Unwrap(r)
		if bare == r {
			t.Fatal("Unwrap(rows) returned the wrapper")
		}
		dest := make([]driver.Value, 1)
		n := 0
		for {
			for r.Next(dest) == nil {
				n++
			}
			if r.(driver.RowsNextResultSet).NextResultSet() != nil {
				break
			}
		}
		if len(rec.Spans()) != 0 {
			t.Error("the query span ended before the rows were closed")
		}
		r.Close()
		spans := rec.Spans()
		if len(spans) != 1 {
			t.Fatalf("%d spans, want 1", len(spans))
		}
		if v, _ := spans[0].Attr(AttrReturnedRows); v.AsInt64() != int64(n) || n == 0 {
			t.Errorf("%s = %v after reading %d rows", AttrReturnedRows, v, n)
		}
		if spans[0].Status != tracing.StatusUnset {
			t.Errorf("status %v: io.EOF must not be an error", spans[0].Status)
		}
	}
}

// TestUnwrap checks that Unwrap returns the driver's own values.
func TestUnwrap(t *testing.T) {
	log := &callLog{}
	fc := &fakeConn{log: log}
	drv := &fakeDriver{log: log, conn: fc}
	_, tr, ctx, req := newRecorder(t)
	defer req.End()
	w := WrapDriver(drv, WithTracer(tr))
	if Unwrap(w) != driver.Driver(drv) {
		t.Error("Unwrap(driver)")
	}
	bareConnector := &fakeConnector{log: log, drv: drv}
	wc := WrapConnector(bareConnector, WithTracer(tr))
	if Unwrap(wc) != driver.Connector(bareConnector) || Unwrap(wc.Driver()) != driver.Driver(drv) {
		t.Error("Unwrap(connector), Unwrap(connector.Driver())")
	}
	c, err := wc.Connect(ctx)
	if err != nil || Unwrap(c) != driver.Conn(fc) {
		t.Fatalf("Unwrap(Connect()) = %v, %v", Unwrap(c), err)
	}
	s, err := c.(driver.ConnPrepareContext).PrepareContext(ctx, "SELECT a FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Unwrap(s).(*fakeStmt); !ok {
		t.Errorf("Unwrap(stmt) = %T", Unwrap(s))
	}
	tx, err := c.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Unwrap(tx).(*fakeTx); !ok {
		t.Errorf("Unwrap(tx) = %T", Unwrap(tx))
	}
	tx.Commit()
	for _, v := range []any{fc, 42, nil} {
		if Unwrap(v) != v {
			t.Errorf("Unwrap(%v) is not itself", v)
		}
	}
}
