package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// nopConnector hands out one nopConn, so that a benchmark measures
// database/sql and the wrapper, not a driver; it is its own driver.
type nopConnector struct{ c *nopConn }

func (n nopConnector) Connect(context.Context) (driver.Conn, error) { return n.c, nil }
func (n nopConnector) Driver() driver.Driver                        { return n }
func (n nopConnector) Open(string) (driver.Conn, error)             { return n.c, nil }

// BenchmarkWrap runs single operations through database/sql over nopConn
// (and, for the ErrSkip path, over the legacy driver): bare, wrapped with
// the none tracer, and wrapped with a recorder. Its allocations per
// operation are what the wrapper costs on top of database/sql.
func BenchmarkWrap(b *testing.B) {
	rec := tracingtest.NewRecorder()
	none := tracing.New(tracing.NoopBackend())
	ops := []struct {
		name string
		run  func(ctx context.Context, db *sql.DB) error
	}{
		{"query", func(ctx context.Context, db *sql.DB) error {
			rows, err := db.QueryContext(ctx, "SELECT a FROM t WHERE b = ?", 1)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return rows.Close()
		}},
		{"exec", func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, "DELETE FROM t WHERE b = ?", 1)
			return err
		}},
		{"tx", func(ctx context.Context, db *sql.DB) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"stmt", func(ctx context.Context, db *sql.DB) error {
			st, err := db.PrepareContext(ctx, "SELECT a FROM t WHERE b = ?")
			if err != nil {
				return err
			}
			rows, err := st.QueryContext(ctx, 1)
			if err != nil {
				return err
			}
			rows.Close()
			return st.Close()
		}},
	}
	wrappers := []struct {
		name string
		wrap func(driver.Connector) driver.Connector
	}{
		{"bare", func(c driver.Connector) driver.Connector { return c }},
		{"none", func(c driver.Connector) driver.Connector { return WrapConnector(c, WithTracer(none)) }},
		{"recorder", func(c driver.Connector) driver.Connector { return WrapConnector(c, WithTracer(rec.Tracer())) }},
	}
	for _, w := range wrappers {
		for _, op := range ops {
			b.Run("wrap="+w.name+"/op="+op.name, func(b *testing.B) {
				benchDB(b, rec, sql.OpenDB(w.wrap(nopConnector{&nopConn{}})), op.run)
			})
		}
		b.Run("wrap="+w.name+"/op=legacy-exec", func(b *testing.B) {
			// An exec the driver declines (ErrSkip): database/sql
			// prepares it and runs the statement.
			c := dsnConnector{drv: newLegacyDriver()}
			benchDB(b, rec, sql.OpenDB(w.wrap(c)), func(ctx context.Context, db *sql.DB) error {
				_, err := db.ExecContext(ctx, legacyInsert, "k", "v")
				return err
			})
		})
	}
}

func benchDB(b *testing.B, rec *tracingtest.Recorder, db *sql.DB, run func(context.Context, *sql.DB) error) {
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx, parent := rec.Tracer().Start(context.Background(), "request")
	defer parent.End()
	if err := run(ctx, db); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := run(ctx, db); err != nil {
			b.Fatal(err)
		}
		if i++; i%1024 == 0 {
			rec.Reset()
		}
	}
}
