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

// tracesql's examples (Example, ExampleOpen and ExampleUnwrap of
// middleware/tracesql, which run on a stand-in driver) as written for
// modernc.org/sqlite, run on it: the output the documentation shows is
// the real driver's.

// Example_register is tracesql's Example.
func Example_register() {
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
	fmt.Println("count:", n)
	// Output:
	// CREATE notes | CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT)
	// INSERT notes | INSERT INTO notes (description) VALUES (?), (?)
	// SELECT notes | SELECT count(*) FROM notes WHERE description LIKE ?
	// count: 1
}

// Example_open is tracesql's ExampleOpen.
func Example_open() {
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

// Example_unwrap is tracesql's ExampleUnwrap.
func Example_unwrap() {
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
