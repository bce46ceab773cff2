package ddbackend

import (
	"errors"
	"log"
	"strings"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// ddLogger takes dd-trace-go's log lines (tracer.WithLogger). dd-trace-go
// alone writes, for a service whose agent is not there, its startup
// diagnostics, a JSON dump of its whole configuration, telemetry and
// feature-detection failures and "lost N traces" errors: five lines at
// start and more every minute. Here an agent that cannot be reached is
// what the backend's one drop warning says (backendkit.Counters.WarnDrops,
// at most once a minute, with the counts and this cause), other warnings
// and errors pass in one line each at most once a minute, and the
// informational lines only when DD_TRACE_STARTUP_LOGS=true asks for them.
// With DD_TRACE_DEBUG=true the backend does not install it: dd-trace-go
// then logs everything, as it would alone. A tracer.WithLogger given
// through WithStartOptions replaces it.
type ddLogger struct {
	warn   *backendkit.Warnings
	counts *backendkit.Counters // told why the agent cannot be reached
	info   bool                 // pass informational lines (DD_TRACE_STARTUP_LOGS=true)
}

// Log implements dd-trace-go's tracer.Logger.
func (l *ddLogger) Log(msg string) {
	level, text := splitDDLog(msg)
	switch {
	case isAgentUnreachable(text):
		if l.counts != nil {
			l.counts.NoteExportError(errors.New(backendkit.Cause(text)))
		}
	case isNoise(text):
	case level == "ERROR" || level == "WARN":
		l.warn.Warn("", "dd-trace-go: %s", text)
	case l.info:
		log.Print(msg)
	}
}

// splitDDLog splits "Datadog Tracer v2.3.0 ERROR: lost 2 traces: …" into
// its level and text.
func splitDDLog(msg string) (level, text string) {
	for _, lv := range []string{"ERROR", "WARN", "INFO", "DEBUG"} {
		if _, after, ok := strings.Cut(msg, " "+lv+": "); ok {
			return lv, strings.TrimSpace(after)
		}
	}
	return "", strings.TrimSpace(msg)
}

// isAgentUnreachable reports whether a line says a request to the agent
// failed: traces lost on the way, the startup check, feature detection.
func isAgentUnreachable(text string) bool {
	if !strings.Contains(text, "http://") && !strings.Contains(text, "https://") && !strings.Contains(text, "unix") {
		return false
	}
	return backendkit.IsConnectionFailure(text)
}

// isNoise reports lines dd-trace-go writes about its own side services
// (instrumentation telemetry, AppSec's software composition data, remote
// configuration), which say nothing about the application's spans.
func isNoise(text string) bool {
	return strings.Contains(text, errAgentBusy.Error()) || // the backend's own bound: Warnings says it once a minute
		strings.Contains(text, "telemetry") || strings.HasPrefix(text, "appsec:") || strings.HasPrefix(text, "DIAGNOSTICS") ||
		strings.HasPrefix(text, "Remote config")
}
