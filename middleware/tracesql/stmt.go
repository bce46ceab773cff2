//lint:file-ignore SA1019 forwarding the deprecated driver interfaces is the point: drivers that have only them must keep working.

package tracesql

import (
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
)

// stmt is a traced prepared statement. database/sql uses a statement from
// one goroutine at a time.
//
// It implements StmtExecContext and StmtQueryContext, doing without them
// what ctxDriverStmtExec and ctxDriverStmtQuery do, and NamedValueChecker,
// but not ColumnConverter: its CheckNamedValue runs the chain of
// converters database/sql would run for the bare statement (see there).
type stmt struct {
	s        driver.Stmt
	cfg      *config
	query    string
	info     *queryInfo // computed on first traced use
	execCtx  driver.StmtExecContext
	queryCtx driver.StmtQueryContext
	conn     *conn // prepared on: its checker is the statement's fallback
	// numInput is what NumInput last returned: database/sql asks right
	// before converting arguments, and gives the column converter only
	// the arguments below it.
	numInput int
	// adopted is the span of a query or exec whose driver call returned
	// ErrSkip; this statement runs it.
	adopted pendingSpan
}

func wrapStmt(s driver.Stmt, c *conn, query string, adopted pendingSpan) driver.Stmt {
	w := &stmt{s: s, cfg: c.cfg, conn: c, query: query, adopted: adopted, numInput: -1}
	w.execCtx, _ = s.(driver.StmtExecContext)
	w.queryCtx, _ = s.(driver.StmtQueryContext)
	return w
}

// Unwrap returns the wrapped statement.
func (s *stmt) Unwrap() driver.Stmt { return s.s }

// Close closes the statement.
func (s *stmt) Close() error {
	s.adopted.end()
	return s.s.Close()
}

// NumInput returns the statement's number of placeholders.
func (s *stmt) NumInput() int {
	s.numInput = s.s.NumInput()
	return s.numInput
}

// Exec runs the statement without a context (database/sql calls
// ExecContext instead); it is not traced.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.s.Exec(args)
}

// Query runs the statement without a context (database/sql calls
// QueryContext instead); it is not traced.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.s.Query(args)
}

func (s *stmt) analysis() *queryInfo {
	if s.info == nil {
		s.info = s.cfg.info(s.query)
	}
	return s.info
}

// ExecContext runs the statement, traced.
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.adopted.active() {
		p := s.adopted
		s.adopted = pendingSpan{}
		res, err := s.exec(p.ctx, args)
		endExec(p.span, ctx, res, err)
		return res, err
	}
	t, traced := s.cfg.tracerFor(ctx, OpExec)
	if !traced {
		return s.exec(ctx, args)
	}
	sctx, span := s.cfg.startQuery(ctx, t, s.analysis())
	res, err := s.exec(sctx, args)
	endExec(span, ctx, res, err)
	return res, err
}

// exec is database/sql's ctxDriverStmtExec.
func (s *stmt) exec(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.execCtx != nil {
		return s.execCtx.ExecContext(ctx, args)
	}
	dargs, err := namedValueToValue(args)
	if err != nil {
		return nil, err
	}
	select {
	default:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.s.Exec(dargs)
}

// QueryContext runs the statement, traced; the span ends when the rows
// are closed.
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.adopted.active() {
		p := s.adopted
		s.adopted = pendingSpan{}
		rows, err := s.queryRows(p.ctx, args)
		if err != nil {
			endSpan(p.span, ctx, err)
			return nil, err
		}
		return wrapRows(rows, ctx, p.span), nil
	}
	t, traced := s.cfg.tracerFor(ctx, OpQuery)
	if !traced {
		return s.queryRows(ctx, args)
	}
	sctx, span := s.cfg.startQuery(ctx, t, s.analysis())
	rows, err := s.queryRows(sctx, args)
	if err != nil {
		endSpan(span, ctx, err)
		return nil, err
	}
	return wrapRows(rows, ctx, span), nil
}

// queryRows is database/sql's ctxDriverStmtQuery.
func (s *stmt) queryRows(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.queryCtx != nil {
		return s.queryCtx.QueryContext(ctx, args)
	}
	dargs, err := namedValueToValue(args)
	if err != nil {
		return nil, err
	}
	select {
	default:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.s.Query(dargs)
}

// CheckNamedValue converts an argument as database/sql's
// driverArgsConnLocked would for the bare statement, up to its last,
// default step: the statement's NamedValueChecker, else the connection's;
// then, if there is none or it returns driver.ErrSkip, the statement's
// ColumnConverter. When that too is absent or skips, CheckNamedValue
// returns driver.ErrSkip and database/sql applies its default conversion —
// as it does after a checker of its own choosing skips, since the wrapper
// is no ColumnConverter.
func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	nvc, ok := s.s.(driver.NamedValueChecker)
	if !ok {
		nvc = s.conn.checker
	}
	if nvc != nil {
		if err := nvc.CheckNamedValue(nv); err != driver.ErrSkip {
			return err
		}
	}
	cci, ok := s.s.(driver.ColumnConverter)
	if !ok {
		return driver.ErrSkip
	}
	return checkColumn(cci, s.numInput, nv)
}

// checkColumn is database/sql's ccChecker.CheckNamedValue: the column
// converter, for arguments below want (when want is known), after the
// value's own Valuer.
func checkColumn(cci driver.ColumnConverter, want int, nv *driver.NamedValue) error {
	index := nv.Ordinal - 1
	if want >= 0 && want <= index {
		return nil
	}
	if vr, ok := nv.Value.(driver.Valuer); ok {
		sv, err := callValuerValue(vr)
		if err != nil {
			return err
		}
		if !driver.IsValue(sv) {
			return fmt.Errorf("non-subset type %T returned from Value", sv)
		}
		nv.Value = sv
	}
	var err error
	arg := nv.Value
	nv.Value, err = cci.ColumnConverter(index).ConvertValue(arg)
	if err != nil {
		return err
	}
	if !driver.IsValue(nv.Value) {
		return fmt.Errorf("driver ColumnConverter error converted %T to unsupported type %T", arg, nv.Value)
	}
	return nil
}

// callValuerValue is database/sql's: a nil pointer whose Value method is
// on the value receiver is NULL.
func callValuerValue(vr driver.Valuer) (v driver.Value, err error) {
	if rv := reflect.ValueOf(vr); rv.Kind() == reflect.Pointer &&
		rv.IsNil() &&
		rv.Type().Elem().Implements(reflect.TypeFor[driver.Valuer]()) {
		return nil, nil
	}
	return vr.Value()
}
