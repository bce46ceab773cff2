// Package tracesql_test runs middleware/tracesql's tests that need a real
// driver or the vendor backends, which the root module does not require:
// the spans of every kind of operation on modernc.org/sqlite, the same
// spans on every backend of httpkittest.Backends (vendors included: this
// package imports e2e/vendors) read back from what each really sent, the
// security defaults, and the package's examples on SQLite. The tests that
// drive the wrapper through fakes stay with the package.
package tracesql_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestMain runs the tests in a hermetic environment (dd-trace-go's side
// services off) and checks for leaked goroutines: see vendors.Main.
func TestMain(m *testing.M) { vendors.Main(m) }

var nameSeq atomic.Int64

// uniqueName returns a driver name not registered yet, so that tests can
// run with -count > 1.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}

// newRecorder returns a recorder and a context carrying a "request" span
// of its tracer, which the test ends.
func newRecorder(t testing.TB) (*tracingtest.Recorder, *tracing.Tracer, context.Context, tracing.Span) {
	t.Helper()
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	ctx, span := tr.Start(context.Background(), "request", tracing.WithKind(tracing.SpanKindServer))
	return rec, tr, ctx, span
}

// openSQLite registers a traced modernc.org/sqlite driver and opens a
// fresh database file with a notes table.
func openSQLite(t testing.TB, opts ...tracesql.Option) *sql.DB {
	t.Helper()
	name := uniqueName("sqlite-traced")
	tracesql.Register(name, &sqlite.Driver{}, opts...)
	db, err := sql.Open(name, sqliteDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return db
}

// sqliteDSN names a fresh database file.
func sqliteDSN(t testing.TB) string {
	return "file:" + filepath.Join(t.TempDir(), "notes.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
}
