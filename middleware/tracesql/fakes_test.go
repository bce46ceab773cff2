//lint:file-ignore SA1019 the fakes implement the deprecated driver interfaces on purpose.

package tracesql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// The fakes implement every method of their kind and record each call,
// with its arguments. A test hides the optional interfaces it wants
// absent by composing a fake into a struct that embeds only some of the
// driver's interfaces: struct{ driver.Conn; driver.Pinger }{c, c} is a
// connection that is a Pinger and nothing else.

type callLog struct {
	mu    sync.Mutex
	calls []string
	// cancel is called with the first call whose text starts with
	// cancelAt, to cancel a context in the middle of an operation.
	cancelAt string
	cancel   func()
}

func (l *callLog) add(format string, args ...any) {
	l.mu.Lock()
	c := fmt.Sprintf(format, args...)
	l.calls = append(l.calls, c)
	var cancel func()
	if l.cancel != nil && strings.HasPrefix(c, l.cancelAt) {
		cancel, l.cancel = l.cancel, nil
	}
	l.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// cancelOn arranges for cancel to be called at the first call whose text
// starts with prefix.
func (l *callLog) cancelOn(prefix string, cancel func()) {
	l.mu.Lock()
	l.cancelAt, l.cancel = prefix, cancel
	l.mu.Unlock()
}

// take returns the calls so far and forgets them.
func (l *callLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// columnConverter is driver.ColumnConverter under another name: a struct
// embedding driver.ColumnConverter gets a field named ColumnConverter,
// which hides the method of the same name.
type columnConverter = driver.ColumnConverter

// fakeDriver opens conn, exposing what ifaces makes of it (all of its
// interfaces if ifaces is nil).
type fakeDriver struct {
	log    *callLog
	conn   *fakeConn
	ifaces func(*fakeConn) driver.Conn

	mu   sync.Mutex
	last driver.Conn // the connection last opened
}

func (d *fakeDriver) open() driver.Conn {
	var c driver.Conn = d.conn
	if d.ifaces != nil {
		c = d.ifaces(d.conn)
	}
	d.mu.Lock()
	d.last = c
	d.mu.Unlock()
	return c
}

func (d *fakeDriver) lastConn() driver.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

func (d *fakeDriver) Open(string) (driver.Conn, error) {
	d.log.add("Driver.Open")
	return d.open(), nil
}

// fakeDriverContext is a fakeDriver with a connector, which is an
// io.Closer if closer is set.
type fakeDriverContext struct {
	*fakeDriver
	closer bool
}

func (d *fakeDriverContext) OpenConnector(string) (driver.Connector, error) {
	d.log.add("Driver.OpenConnector")
	c := &fakeConnector{log: d.log, drv: d.fakeDriver}
	if d.closer {
		return c, nil
	}
	return struct{ driver.Connector }{c}, nil
}

type fakeConnector struct {
	log *callLog
	drv *fakeDriver
}

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) {
	c.log.add("Connector.Connect")
	return c.drv.open(), nil
}
func (c *fakeConnector) Driver() driver.Driver { return c.drv }
func (c *fakeConnector) Close() error          { c.log.add("Connector.Close"); return nil }

// fakeConn's statements and rows expose what stmtIfaces and rowsIfaces
// make of them (everything if nil). A query containing "BAD" fails to
// prepare.
type fakeConn struct {
	log        *callLog
	stmtIfaces func(*fakeStmt) driver.Stmt
	rowsIfaces func(*fakeRows) driver.Rows
	// execErr and queryErr are returned by Exec(Context) and
	// Query(Context), e.g. driver.ErrSkip.
	execErr, queryErr error
	// got records the last query text the conn received.
	got string
}

func (c *fakeConn) stmt(q string) driver.Stmt {
	s := &fakeStmt{log: c.log, conn: c, query: q}
	if c.stmtIfaces != nil {
		return c.stmtIfaces(s)
	}
	return s
}

func (c *fakeConn) rows(n int) driver.Rows {
	r := &fakeRows{log: c.log, n: n, left: n}
	if c.rowsIfaces != nil {
		return c.rowsIfaces(r)
	}
	return r
}

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.log.add("Conn.Prepare %q", q)
	return c.prepare(q)
}

func (c *fakeConn) prepare(q string) (driver.Stmt, error) {
	c.got = q
	if strings.Contains(q, "BAD") {
		return nil, errors.New("fake: cannot prepare")
	}
	return c.stmt(q), nil
}
func (c *fakeConn) Close() error { c.log.add("Conn.Close"); return nil }
func (c *fakeConn) Begin() (driver.Tx, error) {
	c.log.add("Conn.Begin")
	return &fakeTx{log: c.log}, nil
}
func (c *fakeConn) Ping(context.Context) error { c.log.add("Conn.Ping"); return nil }
func (c *fakeConn) IsValid() bool              { c.log.add("Conn.IsValid"); return true }
func (c *fakeConn) ResetSession(context.Context) error {
	c.log.add("Conn.ResetSession")
	return nil
}
func (c *fakeConn) CheckNamedValue(nv *driver.NamedValue) error {
	c.log.add("Conn.CheckNamedValue %s", fmtArg(*nv))
	return checkFakeArg("conn", nv)
}
func (c *fakeConn) Exec(q string, args []driver.Value) (driver.Result, error) {
	c.log.add("Conn.Exec %q %v", q, args)
	c.got = q
	if c.execErr != nil {
		return nil, c.execErr
	}
	return driver.RowsAffected(3), nil
}
func (c *fakeConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.log.add("Conn.ExecContext %q %s", q, fmtArgs(args))
	c.got = q
	if c.execErr != nil {
		return nil, c.execErr
	}
	return driver.RowsAffected(3), nil
}
func (c *fakeConn) Query(q string, args []driver.Value) (driver.Rows, error) {
	c.log.add("Conn.Query %q %v", q, args)
	c.got = q
	if c.queryErr != nil {
		return nil, c.queryErr
	}
	return c.rows(2), nil
}
func (c *fakeConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.log.add("Conn.QueryContext %q %s", q, fmtArgs(args))
	c.got = q
	if c.queryErr != nil {
		return nil, c.queryErr
	}
	return c.rows(2), nil
}
func (c *fakeConn) PrepareContext(_ context.Context, q string) (driver.Stmt, error) {
	c.log.add("Conn.PrepareContext %q", q)
	return c.prepare(q)
}
func (c *fakeConn) BeginTx(_ context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.log.add("Conn.BeginTx %+v", opts)
	return &fakeTx{log: c.log}, nil
}

type fakeTx struct{ log *callLog }

func (t *fakeTx) Commit() error   { t.log.add("Tx.Commit"); return nil }
func (t *fakeTx) Rollback() error { t.log.add("Tx.Rollback"); return nil }

// fakeStmt's NumInput is the number of ? in its query.
type fakeStmt struct {
	log   *callLog
	conn  *fakeConn
	query string
}

func (s *fakeStmt) Close() error  { s.log.add("Stmt.Close"); return nil }
func (s *fakeStmt) NumInput() int { return strings.Count(s.query, "?") }
func (s *fakeStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.log.add("Stmt.Exec %v", args)
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.log.add("Stmt.Query %v", args)
	return s.conn.rows(1), nil
}
func (s *fakeStmt) ExecContext(_ context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.log.add("Stmt.ExecContext %s", fmtArgs(args))
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) QueryContext(_ context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.log.add("Stmt.QueryContext %s", fmtArgs(args))
	return s.conn.rows(1), nil
}
func (s *fakeStmt) CheckNamedValue(nv *driver.NamedValue) error {
	s.log.add("Stmt.CheckNamedValue %s", fmtArg(*nv))
	return checkFakeArg("stmt", nv)
}
func (s *fakeStmt) ColumnConverter(idx int) driver.ValueConverter {
	s.log.add("Stmt.ColumnConverter %d", idx)
	return fakeColumn{}
}

// fakeColumn converts a point to text, and other values as the default
// converter does.
type fakeColumn struct{}

func (fakeColumn) ConvertValue(v any) (driver.Value, error) {
	if p, ok := v.(point); ok {
		return fmt.Sprintf("column:%d,%d", p.X, p.Y), nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// point is an argument the default converter rejects; the fakes'
// checkers take it, each its own way, and skip other values.
type point struct{ X, Y int }

// dropped is an argument the fakes' checkers remove.
type dropped struct{}

func checkFakeArg(who string, nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case point:
		nv.Value = fmt.Sprintf("%s:%d,%d", who, v.X, v.Y)
		return nil
	case dropped:
		return driver.ErrRemoveArgument
	}
	return driver.ErrSkip
}

// loggedValuer records its Value calls.
type loggedValuer struct{ log *callLog }

func (v loggedValuer) Value() (driver.Value, error) { v.log.add("Valuer.Value"); return "valued", nil }
func (v loggedValuer) String() string               { return "loggedValuer" }

// nilValuer is NULL as a nil pointer (database/sql's callValuerValue).
type nilValuer struct{}

func (nilValuer) Value() (driver.Value, error) { return "not nil", nil }

// fakeRows has n rows per result set, and two result sets.
type fakeRows struct {
	log     *callLog
	n, left int
	set     int
}

func (r *fakeRows) Columns() []string { return []string{"a"} }
func (r *fakeRows) Close() error      { r.log.add("Rows.Close"); return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.left == 0 {
		return io.EOF
	}
	r.left--
	dest[0] = int64(10*r.set + r.left)
	return nil
}
func (r *fakeRows) HasNextResultSet() bool {
	r.log.add("Rows.HasNextResultSet")
	return r.set == 0
}
func (r *fakeRows) NextResultSet() error {
	r.log.add("Rows.NextResultSet")
	if r.set > 0 {
		return io.EOF
	}
	r.set, r.left = 1, r.n
	return nil
}
func (r *fakeRows) ColumnTypeScanType(int) reflect.Type {
	r.log.add("Rows.ColumnTypeScanType")
	return reflect.TypeFor[int64]()
}
func (r *fakeRows) ColumnTypeDatabaseTypeName(int) string {
	r.log.add("Rows.ColumnTypeDatabaseTypeName")
	return "INTEGER"
}
func (r *fakeRows) ColumnTypeLength(int) (int64, bool) {
	r.log.add("Rows.ColumnTypeLength")
	return 8, true
}
func (r *fakeRows) ColumnTypeNullable(int) (bool, bool) {
	r.log.add("Rows.ColumnTypeNullable")
	return true, true
}
func (r *fakeRows) ColumnTypePrecisionScale(int) (int64, int64, bool) {
	r.log.add("Rows.ColumnTypePrecisionScale")
	return 19, 0, true
}

func fmtArg(nv driver.NamedValue) string {
	if nv.Name != "" {
		return fmt.Sprintf("%s(%d)=%v", nv.Name, nv.Ordinal, nv.Value)
	}
	return fmt.Sprintf("$%d=%v", nv.Ordinal, nv.Value)
}

func fmtArgs(args []driver.NamedValue) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = fmtArg(a)
	}
	return "[" + strings.Join(s, " ") + "]"
}
