package tracesql

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	sqltrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/database/sql"
	"gopkg.in/DataDog/dd-trace-go.v1/ddtrace/mocktracer"
	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// discardExporter is an OpenTelemetry exporter that drops spans.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

var ddRegister sync.Once

// BenchmarkQuery runs one query (QueryRowContext + Scan of one row from an
// in-memory SQLite table) through the bare driver and through each
// tracing wrapper. Compare with: benchstat -col /impl.
func BenchmarkQuery(b *testing.B) {
	type impl struct {
		name string
		// open returns the database and a function called every 1024
		// queries to drop the spans kept in memory.
		open func(b *testing.B) (*sql.DB, func())
	}
	noReset := func() {}
	impls := []impl{
		{"bare", func(b *testing.B) (*sql.DB, func()) {
			db, err := sql.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
		}},
		{"tracesql-none", func(b *testing.B) (*sql.DB, func()) {
			db, err := Open("sqlite", ":memory:", WithTracer(tracing.New(tracing.NoopBackend())))
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
		}},
		{"tracesql-recorder", func(b *testing.B) (*sql.DB, func()) {
			rec := tracingtest.NewRecorder()
			db, err := Open("sqlite", ":memory:", WithTracer(rec.Tracer()))
			if err != nil {
				b.Fatal(err)
			}
			return db, rec.Reset
		}},
		{"ddsqltrace-mocktracer", func(b *testing.B) (*sql.DB, func()) {
			ddRegister.Do(func() { sqltrace.Register("sqlite", &sqlite.Driver{}) })
			mt := mocktracer.Start()
			b.Cleanup(mt.Stop)
			db, err := sqltrace.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, mt.Reset
		}},
		{"otelsql-sdk", func(b *testing.B) (*sql.DB, func()) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(discardExporter{}))
			b.Cleanup(func() { tp.Shutdown(context.Background()) })
			db, err := otelsql.Open("sqlite", ":memory:", otelsql.WithTracerProvider(tp),
				otelsql.WithAttributes(attribute.String("db.system.name", "sqlite")))
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
		}},
	}
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			db, reset := im.open(b)
			defer db.Close()
			db.SetMaxOpenConns(1) // one in-memory database
			if _, err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, description TEXT); INSERT INTO notes VALUES (1, 'buy milk')"); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var (
				id   int64
				desc string
				i    int
			)
			b.ReportAllocs()
			for b.Loop() {
				if err := db.QueryRowContext(ctx, "SELECT id, description FROM notes WHERE id = ?", 1).Scan(&id, &desc); err != nil {
					b.Fatal(err)
				}
				if i++; i%1024 == 0 {
					reset()
				}
			}
		})
	}
}

// BenchmarkAnalyze measures the lexer that sanitizes a query and finds its
// operation and table; tracesql caches its result per query text.
func BenchmarkAnalyze(b *testing.B) {
	const q = "SELECT n.id, n.description FROM notes n WHERE n.owner = 'bob' AND n.id IN (1, 2, 3) ORDER BY n.id LIMIT 10"
	d := dialectOf("postgresql")
	b.ReportAllocs()
	for b.Loop() {
		analyze(q, d, false)
	}
}
