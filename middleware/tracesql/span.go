package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"

	"github.com/polytrace/polytrace/tracing"
)

// isError reports whether err from a driver is a failure worth marking a
// span with. driver.ErrSkip asks database/sql to take another path,
// io.EOF ends rows and result sets, sql.ErrNoRows is an empty result: none
// is a failure.
func isError(err error) bool {
	return err != nil && err != driver.ErrSkip && err != io.EOF && !errors.Is(err, sql.ErrNoRows)
}

// recordError records err on span. An error that comes with ctx canceled
// or past its deadline is recorded as such: error.type context.Canceled or
// context.DeadlineExceeded, the message being the context's cause followed
// by the driver's message when that says something else.
func recordError(span tracing.Span, ctx context.Context, err error) {
	if !isError(err) || !span.IsRecording() {
		return
	}
	cerr := ctx.Err()
	if cerr == nil {
		span.RecordError(err)
		return
	}
	typ := "context.Canceled"
	if errors.Is(cerr, context.DeadlineExceeded) {
		typ = "context.DeadlineExceeded"
	}
	msg := context.Cause(ctx).Error()
	if m := err.Error(); m != msg && m != cerr.Error() {
		msg += ": " + m
	}
	span.RecordErrorInfo(tracing.ErrorInfo{Err: err, Message: msg, Type: typ})
}

// endSpan records err, if it is one, and ends span.
func endSpan(span tracing.Span, ctx context.Context, err error) {
	recordError(span, ctx, err)
	span.End()
}

// endExec records an exec's outcome (rows affected, or the error) and
// ends span.
func endExec(span tracing.Span, ctx context.Context, res driver.Result, err error) {
	if err == nil && res != nil && span.IsRecording() {
		if n, rerr := res.RowsAffected(); rerr == nil {
			span.SetAttrs(tracing.Int64(AttrAffectedRows, n))
		}
	}
	endSpan(span, ctx, err)
}

// pendingSpan is a query or exec span whose driver call returned
// driver.ErrSkip: database/sql now prepares the same query on the same
// connection and runs the statement once, and that statement adopts the
// span, so that the operation has one span however the driver runs it.
type pendingSpan struct {
	ctx   context.Context // the caller's context with the span
	span  tracing.Span
	query string
}

func (p *pendingSpan) active() bool { return p.ctx != nil }

// end ends a span that nothing adopted.
func (p *pendingSpan) end() {
	if p.ctx != nil {
		p.span.End()
		*p = pendingSpan{}
	}
}

// endErr ends a span that nothing will adopt because preparing failed.
func (p *pendingSpan) endErr(ctx context.Context, err error) {
	if p.ctx != nil {
		endSpan(p.span, ctx, err)
		*p = pendingSpan{}
	}
}
