package bench

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	sqltrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/database/sql"
	"gopkg.in/DataDog/dd-trace-go.v1/ddtrace/mocktracer"
	v1tracer "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"
	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

var ddSQLRegister sync.Once

// BenchmarkSQL: one query (QueryRowContext and Scan of one row of an
// in-memory SQLite table) under a parent span, through the bare driver,
// through tracesql on each configuration, and through XSAM/otelsql and
// dd's sqltrace on the matching SDK set-up. tracesql on the in-memory
// recorder (tracesql-recorder) and dd's sqltrace on dd-trace-go's
// mocktracer (ddsqltrace-mocktracer) compare what the instrumentations
// cost without an exporting pipeline; both drop the spans they kept when
// a parent ends.
//
//	benchstat -col /impl
func BenchmarkSQL(b *testing.B) {
	type variant struct {
		name string
		open func(b *testing.B) (*sql.DB, func() (context.Context, func()))
	}
	variants := []variant{
		{"bare", func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			db, err := sql.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, nil
		}},
	}
	for _, p := range polytraces {
		variants = append(variants, variant{"tracesql-" + p.name[len("polytrace-"):], func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			tr := p.new(b)
			db, err := tracesql.Open("sqlite", ":memory:", tracesql.WithTracer(tr))
			if err != nil {
				b.Fatal(err)
			}
			newParent, _ := facadeOps(tr)
			return db, newParent
		}})
	}
	variants = append(variants,
		variant{"tracesql-recorder", func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			rec := tracingtest.NewRecorder()
			db, err := tracesql.Open("sqlite", ":memory:", tracesql.WithTracer(rec.Tracer()))
			if err != nil {
				b.Fatal(err)
			}
			newParent, _ := facadeOps(rec.Tracer())
			return db, func() (context.Context, func()) {
				ctx, end := newParent()
				return ctx, func() { end(); rec.Reset() }
			}
		}},
		variant{"otelsql", func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			tp := newOTelProvider(b, true)
			db, err := otelsql.Open("sqlite", ":memory:", otelsql.WithTracerProvider(tp),
				otelsql.WithAttributes(attribute.String("db.system.name", "sqlite")))
			if err != nil {
				b.Fatal(err)
			}
			newParent, _ := otelOps(tp.Tracer("bench"))
			return db, newParent
		}},
		variant{"ddsqltrace", func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			ddSQLRegister.Do(func() { sqltrace.Register("sqlite", &sqlite.Driver{}) })
			newDDBackend(b, true)
			db, err := sqltrace.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, func() (context.Context, func()) {
				p, ctx := v1tracer.StartSpanFromContext(context.Background(), "parent")
				return ctx, func() { p.Finish() }
			}
		}},
		variant{"ddsqltrace-mocktracer", func(b *testing.B) (*sql.DB, func() (context.Context, func())) {
			ddSQLRegister.Do(func() { sqltrace.Register("sqlite", &sqlite.Driver{}) })
			mt := mocktracer.Start()
			b.Cleanup(mt.Stop)
			db, err := sqltrace.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, func() (context.Context, func()) {
				p, ctx := v1tracer.StartSpanFromContext(context.Background(), "parent")
				return ctx, func() { p.Finish(); mt.Reset() }
			}
		}},
	)
	for _, v := range variants {
		b.Run("impl="+v.name, func(b *testing.B) {
			db, newParent := v.open(b)
			defer db.Close()
			db.SetMaxOpenConns(1) // one in-memory database
			if _, err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT); INSERT INTO notes VALUES (1, 'buy milk')"); err != nil {
				b.Fatal(err)
			}
			var (
				id   int64
				desc string
			)
			loop(b, newParent, func(ctx context.Context) {
				if err := db.QueryRowContext(ctx, "SELECT id, description FROM notes WHERE id = ?", 1).Scan(&id, &desc); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
