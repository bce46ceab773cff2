package tracesql

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"
	"sync"
)

// The fakes implement every method of their kind and record which was
// called; combos_gen_test.go composes them into values that expose exactly
// a chosen set of optional interfaces.

type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(s string) {
	l.mu.Lock()
	l.calls = append(l.calls, s)
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

type fakeDriver struct {
	log      *callLog
	connMask fakeConnFeature
	conn     *fakeConn
}

func (d *fakeDriver) Open(name string) (driver.Conn, error) {
	d.log.add("Driver.Open")
	return composeFakeConn(d.conn, d.connMask), nil
}

type fakeDriverContext struct{ fakeDriver }

func (d *fakeDriverContext) OpenConnector(name string) (driver.Connector, error) {
	d.log.add("Driver.OpenConnector")
	return composeFakeConnector(&fakeConnector{log: d.log, drv: &d.fakeDriver}, 0), nil
}

type fakeConnector struct {
	log *callLog
	drv *fakeDriver
}

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) {
	c.log.add("Connector.Connect")
	return composeFakeConn(c.drv.conn, c.drv.connMask), nil
}
func (c *fakeConnector) Driver() driver.Driver { return c.drv }
func (c *fakeConnector) Close() error          { c.log.add("Connector.Close"); return nil }

type fakeConn struct {
	log      *callLog
	stmtMask fakeStmtFeature
	rowsMask fakeRowsFeature
	// execErr and queryErr are returned by Exec(Context) and
	// Query(Context), e.g. driver.ErrSkip.
	execErr, queryErr error
	// got records the last query text the conn received.
	got string
}

func (c *fakeConn) stmt(q string) driver.Stmt {
	return composeFakeStmt(&fakeStmt{log: c.log, rowsMask: c.rowsMask, query: q}, c.stmtMask)
}
func (c *fakeConn) rows() driver.Rows {
	return composeFakeRows(&fakeRows{log: c.log, n: 2}, c.rowsMask)
}

func (c *fakeConn) Prepare(q string) (driver.Stmt, error) {
	c.log.add("Conn.Prepare")
	c.got = q
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
func (c *fakeConn) CheckNamedValue(*driver.NamedValue) error {
	c.log.add("Conn.CheckNamedValue")
	return nil
}
func (c *fakeConn) Exec(q string, _ []driver.Value) (driver.Result, error) {
	c.log.add("Conn.Exec")
	c.got = q
	if c.execErr != nil {
		return nil, c.execErr
	}
	return driver.RowsAffected(3), nil
}
func (c *fakeConn) ExecContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	c.log.add("Conn.ExecContext")
	c.got = q
	if c.execErr != nil {
		return nil, c.execErr
	}
	return driver.RowsAffected(3), nil
}
func (c *fakeConn) Query(q string, _ []driver.Value) (driver.Rows, error) {
	c.log.add("Conn.Query")
	c.got = q
	if c.queryErr != nil {
		return nil, c.queryErr
	}
	return c.rows(), nil
}
func (c *fakeConn) QueryContext(_ context.Context, q string, _ []driver.NamedValue) (driver.Rows, error) {
	c.log.add("Conn.QueryContext")
	c.got = q
	if c.queryErr != nil {
		return nil, c.queryErr
	}
	return c.rows(), nil
}
func (c *fakeConn) PrepareContext(_ context.Context, q string) (driver.Stmt, error) {
	c.log.add("Conn.PrepareContext")
	c.got = q
	return c.stmt(q), nil
}
func (c *fakeConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	c.log.add("Conn.BeginTx")
	return &fakeTx{log: c.log}, nil
}

type fakeTx struct{ log *callLog }

func (t *fakeTx) Commit() error   { t.log.add("Tx.Commit"); return nil }
func (t *fakeTx) Rollback() error { t.log.add("Tx.Rollback"); return nil }

type fakeStmt struct {
	log      *callLog
	rowsMask fakeRowsFeature
	query    string
}

func (s *fakeStmt) Close() error  { s.log.add("Stmt.Close"); return nil }
func (s *fakeStmt) NumInput() int { return -1 }
func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) {
	s.log.add("Stmt.Exec")
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) Query([]driver.Value) (driver.Rows, error) {
	s.log.add("Stmt.Query")
	return composeFakeRows(&fakeRows{log: s.log, n: 1}, s.rowsMask), nil
}
func (s *fakeStmt) ExecContext(context.Context, []driver.NamedValue) (driver.Result, error) {
	s.log.add("Stmt.ExecContext")
	return driver.RowsAffected(1), nil
}
func (s *fakeStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	s.log.add("Stmt.QueryContext")
	return composeFakeRows(&fakeRows{log: s.log, n: 1}, s.rowsMask), nil
}
func (s *fakeStmt) CheckNamedValue(*driver.NamedValue) error {
	s.log.add("Stmt.CheckNamedValue")
	return nil
}
func (s *fakeStmt) ColumnConverter(int) driver.ValueConverter {
	s.log.add("Stmt.ColumnConverter")
	return driver.DefaultParameterConverter
}

type fakeRows struct {
	log *callLog
	n   int // rows left
}

func (r *fakeRows) Columns() []string { return []string{"a"} }
func (r *fakeRows) Close() error      { r.log.add("Rows.Close"); return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.n == 0 {
		return io.EOF
	}
	r.n--
	dest[0] = int64(r.n)
	return nil
}
func (r *fakeRows) HasNextResultSet() bool {
	r.log.add("Rows.HasNextResultSet")
	return false
}
func (r *fakeRows) NextResultSet() error {
	r.log.add("Rows.NextResultSet")
	return io.EOF
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
	return 0, false
}
func (r *fakeRows) ColumnTypeNullable(int) (bool, bool) {
	r.log.add("Rows.ColumnTypeNullable")
	return true, true
}
func (r *fakeRows) ColumnTypePrecisionScale(int) (int64, int64, bool) {
	r.log.add("Rows.ColumnTypePrecisionScale")
	return 0, 0, false
}
