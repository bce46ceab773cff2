package tracesql

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	sqltrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/database/sql"
	"gopkg.in/DataDog/dd-trace-go.v1/ddtrace/mocktracer"
	"modernc.org/sqlite"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// discardExporter is an OpenTelemetry exporter that drops spans.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

var ddRegister sync.Once

// benchOTelProvider is the OpenTelemetry SDK pipeline of the otel
// variants: every span sampled, a batch processor that blocks rather than
// drops when full, a discarding exporter.
func benchOTelProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(discardExporter{}, sdktrace.WithBlocking()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// quietLogger drops dd-trace-go's log lines.
type quietLogger struct{}

func (quietLogger) Log(string) {}

// benchDDTracer starts the Datadog backend (and dd-trace-go's global
// tracer) sending to a loopback agent that discards what it gets; both
// stop when the benchmark ends.
func benchDDTracer(b *testing.B) *tracing.Tracer {
	agent := ddtest.Start(ddtest.Config{Discard: true})
	be, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL()), ddbackend.WithSampleRate(1),
		ddbackend.WithStartOptions(v2tracer.WithLogger(quietLogger{})))
	if err != nil {
		agent.Close()
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		agent.Close()
	})
	return tr
}

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
		// The OpenTelemetry backend on the otelsql variant's SDK pipeline.
		{"tracesql-otel", func(b *testing.B) (*sql.DB, func()) {
			be, err := otelbackend.New(otelbackend.WithTracerProvider(benchOTelProvider(b)), otelbackend.WithoutGlobal())
			if err != nil {
				b.Fatal(err)
			}
			db, err := Open("sqlite", ":memory:", WithTracer(tracing.New(be)))
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
		}},
		// The Datadog backend; ddsqltrace runs on the dd-trace-go tracer
		// it starts, with the same loopback agent.
		{"tracesql-datadog", func(b *testing.B) (*sql.DB, func()) {
			db, err := Open("sqlite", ":memory:", WithTracer(benchDDTracer(b)))
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
		}},
		{"ddsqltrace", func(b *testing.B) (*sql.DB, func()) {
			ddRegister.Do(func() { sqltrace.Register("sqlite", &sqlite.Driver{}) })
			benchDDTracer(b)
			db, err := sqltrace.Open("sqlite", ":memory:")
			if err != nil {
				b.Fatal(err)
			}
			return db, noReset
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
			db, err := otelsql.Open("sqlite", ":memory:", otelsql.WithTracerProvider(benchOTelProvider(b)),
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
