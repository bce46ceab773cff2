package tracesql

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"

	"github.com/polytrace/polytrace/tracing"
)

// rows carries a query's span until the rows are closed, counting them.
// database/sql never calls Next and Close concurrently.
//
// It implements every optional Rows interface. Without RowsNextResultSet,
// it reports no next result set (database/sql then closes the rows after
// the last row, as without the interface; its NextResultSet returns false
// and closes them either way). Without a RowsColumnType* interface it
// returns what database/sql's ColumnType holds then: ScanType any, no
// database type name, and length, nullability, precision and scale not
// known.
type rows struct {
	r    driver.Rows
	ctx  context.Context // the caller's, to tell cancellation
	span tracing.Span
	n    int64
	done bool // Next or NextResultSet reported the end
	end  bool // the span has ended
}

// wrapRows returns r carrying span; for a span that records nothing it
// ends the span and returns r itself.
func wrapRows(r driver.Rows, ctx context.Context, span tracing.Span) driver.Rows {
	if !span.IsRecording() {
		span.End()
		return r
	}
	return &rows{r: r, ctx: ctx, span: span}
}

// Unwrap returns the wrapped rows.
func (r *rows) Unwrap() driver.Rows { return r.r }

// Columns returns the column names.
func (r *rows) Columns() []string { return r.r.Columns() }

// Next reads the next row, counting it.
func (r *rows) Next(dest []driver.Value) error {
	err := r.r.Next(dest)
	switch {
	case err == nil:
		r.n++
	case err == io.EOF:
		r.done = true
	default:
		recordError(r.span, r.ctx, err)
	}
	return err
}

// Close closes the rows and ends the span, recording the number of rows
// read and, if the rows were cut short by the context, the cancellation.
func (r *rows) Close() error {
	err := r.r.Close()
	if !r.end {
		r.end = true
		r.span.SetAttrs(tracing.Int64(AttrReturnedRows, r.n))
		switch {
		case err != nil:
			recordError(r.span, r.ctx, err)
		case !r.done && r.ctx.Err() != nil:
			recordError(r.span, r.ctx, r.ctx.Err())
		}
		r.span.End()
	}
	return err
}

// HasNextResultSet forwards, or reports false.
func (r *rows) HasNextResultSet() bool {
	if x, ok := r.r.(driver.RowsNextResultSet); ok {
		return x.HasNextResultSet()
	}
	return false
}

// NextResultSet forwards, or returns io.EOF: database/sql then closes the
// rows and returns false, as it does without the interface (io.EOF, kept as
// the last error, is never reported).
func (r *rows) NextResultSet() error {
	x, ok := r.r.(driver.RowsNextResultSet)
	if !ok {
		return io.EOF
	}
	err := x.NextResultSet()
	switch {
	case err == nil:
		r.done = false
	case err == io.EOF:
		r.done = true
	default:
		recordError(r.span, r.ctx, err)
	}
	return err
}

// ColumnTypeScanType forwards, or returns database/sql's default, any.
func (r *rows) ColumnTypeScanType(index int) reflect.Type {
	if x, ok := r.r.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(index)
	}
	return reflect.TypeFor[any]()
}

// ColumnTypeDatabaseTypeName forwards, or returns "".
func (r *rows) ColumnTypeDatabaseTypeName(index int) string {
	if x, ok := r.r.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

// ColumnTypeLength forwards, or reports no length.
func (r *rows) ColumnTypeLength(index int) (int64, bool) {
	if x, ok := r.r.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(index)
	}
	return 0, false
}

// ColumnTypeNullable forwards, or reports nullability unknown.
func (r *rows) ColumnTypeNullable(index int) (bool, bool) {
	if x, ok := r.r.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(index)
	}
	return false, false
}

// ColumnTypePrecisionScale forwards, or reports them unknown.
func (r *rows) ColumnTypePrecisionScale(index int) (int64, int64, bool) {
	if x, ok := r.r.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}
