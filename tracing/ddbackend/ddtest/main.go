package ddtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"go.uber.org/goleak"
)

// QuietEnv is the environment a test process that starts a Datadog backend
// runs with: dd-trace-go's telemetry, remote configuration, runtime
// metrics, data streams, AppSec and startup log are off.
var QuietEnv = []string{
	"DD_INSTRUMENTATION_TELEMETRY_ENABLED=false",
	"DD_REMOTE_CONFIGURATION_ENABLED=false",
	"DD_RUNTIME_METRICS_ENABLED=false",
	"DD_RUNTIME_METRICS_V2_ENABLED=false",
	"DD_TRACE_STARTUP_LOGS=false",
	"DD_DATA_STREAMS_ENABLED=false",
	"DD_APPSEC_ENABLED=false",
}

const childMarker = "POLYTRACE_DDTEST_QUIET_CHILD"

// Quiet makes the test binary hermetic and quiet for dd-trace-go. Some of
// dd-trace-go's settings (telemetry) are read when its packages are
// initialised, before TestMain runs, so Quiet runs the test binary again
// with QuietEnv set and every DD_*, OTEL_*, JAEGER_* and TRACING_* variable
// of the caller removed, and exits with its status. In that child it
// returns at once. Call it first in TestMain:
//
//	func TestMain(m *testing.M) {
//		ddtest.Quiet()
//		goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
//	}
func Quiet() {
	if os.Getenv(childMarker) != "" {
		return
	}
	env := []string{childMarker + "=1"}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DD_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "JAEGER_") || strings.HasPrefix(kv, "TRACING_") {
			continue
		}
		env = append(env, kv)
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(env, QuietEnv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	default:
		fmt.Fprintln(os.Stderr, "ddtest: re-running the test binary:", err)
		os.Exit(2)
	}
}

// IgnoreLeaks returns the goleak options for dd-trace-go's goroutines that
// outlive every tracer: it starts one once per process, the first time
// tracer.Start sets up remote configuration (even when that is disabled),
// and never stops it.
func IgnoreLeaks() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/DataDog/dd-trace-go/v2/ddtrace/tracer.initalizeDynamicInstrumentationRemoteConfigState.func1"),
	}
}
