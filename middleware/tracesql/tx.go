package tracesql

import (
	"context"
	"database/sql/driver"
)

// tx is a traced transaction. A transaction has no optional interfaces.
type tx struct {
	tx  driver.Tx
	ctx context.Context // BeginTx's: the parent of the COMMIT or ROLLBACK span
	cfg *config
}

// wrapTx returns t traced if its commit or rollback may be traced in ctx,
// else t itself.
func (c *config) wrapTx(ctx context.Context, t driver.Tx) driver.Tx {
	if _, traced := c.tracerFor(ctx, OpCommit|OpRollback); !traced {
		return t
	}
	return &tx{tx: t, ctx: ctx, cfg: c}
}

// Unwrap returns the wrapped transaction.
func (t *tx) Unwrap() driver.Tx { return t.tx }

// Commit commits the transaction.
func (t *tx) Commit() error { return t.end(OpCommit, "COMMIT", t.tx.Commit) }

// Rollback rolls the transaction back.
func (t *tx) Rollback() error { return t.end(OpRollback, "ROLLBACK", t.tx.Rollback) }

func (t *tx) end(op Op, name string, f func() error) error {
	tr, traced := t.cfg.tracerFor(t.ctx, op)
	if !traced {
		return f()
	}
	_, span := t.cfg.startOp(t.ctx, tr, name)
	err := f()
	// The caller's context is gone by now: a canceled BeginTx context is
	// why database/sql rolls back, not a failure of the rollback.
	endSpan(span, context.Background(), err)
	return err
}
