package ddbackend

import (
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// TestDDLoggerOneLineForAnAbsentAgent feeds the lines dd-trace-go v2.3.0
// writes for a service whose agent is not there (as seen with
// TRACING_BACKEND=datadog and nothing on :8126): what reaches the user is
// one short line, not five, the configuration dump included — the drop
// warning, saying why.
func TestDDLoggerOneLineForAnAbsentAgent(t *testing.T) {
	var out strings.Builder
	warn := backendkit.NewWarnings("datadog", &out)
	var counts backendkit.Counters
	counts.WarnDrops(warn, "http://localhost:8126")
	l := &ddLogger{warn: warn, counts: &counts}
	for _, line := range []string{
		`Datadog Tracer v2.3.0 WARN: DIAGNOSTICS Unable to reach agent intake: Post "http://localhost:8126/v0.4/traces": dial tcp 127.0.0.1:8126: connect: connection refused`,
		`Datadog Tracer v2.3.0 INFO: DATADOG TRACER CONFIGURATION {"date":"2026-12-04T09:55:49Z","os_name":"Debian GNU/Linux","service":"quickstart"}`,
		`Datadog Tracer v2.3.0 WARN: appsec: error while flushing SCA Security Data: Post "http://localhost:8126/telemetry/proxy/api/v2/apmtelemetry": dial tcp 127.0.0.1:8126: connect: connection refused`,
		`Datadog Tracer v2.3.0 ERROR: Loading features: Get "http://localhost:8126/info": dial tcp 127.0.0.1:8126: connect: connection refused (occurred: 04 Dec 26 09:55 UTC)`,
		`Datadog Tracer v2.3.0 ERROR: lost 2 traces: Post "http://localhost:8126/v0.4/traces": dial tcp 127.0.0.1:8126: connect: connection refused, 1 additional messages skipped (first occurrence: 04 Dec 26 09:55 UTC)`,
		`Datadog Tracer v2.3.0 ERROR: lost 7 traces: Post "http://localhost:8126/v0.4/traces": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
	} {
		l.Log(line)
	}
	if out.Len() != 0 {
		t.Errorf("lines written before any span was lost: %q", out.String())
	}
	// The transport then counts the spans of the failed uploads.
	counts.AddEnded(2)
	counts.AddDropped(backendkit.DropExportFailed, 2)
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := "polytrace: datadog: cannot deliver spans to http://localhost:8126 (deadline exceeded): 2 dropped so far (export_failed 2), 0 pending; Tracer.Stats counts them"
	if len(got) != 1 || got[0] != want {
		t.Errorf("wrote %d lines:\n%s\nwant one:\n%s", len(got), out.String(), want)
	}
}

// TestDDLoggerPassesOtherProblems: a warning that is not about reaching the
// agent is passed on, once; informational lines only when asked.
func TestDDLoggerPassesOtherProblems(t *testing.T) {
	var out strings.Builder
	l := &ddLogger{warn: backendkit.NewWarnings("datadog", &out)}
	l.Log("Datadog Tracer v2.3.0 WARN: DD_TRACE_SAMPLING_RULES: rule 2 has no sample_rate")
	l.Log("Datadog Tracer v2.3.0 WARN: DD_TRACE_SAMPLING_RULES: rule 2 has no sample_rate")
	l.Log("Datadog Tracer v2.3.0 INFO: some information")
	if got := out.String(); got != "polytrace: datadog: dd-trace-go: DD_TRACE_SAMPLING_RULES: rule 2 has no sample_rate\n" {
		t.Errorf("wrote %q", got)
	}
}
