//lint:file-ignore SA1019 the tests exercise the deprecated driver interfaces on purpose.

package tracesql

import (
	"context"
	"database/sql/driver"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// iface is an optional driver interface and how to test a value for it.
// These lists are written by hand, independently of internal/combogen, so
// that they check the generated code.
type iface struct {
	name string
	has  func(any) bool
}

func is[T any](v any) bool { _, ok := v.(T); return ok }

// connIfaces are in the order of the fakeConnHas* bits.
var connIfaces = []iface{
	{"Pinger", is[driver.Pinger]},
	{"Execer", is[driver.Execer]},
	{"ExecerContext", is[driver.ExecerContext]},
	{"Queryer", is[driver.Queryer]},
	{"QueryerContext", is[driver.QueryerContext]},
	{"ConnPrepareContext", is[driver.ConnPrepareContext]},
	{"ConnBeginTx", is[driver.ConnBeginTx]},
	{"SessionResetter", is[driver.SessionResetter]},
	{"Validator", is[driver.Validator]},
	{"NamedValueChecker", is[driver.NamedValueChecker]},
}

// stmtIfaces are in the order of the fakeStmtHas* bits.
var stmtIfaces = []iface{
	{"StmtExecContext", is[driver.StmtExecContext]},
	{"StmtQueryContext", is[driver.StmtQueryContext]},
	{"NamedValueChecker", is[driver.NamedValueChecker]},
	{"ColumnConverter", is[driver.ColumnConverter]},
}

// rowsIfaces are in the order of the fakeRowsHas* bits.
var rowsIfaces = []iface{
	{"RowsNextResultSet", is[driver.RowsNextResultSet]},
	{"RowsColumnTypeScanType", is[driver.RowsColumnTypeScanType]},
	{"RowsColumnTypeDatabaseTypeName", is[driver.RowsColumnTypeDatabaseTypeName]},
	{"RowsColumnTypeLength", is[driver.RowsColumnTypeLength]},
	{"RowsColumnTypeNullable", is[driver.RowsColumnTypeNullable]},
	{"RowsColumnTypePrecisionScale", is[driver.RowsColumnTypePrecisionScale]},
}

func ifaceSet(v any, list []iface) map[string]bool {
	m := map[string]bool{}
	for _, i := range list {
		m[i.name] = i.has(v)
	}
	return m
}

func maskSet(m uint, list []iface) map[string]bool {
	s := map[string]bool{}
	for i, x := range list {
		s[x.name] = m&(1<<i) != 0
	}
	return s
}

func diffSets(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: implements %s = %v, want %v", what, k, got[k], w)
		}
	}
}

// expectCalls runs f and checks the fake's call log.
func expectCalls(t *testing.T, log *callLog, what string, f func(), want ...string) {
	t.Helper()
	log.take()
	f()
	if got := log.take(); !slices.Equal(got, want) {
		t.Errorf("%s: driver calls %q, want %q", what, got, want)
	}
}

// TestConnForwarding checks, for every combination of the optional
// interfaces a driver connection can have (1024), that the wrapped
// connection has the same ones (plus the context forms, see connCore), and
// that each of its methods reaches the method database/sql would have
// called on the bare connection, with spans only for traced operations.
func TestConnForwarding(t *testing.T) {
	rec := tracingtest.NewRecorder()
	cfg := newConfig(nil, "", []Option{WithTracer(rec.Tracer())})
	ctx, parent := rec.Tracer().Start(context.Background(), "request")
	defer parent.End()
	log := &callLog{}
	const (
		execer = fakeConnHasExecer
		execC  = fakeConnHasExecerContext
		quer   = fakeConnHasQueryer
		querC  = fakeConnHasQueryerContext
		prepC  = fakeConnHasConnPrepareContext
		beginC = fakeConnHasConnBeginTx
	)
	for m := fakeConnFeature(0); m < 1<<len(connIfaces); m++ {
		f := &fakeConn{log: log}
		bare := composeFakeConn(f, m)
		what := "fake conn " + featureList(uint(m), connIfaces)
		diffSets(t, what, ifaceSet(bare, connIfaces), maskSet(uint(m), connIfaces))

		w := wrapConn(bare, cfg)
		what = "wrapped " + what
		want := maskSet(uint(m), connIfaces)
		want["ExecerContext"] = m&(execer|execC) != 0
		want["QueryerContext"] = m&(quer|querC) != 0
		want["ConnPrepareContext"], want["ConnBeginTx"] = true, true
		diffSets(t, what, ifaceSet(w, connIfaces), want)
		if Unwrap(w) != bare {
			t.Errorf("%s: Unwrap does not return the wrapped connection", what)
		}
		rec.Reset()

		pick := func(ctxForm bool, withCtx, without string) string {
			if ctxForm {
				return withCtx
			}
			return without
		}
		if p, ok := w.(driver.Pinger); ok {
			expectCalls(t, log, what+" Ping", func() { p.Ping(ctx) }, "Conn.Ping")
		}
		if e, ok := w.(driver.Execer); ok {
			expectCalls(t, log, what+" Exec", func() { e.Exec("DELETE FROM t", nil) }, "Conn.Exec")
		}
		if e, ok := w.(driver.ExecerContext); ok {
			expectCalls(t, log, what+" ExecContext", func() { e.ExecContext(ctx, "DELETE FROM t", nil) },
				pick(m&execC != 0, "Conn.ExecContext", "Conn.Exec"))
		}
		if q, ok := w.(driver.Queryer); ok {
			expectCalls(t, log, what+" Query", func() {
				r, _ := q.Query("SELECT a FROM t", nil)
				r.Close()
			}, "Conn.Query", "Rows.Close")
		}
		if q, ok := w.(driver.QueryerContext); ok {
			expectCalls(t, log, what+" QueryContext", func() {
				r, _ := q.QueryContext(ctx, "SELECT a FROM t", nil)
				r.Close()
			}, pick(m&querC != 0, "Conn.QueryContext", "Conn.Query"), "Rows.Close")
		}
		expectCalls(t, log, what+" PrepareContext", func() {
			s, _ := w.(driver.ConnPrepareContext).PrepareContext(ctx, "SELECT a FROM t")
			s.Close()
		}, pick(m&prepC != 0, "Conn.PrepareContext", "Conn.Prepare"), "Stmt.Close")
		expectCalls(t, log, what+" BeginTx", func() {
			tx, _ := w.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{})
			tx.Commit()
		}, pick(m&beginC != 0, "Conn.BeginTx", "Conn.Begin"), "Tx.Commit")
		if r, ok := w.(driver.SessionResetter); ok {
			expectCalls(t, log, what+" ResetSession", func() { r.ResetSession(ctx) }, "Conn.ResetSession")
		}
		if v, ok := w.(driver.Validator); ok {
			expectCalls(t, log, what+" IsValid", func() { v.IsValid() }, "Conn.IsValid")
		}
		if c, ok := w.(driver.NamedValueChecker); ok {
			expectCalls(t, log, what+" CheckNamedValue", func() { c.CheckNamedValue(&driver.NamedValue{}) }, "Conn.CheckNamedValue")
		}
		expectCalls(t, log, what+" Prepare", func() {
			s, _ := w.Prepare("SELECT 1")
			s.Close()
		}, "Conn.Prepare", "Stmt.Close")
		expectCalls(t, log, what+" Begin", func() {
			tx, _ := w.Begin()
			tx.Rollback()
		}, "Conn.Begin", "Tx.Rollback")
		expectCalls(t, log, what+" Close", func() { w.Close() }, "Conn.Close")

		// Spans: one per context-taking exec and query, BEGIN and
		// COMMIT; none for the legacy forms, ping and prepare (not in
		// DefaultOps).
		var names []string
		for _, s := range rec.Spans() {
			names = append(names, s.Name)
		}
		var wantNames []string
		if m&(execer|execC) != 0 {
			wantNames = append(wantNames, "DELETE t")
		}
		if m&(quer|querC) != 0 {
			wantNames = append(wantNames, "SELECT t")
		}
		wantNames = append(wantNames, "BEGIN", "COMMIT")
		if !slices.Equal(names, wantNames) {
			t.Errorf("%s: spans %q, want %q", what, names, wantNames)
		}
	}
}

func featureList(m uint, list []iface) string {
	var names []string
	for i, x := range list {
		if m&(1<<i) != 0 {
			names = append(names, x.name)
		}
	}
	return "{" + strings.Join(names, ",") + "}"
}

// TestStmtForwarding does the same for every combination of a statement's
// optional interfaces (16).
func TestStmtForwarding(t *testing.T) {
	rec := tracingtest.NewRecorder()
	cfg := newConfig(nil, "", []Option{WithTracer(rec.Tracer())})
	ctx, parent := rec.Tracer().Start(context.Background(), "request")
	defer parent.End()
	log := &callLog{}
	for m := fakeStmtFeature(0); m < 1<<len(stmtIfaces); m++ {
		f := &fakeConn{log: log, stmtMask: m}
		c := wrapConn(composeFakeConn(f, 1<<len(connIfaces)-1), cfg).(driver.ConnPrepareContext)
		what := "fake stmt " + featureList(uint(m), stmtIfaces)
		s, err := c.PrepareContext(ctx, "INSERT INTO t VALUES (?)")
		if err != nil {
			t.Fatal(err)
		}
		bare := Unwrap(s)
		diffSets(t, what, ifaceSet(bare, stmtIfaces), maskSet(uint(m), stmtIfaces))
		want := maskSet(uint(m), stmtIfaces)
		want["StmtExecContext"], want["StmtQueryContext"] = true, true
		what = "wrapped " + what
		diffSets(t, what, ifaceSet(s, stmtIfaces), want)
		rec.Reset()

		pick := func(has bool, a, b string) string {
			if has {
				return a
			}
			return b
		}
		expectCalls(t, log, what+" ExecContext", func() { s.(driver.StmtExecContext).ExecContext(ctx, nil) },
			pick(m&fakeStmtHasStmtExecContext != 0, "Stmt.ExecContext", "Stmt.Exec"))
		expectCalls(t, log, what+" QueryContext", func() {
			r, _ := s.(driver.StmtQueryContext).QueryContext(ctx, nil)
			r.Close()
		}, pick(m&fakeStmtHasStmtQueryContext != 0, "Stmt.QueryContext", "Stmt.Query"), "Rows.Close")
		expectCalls(t, log, what+" Exec", func() { s.Exec(nil) }, "Stmt.Exec")
		expectCalls(t, log, what+" Query", func() { s.Query(nil) }, "Stmt.Query")
		if x, ok := s.(driver.NamedValueChecker); ok {
			expectCalls(t, log, what+" CheckNamedValue", func() { x.CheckNamedValue(&driver.NamedValue{}) }, "Stmt.CheckNamedValue")
		}
		if x, ok := s.(driver.ColumnConverter); ok {
			expectCalls(t, log, what+" ColumnConverter", func() { x.ColumnConverter(0) }, "Stmt.ColumnConverter")
		}
		if s.NumInput() != -1 {
			t.Errorf("%s: NumInput = %d, want the driver's -1", what, s.NumInput())
		}
		expectCalls(t, log, what+" Close", func() { s.Close() }, "Stmt.Close")
		if n := len(tracingtest.Named(rec.Spans(), "INSERT t")); n != 2 {
			t.Errorf("%s: %d spans named INSERT t, want 2 (exec and query)", what, n)
		}
	}
}

// TestRowsForwarding does the same for every combination of the optional
// interfaces of rows (64), and checks that the span counts the rows.
func TestRowsForwarding(t *testing.T) {
	rec := tracingtest.NewRecorder()
	cfg := newConfig(nil, "", []Option{WithTracer(rec.Tracer())})
	ctx, parent := rec.Tracer().Start(context.Background(), "request")
	defer parent.End()
	log := &callLog{}
	for m := fakeRowsFeature(0); m < 1<<len(rowsIfaces); m++ {
		f := &fakeConn{log: log, rowsMask: m}
		c := wrapConn(composeFakeConn(f, 1<<len(connIfaces)-1), cfg).(driver.QueryerContext)
		what := "fake rows " + featureList(uint(m), rowsIfaces)
		rec.Reset()
		r, err := c.QueryContext(ctx, "SELECT a FROM t", nil)
		if err != nil {
			t.Fatal(err)
		}
		bare := Unwrap(r)
		diffSets(t, what, ifaceSet(bare, rowsIfaces), maskSet(uint(m), rowsIfaces))
		what = "wrapped " + what
		diffSets(t, what, ifaceSet(r, rowsIfaces), maskSet(uint(m), rowsIfaces))

		if x, ok := r.(driver.RowsNextResultSet); ok {
			expectCalls(t, log, what+" HasNextResultSet", func() { x.HasNextResultSet() }, "Rows.HasNextResultSet")
		}
		if x, ok := r.(driver.RowsColumnTypeScanType); ok {
			expectCalls(t, log, what+" ColumnTypeScanType", func() { x.ColumnTypeScanType(0) }, "Rows.ColumnTypeScanType")
		}
		if x, ok := r.(driver.RowsColumnTypeDatabaseTypeName); ok {
			expectCalls(t, log, what+" ColumnTypeDatabaseTypeName", func() { x.ColumnTypeDatabaseTypeName(0) }, "Rows.ColumnTypeDatabaseTypeName")
		}
		if x, ok := r.(driver.RowsColumnTypeLength); ok {
			expectCalls(t, log, what+" ColumnTypeLength", func() { x.ColumnTypeLength(0) }, "Rows.ColumnTypeLength")
		}
		if x, ok := r.(driver.RowsColumnTypeNullable); ok {
			expectCalls(t, log, what+" ColumnTypeNullable", func() { x.ColumnTypeNullable(0) }, "Rows.ColumnTypeNullable")
		}
		if x, ok := r.(driver.RowsColumnTypePrecisionScale); ok {
			expectCalls(t, log, what+" ColumnTypePrecisionScale", func() { x.ColumnTypePrecisionScale(0) }, "Rows.ColumnTypePrecisionScale")
		}
		if got := r.Columns(); !slices.Equal(got, []string{"a"}) {
			t.Errorf("%s: Columns = %q", what, got)
		}
		dest := make([]driver.Value, 1)
		var n int
		for r.Next(dest) == nil {
			n++
		}
		if x, ok := r.(driver.RowsNextResultSet); ok {
			expectCalls(t, log, what+" NextResultSet", func() {
				if err := x.NextResultSet(); err != io.EOF {
					t.Errorf("%s: NextResultSet = %v, want io.EOF", what, err)
				}
			}, "Rows.NextResultSet")
		}
		if len(rec.Spans()) != 0 {
			t.Errorf("%s: the query span ended before the rows were closed", what)
		}
		expectCalls(t, log, what+" Close", func() { r.Close() }, "Rows.Close")
		spans := rec.Spans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans, want 1", what, len(spans))
		}
		if v, _ := spans[0].Attr(AttrReturnedRows); v.AsInt64() != int64(n) || n != 2 {
			t.Errorf("%s: %s = %v after reading %d rows, want 2", what, AttrReturnedRows, v, n)
		}
		if spans[0].Status.String() != "unset" {
			t.Errorf("%s: status %v: io.EOF must not be an error", what, spans[0].Status)
		}
	}
}

// TestConnectorAndDriverForwarding checks the connector's io.Closer and
// the driver's two ways to connect.
func TestConnectorAndDriverForwarding(t *testing.T) {
	log := &callLog{}
	drv := &fakeDriver{log: log, conn: &fakeConn{log: log}}
	for m := fakeConnectorFeature(0); m < 2; m++ {
		bare := composeFakeConnector(&fakeConnector{log: log, drv: drv}, m)
		w := WrapConnector(bare)
		if got, want := is[io.Closer](w), m != 0; got != want || is[io.Closer](bare) != want {
			t.Errorf("connector mask %d: wrapped io.Closer = %v, bare %v, want %v", m, got, is[io.Closer](bare), want)
		}
		if Unwrap(w) != bare {
			t.Error("Unwrap(connector) does not return the wrapped connector")
		}
		if c, ok := w.(io.Closer); ok {
			expectCalls(t, log, "connector Close", func() { c.Close() }, "Connector.Close")
		}
		expectCalls(t, log, "connector Connect", func() {
			c, err := w.Connect(context.Background())
			if err != nil || Unwrap(c) == c {
				t.Errorf("Connect = %v, %v: want a wrapped connection", c, err)
			}
		}, "Connector.Connect")
		if Unwrap(w.Driver()) != driver.Driver(drv) {
			t.Errorf("connector Driver() = %T, want the traced driver over the connector's", w.Driver())
		}
		expectCalls(t, log, "connector Driver().Open", func() {
			c, err := w.Driver().Open("x")
			if err != nil || Unwrap(c) == c {
				t.Errorf("Driver().Open = %v, %v: want a wrapped connection", c, err)
			}
		}, "Driver.Open")
	}

	// A driver without DriverContext gets a connector over its Open; one
	// with it gets its own connector, wrapped.
	for _, tc := range []struct {
		drv  driver.Driver
		want []string
	}{
		{drv, []string{"Driver.Open"}},
		{&fakeDriverContext{fakeDriver: *drv}, []string{"Driver.OpenConnector", "Connector.Connect"}},
	} {
		w := WrapDriver(tc.drv)
		dc, ok := w.(driver.DriverContext)
		if !ok {
			t.Fatalf("WrapDriver(%T) is not a driver.DriverContext", tc.drv)
		}
		expectCalls(t, log, "OpenConnector+Connect", func() {
			c, err := dc.OpenConnector("dsn")
			if err != nil {
				t.Fatal(err)
			}
			conn, err := c.Connect(context.Background())
			if err != nil || Unwrap(conn) == conn {
				t.Errorf("Connect = %v, %v: want a wrapped connection", conn, err)
			}
		}, tc.want...)
		if Unwrap(w) != tc.drv {
			t.Errorf("Unwrap(WrapDriver(%T)) is not the driver", tc.drv)
		}
	}
}
