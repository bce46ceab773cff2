package ddbackend_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// testEnv is the environment of the whole test process: dd-trace-go's
// telemetry, remote configuration, runtime metrics and startup log are
// off. Some of these (telemetry) are read when dd-trace-go's packages are
// initialised, before TestMain runs, so TestMain runs the test binary
// again with them set, and with every other DD_*, OTEL_* and JAEGER_*
// variable of the caller removed so that the tests are hermetic.
var testEnv = []string{
	"DD_INSTRUMENTATION_TELEMETRY_ENABLED=false",
	"DD_REMOTE_CONFIGURATION_ENABLED=false",
	"DD_RUNTIME_METRICS_ENABLED=false",
	"DD_RUNTIME_METRICS_V2_ENABLED=false",
	"DD_TRACE_STARTUP_LOGS=false",
	"DD_DATA_STREAMS_ENABLED=false",
	"DD_APPSEC_ENABLED=false",
}

const childMarker = "POLYTRACE_DDBACKEND_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childMarker) == "" {
		os.Exit(reexec())
	}
	goleak.VerifyTestMain(m,
		// dd-trace-go starts this goroutine once per process, the first
		// time tracer.Start sets up remote configuration (even when remote
		// configuration is disabled), and never stops it: it hands
		// Dynamic Instrumentation probes to an eBPF program every 5s.
		goleak.IgnoreAnyFunction("github.com/DataDog/dd-trace-go/v2/ddtrace/tracer.initalizeDynamicInstrumentationRemoteConfigState.func1"),
	)
}

func reexec() int {
	env := []string{childMarker + "=1"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DD_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "JAEGER_") || strings.HasPrefix(kv, "TRACING_") {
			continue
		}
		env = append(env, kv)
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(env, testEnv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "ddbackend tests: re-running the test binary:", err)
		return 2
	}
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

func (l *logSink) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
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
	t.Cleanup(func() { shutdown(t, b) })
	return b
}

func shutdown(t testing.TB, b *ddbackend.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
