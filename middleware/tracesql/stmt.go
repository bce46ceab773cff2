//lint:file-ignore SA1019 forwarding the deprecated driver interfaces is the point: drivers that have only them must keep working.

package tracesql

import (
	"context"
	"database/sql/driver"
)

// stmtCore is what every statement combination exposes. The context forms
// of Exec and Query are always there (see connCore for why).
type stmtCore interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
	Unwrap() driver.Stmt
}

// columnConverter is driver.ColumnConverter under another name: a
// combination that embedded driver.ColumnConverter would get a field named
// ColumnConverter, which hides the method of the same name.
type columnConverter interface {
	ColumnConverter(idx int) driver.ValueConverter
}

// stmt is a traced prepared statement. database/sql uses a statement from
// one goroutine at a time.
type stmt struct {
	s        driver.Stmt
	cfg      *config
	query    string
	info     *queryInfo // computed on first traced use
	execCtx  driver.StmtExecContext
	queryCtx driver.StmtQueryContext
	// adopted is the span of a query or exec whose driver call returned
	// ErrSkip; this statement runs it.
	adopted pendingSpan
}

func wrapStmt(s driver.Stmt, cfg *config, query string, adopted pendingSpan) driver.Stmt {
	w := stmt{s: s, cfg: cfg, query: query, adopted: adopted}
	w.execCtx, _ = s.(driver.StmtExecContext)
	w.queryCtx, _ = s.(driver.StmtQueryContext)
	return composeStmt(w, stmtFeaturesOf(s))
}

// Unwrap returns the wrapped statement.
func (s *stmt) Unwrap() driver.Stmt { return s.s }

// Close closes the statement.
func (s *stmt) Close() error {
	s.adopted.end()
	return s.s.Close()
}

// NumInput returns the statement's number of placeholders.
func (s *stmt) NumInput() int { return s.s.NumInput() }

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

// CheckNamedValue forwards to the statement (exposed only if it is a
// driver.NamedValueChecker).
func (s *stmt) CheckNamedValue(v *driver.NamedValue) error {
	return s.s.(driver.NamedValueChecker).CheckNamedValue(v)
}

// ColumnConverter forwards to the statement (exposed only if it is a
// driver.ColumnConverter).
func (s *stmt) ColumnConverter(idx int) driver.ValueConverter {
	return s.s.(driver.ColumnConverter).ColumnConverter(idx)
}
