package tracesql_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"slices"

	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Register a traced driver once, then sql.Open it by name. Here spans go to
// an in-memory recorder set as the default tracer; a program would set the
// tracer from tracing.FromEnv instead.
func Example() {
	if !slices.Contains(sql.Drivers(), "sqlite+traced") { // examples may run more than once
		tracesql.Register("sqlite+traced", &sqlite.Driver{})
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

// Open wraps a driver that registered itself with database/sql. With
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

// Unwrap reaches the driver's own connection in sql.Conn.Raw.
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
	// Output: *sqlite.conn
}
