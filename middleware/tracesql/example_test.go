package tracesql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log"
	"slices"

	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// exampleDriver stands in for a real driver, so that the examples run
// without one: a program would use modernc.org/sqlite's &sqlite.Driver{},
// which registers itself as "sqlite" as the stand-in does below. It
// accepts every statement: an exec affects one row, and a query returns
// one row of one column, 1. The e2e module runs the same examples over
// modernc.org/sqlite.
type exampleDriver struct{}

func init() { sql.Register("sqlite", exampleDriver{}) }

func (exampleDriver) Open(string) (driver.Conn, error) { return &exampleConn{}, nil }

type exampleConn struct{}

var errExample = errors.New("example: not supported")

func (*exampleConn) Prepare(string) (driver.Stmt, error) { return nil, errExample }
func (*exampleConn) Begin() (driver.Tx, error)           { return nil, errExample }
func (*exampleConn) Close() error                        { return nil }

func (*exampleConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}

func (*exampleConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &exampleRows{}, nil
}

type exampleRows struct{ done bool }

func (*exampleRows) Columns() []string { return []string{"n"} }
func (*exampleRows) Close() error      { return nil }
func (r *exampleRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, int64(1)
	return nil
}

// Register a traced driver once, then sql.Open it by name. Here spans go to
// an in-memory recorder set as the default tracer; a program would set the
// tracer from tracing.FromEnv instead.
func Example() {
	if !slices.Contains(sql.Drivers(), "sqlite+traced") { // examples may run more than once
		// A program passes its driver, such as &sqlite.Driver{}.
		tracesql.Register("sqlite+traced", exampleDriver{})
	}

	rec := tracingtest.NewRecorder()
	prev := tracing.Default()
	tracing.SetDefault(rec.Tracer())
	defer tracing.SetDefault(prev)

	db, err := sql.Open("sqlite+traced", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database

	ctx, req := tracing.Start(context.Background(), "GET /notes")
	db.ExecContext(ctx, "CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT)")
	db.ExecContext(ctx, "INSERT INTO notes (description) VALUES ('buy milk'), (?)", "call Bob")
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM notes WHERE description LIKE '%milk%'").Scan(&n)
	req.End()

	for _, s := range rec.Spans() {
		if s.Name != "GET /notes" {
			fmt.Printf("%-12s | %s\n", s.Name, s.AttrString("db.query.text"))
		}
	}
	// Output:
	// CREATE notes | CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT)
	// INSERT notes | INSERT INTO notes (description) VALUES (?), (?)
	// SELECT notes | SELECT count(*) FROM notes WHERE description LIKE ?
}

// Open wraps a driver that registered itself with database/sql (as
// modernc.org/sqlite registers itself as "sqlite"). With
// WithChildSpansOnly, only operations inside a traced request get spans.
func ExampleOpen() {
	rec := tracingtest.NewRecorder()
	db, err := tracesql.Open("sqlite", ":memory:",
		tracesql.WithTracer(rec.Tracer()), tracesql.WithChildSpansOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	db.Exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY)") // start-up: no span

	ctx, req := rec.Tracer().Start(context.Background(), "GET /jobs")
	rows, _ := db.QueryContext(ctx, "SELECT id FROM jobs")
	rows.Close()
	req.End()

	for _, s := range rec.Spans() {
		fmt.Println(s.Name, s.AttrString("db.system.name"), s.Kind)
	}
	// Output:
	// SELECT jobs sqlite client
	// GET /jobs  internal
}

func ExampleSanitize() {
	fmt.Println(tracesql.Sanitize("SELECT * FROM users WHERE email = 'bob@example.com' AND id IN (1, 2, 3) -- admin", "postgresql"))
	fmt.Println(tracesql.Sanitize(`UPDATE t1 SET note = 'it\'s', n = -4 WHERE id = ?`, "mysql"))
	fmt.Println(tracesql.Sanitize("SELECT * FROM t WHERE a = $1 AND b = :name AND c = X'ff'", "postgresql"))
	// Output:
	// SELECT * FROM users WHERE email = ? AND id IN (?)
	// UPDATE t1 SET note = ?, n = ? WHERE id = ?
	// SELECT * FROM t WHERE a = $1 AND b = :name AND c = ?
}

// Unwrap reaches the driver's own connection in sql.Conn.Raw (here the
// stand-in's; with modernc.org/sqlite, *sqlite.conn).
func ExampleUnwrap() {
	db, err := tracesql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	conn.Raw(func(dc any) error {
		fmt.Printf("%T\n", tracesql.Unwrap(dc))
		return nil
	})
	// Output: *tracesql_test.exampleConn
}
