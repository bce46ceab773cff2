package tracevar_test

import (
	"encoding/json"
	"expvar"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/polytrace/polytrace/tracing/tracevar"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPublish: /debug/vars serves the counts, read when it is requested.
func TestPublish(t *testing.T) {
	b := &tracingtest.CountsBackend{}
	tracing.SetDefault(tracing.New(b))
	defer tracing.SetDefault(nil)
	tracevar.Publish("polytrace_test", nil)
	b.Counters.AddEnded(5)
	b.Counters.AddExported(3)
	b.Counters.AddDropped(backendkit.DropExportFailed, 1)
	b.Counters.ObserveExport(20*time.Millisecond, true)

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
