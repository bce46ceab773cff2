//lint:file-ignore SA1019 forwarding the deprecated driver interfaces is the point: drivers that have only them must keep working.

package tracesql

import (
	"context"
	"database/sql/driver"
	"errors"
)

// connCore is what every connection combination exposes. ConnPrepareContext
// and ConnBeginTx are always there: database/sql calls them instead of the
// mandatory Prepare and Begin, which lets the span get the caller's
// context; the wrapper then does for a driver without them exactly what
// database/sql would have done.
type connCore interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	Unwrap() driver.Conn
}

// conn is the traced connection. Combinations (see combos_gen.go) expose
// its optional methods only when the wrapped connection has the matching
// interface, except that the context forms ExecerContext and
// QueryerContext are exposed when the connection has either form.
//
// database/sql uses a connection from one goroutine at a time, so conn
// needs no lock.
type conn struct {
	c   driver.Conn
	cfg *config

	// The wrapped connection's optional interfaces, asserted once.
	execerCtx   driver.ExecerContext
	execer      driver.Execer
	queryerCtx  driver.QueryerContext
	queryer     driver.Queryer
	preparerCtx driver.ConnPrepareContext
	beginTx     driver.ConnBeginTx

	pending pendingSpan
}

func wrapConn(c driver.Conn, cfg *config) driver.Conn {
	w := conn{c: c, cfg: cfg}
	w.execerCtx, _ = c.(driver.ExecerContext)
	w.execer, _ = c.(driver.Execer)
	w.queryerCtx, _ = c.(driver.QueryerContext)
	w.queryer, _ = c.(driver.Queryer)
	w.preparerCtx, _ = c.(driver.ConnPrepareContext)
	w.beginTx, _ = c.(driver.ConnBeginTx)
	return composeConn(w, connFeaturesOf(c))
}

// Unwrap returns the wrapped connection.
func (c *conn) Unwrap() driver.Conn { return c.c }

// Prepare prepares a statement without a context (database/sql calls
// PrepareContext instead).
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	c.pending.end()
	s, err := c.c.Prepare(query)
	if err != nil {
		return nil, err
	}
	return wrapStmt(s, c.cfg, query, pendingSpan{}), nil
}

// Close closes the connection.
func (c *conn) Close() error {
	c.pending.end()
	return c.c.Close()
}

// Begin begins a transaction without a context (database/sql calls
// BeginTx instead); it is not traced.
func (c *conn) Begin() (driver.Tx, error) {
	c.pending.end()
	return c.c.Begin()
}

// PrepareContext prepares a traced statement.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var adopt pendingSpan
	if c.pending.active() && c.pending.query == query {
		adopt, c.pending = c.pending, pendingSpan{}
	} else {
		c.pending.end()
	}
	pctx, sent := ctx, query
	if adopt.active() {
		// database/sql's fallback after ErrSkip: prepare under the
		// operation's span, and with its trace comment.
		pctx, sent = adopt.ctx, c.cfg.withComment(adopt.ctx, query)
	}
	t, traced := c.cfg.tracerFor(pctx, OpPrepare)
	if !traced {
		s, err := c.prepare(pctx, sent)
		if err != nil {
			adopt.endErr(ctx, err)
			return nil, err
		}
		return wrapStmt(s, c.cfg, query, adopt), nil
	}
	q := c.cfg.info(query)
	sctx, span := c.cfg.startPrepare(pctx, t, q)
	s, err := c.prepare(sctx, sent)
	endSpan(span, ctx, err)
	if err != nil {
		adopt.endErr(ctx, err)
		return nil, err
	}
	return wrapStmt(s, c.cfg, query, adopt), nil
}

// prepare is database/sql's ctxDriverPrepare.
func (c *conn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	if c.preparerCtx != nil {
		return c.preparerCtx.PrepareContext(ctx, query)
	}
	s, err := c.c.Prepare(query)
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		}
	}
	return s, err
}

// BeginTx begins a traced transaction.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.pending.end()
	t, traced := c.cfg.tracerFor(ctx, OpBegin)
	if !traced {
		tx, err := c.begin(ctx, opts)
		if err != nil {
			return nil, err
		}
		return c.cfg.wrapTx(ctx, tx), nil
	}
	sctx, span := c.cfg.startOp(ctx, t, "BEGIN")
	tx, err := c.begin(sctx, opts)
	endSpan(span, ctx, err)
	if err != nil {
		return nil, err
	}
	return c.cfg.wrapTx(ctx, tx), nil
}

// begin is database/sql's ctxDriverBegin.
func (c *conn) begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.beginTx != nil {
		return c.beginTx.BeginTx(ctx, opts)
	}
	if opts.Isolation != 0 {
		return nil, errors.New("sql: driver does not support non-default isolation level")
	}
	if opts.ReadOnly {
		return nil, errors.New("sql: driver does not support read-only transactions")
	}
	if ctx.Done() == nil {
		return c.c.Begin()
	}
	tx, err := c.c.Begin()
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			tx.Rollback()
			return nil, ctx.Err()
		}
	}
	return tx, err
}

// Ping pings the database (exposed only if the connection is a
// driver.Pinger).
func (c *conn) Ping(ctx context.Context) error {
	c.pending.end()
	pinger := c.c.(driver.Pinger)
	t, traced := c.cfg.tracerFor(ctx, OpPing)
	if !traced {
		return pinger.Ping(ctx)
	}
	sctx, span := c.cfg.startOp(ctx, t, "PING")
	err := pinger.Ping(sctx)
	endSpan(span, ctx, err)
	return err
}

// Exec runs a statement without a context (database/sql calls ExecContext
// instead); it is not traced.
func (c *conn) Exec(query string, args []driver.Value) (driver.Result, error) {
	c.pending.end()
	return c.execer.Exec(query, args)
}

// ExecContext runs a traced statement.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.pending.end()
	t, traced := c.cfg.tracerFor(ctx, OpExec)
	if !traced {
		return c.exec(ctx, query, args)
	}
	sctx, span := c.cfg.startQuery(ctx, t, c.cfg.info(query))
	res, err := c.exec(sctx, c.cfg.withComment(sctx, query), args)
	if err == driver.ErrSkip {
		c.pending = pendingSpan{ctx: sctx, span: span, query: query}
		return nil, err
	}
	endExec(span, ctx, res, err)
	return res, err
}

// exec is database/sql's ctxDriverExec.
func (c *conn) exec(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.execerCtx != nil {
		return c.execerCtx.ExecContext(ctx, query, args)
	}
	if c.execer == nil {
		return nil, driver.ErrSkip
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
	return c.execer.Exec(query, dargs)
}

// Query runs a query without a context (database/sql calls QueryContext
// instead); it is not traced.
func (c *conn) Query(query string, args []driver.Value) (driver.Rows, error) {
	c.pending.end()
	return c.queryer.Query(query, args)
}

// QueryContext runs a traced query; the span ends when the rows are
// closed.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.pending.end()
	t, traced := c.cfg.tracerFor(ctx, OpQuery)
	if !traced {
		return c.query(ctx, query, args)
	}
	sctx, span := c.cfg.startQuery(ctx, t, c.cfg.info(query))
	rows, err := c.query(sctx, c.cfg.withComment(sctx, query), args)
	if err == driver.ErrSkip {
		c.pending = pendingSpan{ctx: sctx, span: span, query: query}
		return nil, err
	}
	if err != nil {
		endSpan(span, ctx, err)
		return nil, err
	}
	return wrapRows(rows, ctx, span), nil
}

// query is database/sql's ctxDriverQuery.
func (c *conn) query(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.queryerCtx != nil {
		return c.queryerCtx.QueryContext(ctx, query, args)
	}
	if c.queryer == nil {
		return nil, driver.ErrSkip
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
	return c.queryer.Query(query, dargs)
}

// ResetSession forwards to the connection (exposed only if it is a
// driver.SessionResetter).
func (c *conn) ResetSession(ctx context.Context) error {
	c.pending.end()
	return c.c.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid forwards to the connection (exposed only if it is a
// driver.Validator).
func (c *conn) IsValid() bool {
	c.pending.end()
	return c.c.(driver.Validator).IsValid()
}

// CheckNamedValue forwards to the connection (exposed only if it is a
// driver.NamedValueChecker). database/sql calls it while converting the
// arguments of a statement it prepared after ErrSkip, so it leaves a
// pending span alone.
func (c *conn) CheckNamedValue(v *driver.NamedValue) error {
	return c.c.(driver.NamedValueChecker).CheckNamedValue(v)
}

// namedValueToValue is database/sql's, for drivers without the context
// interfaces.
func namedValueToValue(named []driver.NamedValue) ([]driver.Value, error) {
	dargs := make([]driver.Value, len(named))
	for n, param := range named {
		if len(param.Name) > 0 {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		dargs[n] = param.Value
	}
	return dargs, nil
}
