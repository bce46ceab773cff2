package tracesql

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"

	"github.com/polytrace/polytrace/tracing"
)

// rowsCore is what every rows combination exposes.
type rowsCore interface {
	driver.Rows
	Unwrap() driver.Rows
}

// The optional Rows interfaces without driver.Rows, which the driver's
// own interfaces embed: a combination embeds these next to rowsCore.
type (
	rowsNextResultSet interface {
		HasNextResultSet() bool
		NextResultSet() error
	}
	rowsColumnTypeScanType interface {
		ColumnTypeScanType(index int) reflect.Type
	}
	rowsColumnTypeDatabaseTypeName interface {
		ColumnTypeDatabaseTypeName(index int) string
	}
	rowsColumnTypeLength interface {
		ColumnTypeLength(index int) (length int64, ok bool)
	}
	rowsColumnTypeNullable interface {
		ColumnTypeNullable(index int) (nullable, ok bool)
	}
	rowsColumnTypePrecisionScale interface {
		ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool)
	}
)

// rows carries a query's span until the rows are closed, counting them.
// database/sql never calls Next and Close concurrently.
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
	return composeRows(rows{r: r, ctx: ctx, span: span}, rowsFeaturesOf(r))
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

// HasNextResultSet forwards (exposed only for driver.RowsNextResultSet).
func (r *rows) HasNextResultSet() bool {
	return r.r.(driver.RowsNextResultSet).HasNextResultSet()
}

// NextResultSet forwards (exposed only for driver.RowsNextResultSet).
func (r *rows) NextResultSet() error {
	err := r.r.(driver.RowsNextResultSet).NextResultSet()
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

// ColumnTypeScanType forwards (exposed only for
// driver.RowsColumnTypeScanType).
func (r *rows) ColumnTypeScanType(index int) reflect.Type {
	return r.r.(driver.RowsColumnTypeScanType).ColumnTypeScanType(index)
}

// ColumnTypeDatabaseTypeName forwards (exposed only for
// driver.RowsColumnTypeDatabaseTypeName).
func (r *rows) ColumnTypeDatabaseTypeName(index int) string {
	return r.r.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(index)
}

// ColumnTypeLength forwards (exposed only for driver.RowsColumnTypeLength).
func (r *rows) ColumnTypeLength(index int) (int64, bool) {
	return r.r.(driver.RowsColumnTypeLength).ColumnTypeLength(index)
}

// ColumnTypeNullable forwards (exposed only for
// driver.RowsColumnTypeNullable).
func (r *rows) ColumnTypeNullable(index int) (bool, bool) {
	return r.r.(driver.RowsColumnTypeNullable).ColumnTypeNullable(index)
}

// ColumnTypePrecisionScale forwards (exposed only for
// driver.RowsColumnTypePrecisionScale).
func (r *rows) ColumnTypePrecisionScale(index int) (int64, int64, bool) {
	return r.r.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(index)
}
