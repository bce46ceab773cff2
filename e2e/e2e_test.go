//go:build e2e

package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	serviceStartTimeout = 30 * time.Second
	serviceStopTimeout  = 20 * time.Second // drain 10s + flush 5s at most, in svc.Serve
	spansTimeout        = 45 * time.Second // for Jaeger to have every span
	pollInterval        = 250 * time.Millisecond
)

// TestBackends runs the sequence once per leg, each against a fresh
// Jaeger, and checks what Jaeger stored.
func TestBackends(t *testing.T) {
	for _, lg := range legs {
		t.Run(lg.name, func(t *testing.T) { runLeg(t, lg) })
	}
}

func runLeg(t *testing.T, lg leg) {
	legStart := time.Now()
	since := legStart.Add(-time.Minute)
	startJaeger(t)
	if lg.collector {
		startCollector(t)
	}
	notesSvc, calSvc := "notes-"+lg.name, "calendar-"+lg.name

	cal := startProcess(t, "calendar", calendarBin, nil, serviceEnv(append(lg.env(calSvc),
		"CALENDAR_ADDR=127.0.0.1:0", "CALENDAR_GRPC_ADDR=127.0.0.1:0", "CALENDAR_ROUTER="+lg.router)...))
	calAddr, err := cal.waitListening(serviceStartTimeout)
	if errors.Is(err, errExited) && strings.Contains(cal.output(), "unknown tracing backend") {
		t.Skipf("the %s backend is not registered in the services (tracing/all does not import it yet): %s",
			lg.backend, firstLine(cal.output(), "unknown tracing backend"))
	}
	if err != nil {
		t.Fatal(err)
	}
	calGRPC := cal.grpcAddr()
	if calGRPC == "" {
		t.Fatalf("calendar's listening line has no grpc_addr:\n%s", cal.output())
	}
	// notes asks calendar for the date over gRPC (its default).
	notes := startProcess(t, "notes", notesBin, nil, serviceEnv(append(lg.env(notesSvc),
		"NOTES_ADDR=127.0.0.1:0", "CALENDAR_GRPC="+calGRPC, "CALENDAR_URL=http://"+calAddr+"/calendar",
		"NOTES_HELPER_DELAY=20ms")...))
	notesAddr, err := notes.waitListening(serviceStartTimeout)
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Now()

	runSequence(t, lg.name, "http://"+notesAddr, func() {
		if err := cal.stop(serviceStopTimeout); err != nil {
			t.Errorf("calendar did not exit cleanly on SIGTERM: %v", err)
		}
	})
	q := newJaegerQuery()
	if lg.flushOnly {
		checkFlushedAtShutdown(t, q, notesSvc, calSvc, since)
	}
	if err := notes.stop(serviceStopTimeout); err != nil {
		t.Errorf("notes did not exit cleanly on SIGTERM: %v", err)
	}
	stopped := time.Now()

	notesTraces, calTraces, services := collectSpans(t, q, notesSvc, calSvc, since)
	collected := time.Now()

	checkServices(t, notesSvc, calSvc, services)
	checkTraces(t, lg, notesSvc, calSvc, notesTraces, calTraces)
	t.Logf("%s: servers and services up %v, sequence and shutdown %v, spans in Jaeger after %v; leg %v",
		lg.name, ready.Sub(legStart).Round(time.Millisecond), stopped.Sub(ready).Round(time.Millisecond),
		collected.Sub(stopped).Round(time.Millisecond), time.Since(legStart).Round(time.Millisecond))
}

// checkFlushedAtShutdown runs after the sequence, calendar stopped and
// notes still running, both with a minute's export interval: calendar's
// spans must reach Jaeger (its shutdown flushed them) and none of notes'
// may be there yet (so those that arrive later come from its shutdown).
func checkFlushedAtShutdown(t *testing.T, q *jaegerQuery, notesSvc, calSvc string, since time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), spansTimeout)
	defer cancel()
	for {
		ct, err := q.traces(ctx, calSvc, since)
		if err == nil && len(ct) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Errorf("calendar's spans did not reach Jaeger within %v of its graceful shutdown (%d traces, last error: %v)",
				spansTimeout, len(ct), err)
			return
		case <-time.After(pollInterval):
		}
	}
	nt, err := q.traces(ctx, notesSvc, since)
	if err != nil {
		t.Errorf("querying Jaeger: %v", err)
	} else if len(nt) > 0 {
		t.Errorf("%d traces of %s in Jaeger before its shutdown, though its export interval is a minute:\n%s",
			len(nt), notesSvc, nt[0].dump())
	}
}

// collectSpans polls Jaeger until it has every span the sequence makes and
// the count has stopped changing, or until spansTimeout (then the checks
// say what is missing).
func collectSpans(t *testing.T, q *jaegerQuery, notesSvc, calSvc string, since time.Time) (notesTraces, calTraces []*trace, services []string) {
	t.Helper()
	want := 0
	for _, s := range sequence {
		want += s.spanCount()
	}
	ctx, cancel := context.WithTimeout(context.Background(), spansTimeout)
	defer cancel()
	prev := -1
	for {
		nt, err := q.traces(ctx, notesSvc, since)
		var ct []*trace
		var svcs []string
		if err == nil {
			ct, err = q.traces(ctx, calSvc, since)
		}
		if err == nil {
			svcs, err = q.services(ctx)
		}
		if err == nil {
			notesTraces, calTraces, services = nt, ct, svcs
		}
		got := 0
		for _, tr := range notesTraces {
			got += len(tr.Spans)
		}
		// Complete and stable over two polls: any late or duplicate span
		// would show up in between.
		if err == nil && got >= want && len(calTraces) > 0 && got == prev {
			return notesTraces, calTraces, services
		}
		prev = got
		select {
		case <-ctx.Done():
			t.Errorf("after %v Jaeger has %d of the %d spans of %s's traces, %d trace(s) of %s (last error: %v)",
				spansTimeout, got, want, notesSvc, len(calTraces), calSvc, err)
			return notesTraces, calTraces, services
		case <-time.After(pollInterval):
		}
	}
}

// firstLine returns the first line of s that contains substr.
func firstLine(s, substr string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			return line
		}
	}
	return ""
}
