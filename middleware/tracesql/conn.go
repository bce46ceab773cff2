//lint:file-ignore SA1019 forwarding the deprecated driver interfaces is the point: drivers that have only them must keep working.

package tracesql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// conn is the traced connection. It implements every optional connection
// interface but SessionResetter and Validator (see connR), and where the
// wrapped connection lacks one it does what database/sql does without it:
//
//   - ExecerContext and QueryerContext: the Execer or Queryer form, with
//     the conversion and context check of ctxDriverExec and
//     ctxDriverQuery, so that the spans of legacy drivers get the caller's
//     context; with neither form, driver.ErrSkip before anything else, so
//     that database/sql prepares the query as it does for the bare
//     connection (see deferArgs for the arguments).
//   - ConnPrepareContext and ConnBeginTx: Prepare and Begin with the
//     checks of ctxDriverPrepare and ctxDriverBegin.
//   - Pinger: nil, without a span (pingDC).
//   - NamedValueChecker: driver.ErrSkip, which sends database/sql on to
//     its default conversion.
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
	pinger      driver.Pinger
	resetter    driver.SessionResetter
	validator   driver.Validator
	checker     driver.NamedValueChecker

	// deferArgs is set for a connection without Execer(Context) or
	// without Queryer(Context). database/sql converts a direct query's
	// arguments (driverArgsConnLocked) before calling ExecContext or
	// QueryContext, which it would not do for the bare connection when it
	// lacks the interface and prepares the query instead; and
	// CheckNamedValue cannot tell which of the two is coming. So
	// CheckNamedValue accepts the arguments as they are, and ExecContext
	// or QueryContext converts them as database/sql would have (or drops
	// them with driver.ErrSkip).
	//
	// What stays different, for such a driver only: a named argument
	// whose name does not start with a letter fails before the query is
	// prepared rather than after (database/sql checks names before any
	// converter), and database/sql allocates its argument slice once more.
	deferArgs bool

	pending pendingSpan
}

// connR, connV and connRV are conn with SessionResetter, Validator or both,
// for a connection with the same ones. These two interfaces cannot be
// emulated, because database/sql decides something from their presence
// alone: a transaction whose context ends is rolled back by database/sql,
// which then keeps the connection only if it is both a SessionResetter and
// a Validator (Tx.keepConnOnRollback) and otherwise discards it — and with
// it the sql.Conn holding it, which no method of a wrapper can bring about.
// So the wrapper has each of them exactly when the wrapped connection does
// (their absence alone is what conn reproduces: no session reset, always
// valid).
type (
	connR  struct{ conn }
	connV  struct{ conn }
	connRV struct{ conn }
)

func (c *connR) ResetSession(ctx context.Context) error  { return c.resetSession(ctx) }
func (c *connV) IsValid() bool                           { return c.isValid() }
func (c *connRV) ResetSession(ctx context.Context) error { return c.resetSession(ctx) }
func (c *connRV) IsValid() bool                          { return c.isValid() }

func wrapConn(c driver.Conn, cfg *config) driver.Conn {
	var w *conn
	var wrapped driver.Conn
	_, r := c.(driver.SessionResetter)
	_, v := c.(driver.Validator)
	switch {
	case r && v:
		x := &connRV{}
		w, wrapped = &x.conn, x
	case r:
		x := &connR{}
		w, wrapped = &x.conn, x
	case v:
		x := &connV{}
		w, wrapped = &x.conn, x
	default:
		w = &conn{}
		wrapped = w
	}
	w.c, w.cfg = c, cfg
	w.execerCtx, _ = c.(driver.ExecerContext)
	w.execer, _ = c.(driver.Execer)
	w.queryerCtx, _ = c.(driver.QueryerContext)
	w.queryer, _ = c.(driver.Queryer)
	w.preparerCtx, _ = c.(driver.ConnPrepareContext)
	w.beginTx, _ = c.(driver.ConnBeginTx)
	w.pinger, _ = c.(driver.Pinger)
	w.resetter, _ = c.(driver.SessionResetter)
	w.validator, _ = c.(driver.Validator)
	w.checker, _ = c.(driver.NamedValueChecker)
	w.deferArgs = !w.canExec() || !w.canQuery()
	return wrapped
}

func (c *conn) canExec() bool  { return c.execerCtx != nil || c.execer != nil }
func (c *conn) canQuery() bool { return c.queryerCtx != nil || c.queryer != nil }

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
	return wrapStmt(s, c, query, pendingSpan{}), nil
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
		return wrapStmt(s, c, query, adopt), nil
	}
	q := c.cfg.info(query)
	sctx, span := c.cfg.startPrepare(pctx, t, q)
	s, err := c.prepare(sctx, sent)
	endSpan(span, ctx, err)
	if err != nil {
		adopt.endErr(ctx, err)
		return nil, err
	}
	return wrapStmt(s, c, query, adopt), nil
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

// Ping pings the database; for a connection that is not a driver.Pinger
// it does nothing, as database/sql does, and makes no span.
func (c *conn) Ping(ctx context.Context) error {
	c.pending.end()
	if c.pinger == nil {
		return nil
	}
	t, traced := c.cfg.tracerFor(ctx, OpPing)
	if !traced {
		return c.pinger.Ping(ctx)
	}
	sctx, span := c.cfg.startOp(ctx, t, "PING")
	err := c.pinger.Ping(sctx)
	endSpan(span, ctx, err)
	return err
}

// ExecContext runs a traced statement.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.pending.end()
	if !c.canExec() {
		return nil, driver.ErrSkip
	}
	if c.deferArgs {
		var err error
		if args, err = convertArgs(c.checker, args); err != nil {
			return nil, err
		}
	}
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

// QueryContext runs a traced query; the span ends when the rows are
// closed.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.pending.end()
	if !c.canQuery() {
		return nil, driver.ErrSkip
	}
	if c.deferArgs {
		var err error
		if args, err = convertArgs(c.checker, args); err != nil {
			return nil, err
		}
	}
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

// resetSession is ResetSession, for connR and connRV.
func (c *conn) resetSession(ctx context.Context) error {
	c.pending.end()
	return c.resetter.ResetSession(ctx)
}

// isValid is IsValid, for connV and connRV.
func (c *conn) isValid() bool {
	c.pending.end()
	return c.validator.IsValid()
}

// CheckNamedValue is the connection's driver.NamedValueChecker, which
// database/sql consults only for the arguments of a direct query or exec
// (a statement's own CheckNamedValue takes precedence, see stmt). It
// forwards, or returns driver.ErrSkip for a connection without one, which
// makes database/sql use its default conversion as when the interface is
// absent. With deferArgs it accepts every argument as it is: ExecContext
// and QueryContext convert them. It leaves a pending span alone.
func (c *conn) CheckNamedValue(v *driver.NamedValue) error {
	switch {
	case c.deferArgs:
		return nil
	case c.checker != nil:
		return c.checker.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

// convertArgs converts the arguments of a direct query as
// driverArgsConnLocked does when there is no statement: with the
// connection's checker, else (or when it returns driver.ErrSkip) the
// default converter, dropping those it removes. args comes from
// database/sql with the names, ordinals and values it set, which convertArgs
// updates in place as database/sql would have (a removed argument leaves
// its name to the next positional one, as there).
func convertArgs(nvc driver.NamedValueChecker, args []driver.NamedValue) ([]driver.NamedValue, error) {
	n := 0
	for i := range args {
		name, value := args[i].Name, args[i].Value
		nv := &args[n]
		if name != "" {
			nv.Name = name
		}
		nv.Ordinal = n + 1
		nv.Value = value
		check := defaultCheckNamedValue
		if nvc != nil {
			check = nvc.CheckNamedValue
		}
	again:
		switch err := check(nv); err {
		case nil:
			n++
		case driver.ErrRemoveArgument:
		case driver.ErrSkip:
			check = defaultCheckNamedValue
			goto again
		default:
			return nil, fmt.Errorf("sql: converting argument %s type: %w", describeNamedValue(nv), err)
		}
	}
	return args[:n], nil
}

// defaultCheckNamedValue and describeNamedValue are database/sql's.
func defaultCheckNamedValue(nv *driver.NamedValue) (err error) {
	nv.Value, err = driver.DefaultParameterConverter.ConvertValue(nv.Value)
	return err
}

func describeNamedValue(nv *driver.NamedValue) string {
	if len(nv.Name) == 0 {
		return fmt.Sprintf("$%d", nv.Ordinal)
	}
	return fmt.Sprintf("with name %q", nv.Name)
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
