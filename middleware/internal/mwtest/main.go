package mwtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// ddTestEnv turns off what dd-trace-go would otherwise start beside the
// tracer: telemetry, remote configuration, runtime metrics, the startup
// log. Some of these are read when dd-trace-go's packages are initialised,
// before TestMain runs, which is why Main runs the test binary again with
// them set (as tracing/ddbackend's own tests do).
var ddTestEnv = []string{
	"DD_INSTRUMENTATION_TELEMETRY_ENABLED=false",
	"DD_REMOTE_CONFIGURATION_ENABLED=false",
	"DD_RUNTIME_METRICS_ENABLED=false",
	"DD_RUNTIME_METRICS_V2_ENABLED=false",
	"DD_TRACE_STARTUP_LOGS=false",
	"DD_DATA_STREAMS_ENABLED=false",
	"DD_APPSEC_ENABLED=false",
}

const childMarker = "POLYTRACE_MWTEST_CHILD"

// Main is the TestMain of every package whose tests run on Backends. It
// runs the test binary again in a hermetic environment (every DD_*,
// OTEL_*, JAEGER_* and TRACING_* variable of the caller removed, and
// dd-trace-go's side services off), then checks for leaked goroutines.
func Main(m *testing.M) {
	if os.Getenv(childMarker) == "" {
		os.Exit(reexec())
	}
	goleak.VerifyTestMain(m, LeakOptions()...)
}

// LeakOptions are the goroutines goleak must ignore in packages that start
// the Datadog backend.
func LeakOptions() []goleak.Option {
	return []goleak.Option{
		// dd-trace-go starts this goroutine once per process, the first
		// time tracer.Start sets up remote configuration (even when
		// remote configuration is disabled), and never stops it.
		goleak.IgnoreAnyFunction("github.com/DataDog/dd-trace-go/v2/ddtrace/tracer.initalizeDynamicInstrumentationRemoteConfigState.func1"),
	}
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
	cmd.Env = append(env, ddTestEnv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "mwtest: re-running the test binary:", err)
		return 2
	}
}
