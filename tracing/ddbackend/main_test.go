package ddbackend_test

import (
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) {
	ddtest.Quiet()
	goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
}

// ddLog collects what dd-trace-go logs. dd-trace-go's logger is global and
// outlives each test, so it cannot be a testing.T.
var ddLog = &logSink{}

type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Log(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 10000 {
		l.lines = append(l.lines, msg)
	}
}

func withDDLog() ddbackend.Option { return ddbackend.WithStartOptions(tracer.WithLogger(ddLog)) }

// newAgent starts a fake agent that closes when the test ends.
func newAgent(t testing.TB, cfg ddtest.Config) *ddtest.Agent {
	t.Helper()
	a := ddtest.Start(cfg)
	t.Cleanup(func() {
		if u := a.Unexpected(); len(u) > 0 {
			t.Errorf("the tracer called endpoints the agent does not know: %v", u)
		}
		if n := a.Requests()["/telemetry/proxy/api/v2/apmtelemetry"]; n > 0 {
			t.Errorf("dd-trace-go sent %d telemetry requests although DD_INSTRUMENTATION_TELEMETRY_ENABLED=false", n)
		}
		if errs := a.Errors(); len(errs) > 0 {
			t.Errorf("payloads that could not be decoded: %v", errs)
		}
		a.Close()
	})
	return a
}

// newBackend creates a backend sending to a and shuts it down when the
// test ends (before a closes).
func newBackend(t testing.TB, a *ddtest.Agent, opts ...ddbackend.Option) *ddbackend.Backend {
	t.Helper()
	opts = append([]ddbackend.Option{
		ddbackend.WithAgentURL(a.URL()),
		withDDLog(),
	}, opts...)
	b, err := ddbackend.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { tracingtest.Shutdown(t, b) })
	return b
}
