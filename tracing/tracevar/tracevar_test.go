package tracevar_test

import (
	"context"
	"encoding/json"
	"expvar"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/polytrace/polytrace/tracing/tracevar"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type countingBackend struct{ c backendkit.Counters }

func (b *countingBackend) Start(ctx context.Context, _ string, _ tracing.SpanConfig) (context.Context, tracing.Span) {
	return ctx, tracing.Span{}
}
func (b *countingBackend) Shutdown(context.Context) error   { return nil }
func (b *countingBackend) Stats() tracing.Stats             { return b.c.Stats() }
func (b *countingBackend) ExportStats() tracing.ExportStats { return b.c.ExportStats() }

// TestPublish: /debug/vars serves the counts, read when it is requested.
func TestPublish(t *testing.T) {
	b := &countingBackend{}
	tracing.SetDefault(tracing.New(b))
	defer tracing.SetDefault(nil)
	tracevar.Publish("polytrace_test", nil)
	b.c.AddEnded(5)
	b.c.AddExported(3)
	b.c.AddDropped(backendkit.DropExportFailed, 1)
	b.c.ObserveExport(20*time.Millisecond, true)

	rec := httptest.NewRecorder()
	expvar.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/vars", nil))
	var vars struct {
		M struct {
			Ended, Exported, Dropped, Pending uint64
			DroppedBy                         map[string]uint64 `json:"dropped_by"`
			Exports                           struct {
				Requests, Failed uint64
				Buckets          map[string]uint64 `json:"latency_buckets"`
			}
		} `json:"polytrace_test"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil {
		t.Fatal(err)
	}
	m := vars.M
	if m.Ended != 5 || m.Exported != 3 || m.Dropped != 1 || m.Pending != 1 || m.DroppedBy["export_failed"] != 1 ||
		m.Exports.Requests != 1 || m.Exports.Failed != 1 || m.Exports.Buckets["0.025"] != 1 {
		t.Errorf("published %+v", m)
	}
}
