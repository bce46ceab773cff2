package ddbackend_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// heapChild is the variable that makes TestHangingAgentHeapChild measure,
// in a process of its own: "backend" (the facade over the Datadog
// backend) or "alone" (dd-trace-go used directly).
const heapChild = "DDBACKEND_HEAP_CHILD"

// hangSpans is how many one-span traces each side ends.
const hangSpans = 100000

// TestHangingAgentHeap: against an agent that answers /info but never
// answers a trace upload, ending 100,000 one-span traces in a tight loop
// leaves a live heap no larger with the backend than with dd-trace-go
// alone (which holds up to 100 unanswered uploads of up to 5 MB each):
// the backend's transport refuses uploads while earlier ones hold
// DefaultMaxPendingSpans, without copying them, and counts their spans
// as dropped. Each side runs in a process of its own (dd-trace-go's
// tracer is process-global, and each heap must be its own), measured
// after the same burst and the same pause; the margin is generous (10%
// and 4 MB).
func TestHangingAgentHeap(t *testing.T) {
	if os.Getenv(heapChild) != "" {
		t.Skip("in a child")
	}
	if tracingtest.RaceEnabled {
		t.Skip("memory is compared without the race detector, whose instrumentation slows and changes both sides")
	}
	sides := []string{"alone", "backend"}
	outs := make([][]byte, len(sides))
	errs := make([]error, len(sides))
	var wg sync.WaitGroup
	for i, side := range sides {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHangingAgentHeapChild$", "-test.v")
			cmd.Env = append(os.Environ(), heapChild+"="+side)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	heap := map[string]float64{}
	for i, side := range sides {
		out, err := outs[i], errs[i]
		if err != nil {
			t.Fatalf("%s: %v\n%s", side, err, out)
		}
		_, after, ok := strings.Cut(string(out), "HEAP ")
		if !ok {
			t.Fatalf("%s: no measurement in\n%s", side, out)
		}
		line, _, _ := strings.Cut(after, "\n")
		mb, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", side, line, err)
		}
		heap[side] = mb
		if _, rest, ok := strings.Cut(string(out), "STATS "); ok {
			s, _, _ := strings.Cut(rest, "\n")
			t.Logf("%s: stats %s", side, s)
		}
	}
	t.Logf("live heap after %d one-span traces against an agent that never answers: dd-trace-go alone %.1f MB, the backend %.1f MB",
		hangSpans, heap["alone"], heap["backend"])
	if heap["backend"] > heap["alone"]*1.1+4 {
		t.Errorf("the backend holds %.1f MB, dd-trace-go alone %.1f MB: want no more", heap["backend"], heap["alone"])
	}
}

// TestHangingAgentHeapChild is TestHangingAgentHeap's measurement, run in
// a child process; it prints "HEAP <MB>" and exits without shutting down
// (the uploads never end).
func TestHangingAgentHeapChild(t *testing.T) {
	side := os.Getenv(heapChild)
	if side == "" {
		t.Skip("run by TestHangingAgentHeap")
	}
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/traces") {
			<-r.Context().Done() // hangs until the client gives up
			return
		}
		http.NotFound(w, r)
	}))
	quietLog := tracer.WithLogger(ddLog)
	stats := func() string { return "-" }
	switch side {
	case "alone":
		if err := tracer.Start(tracer.WithAgentURL(agent.URL), tracer.WithService("heap"), quietLog); err != nil {
			t.Fatal(err)
		}
		for range hangSpans {
			tracer.StartSpan("op").Finish()
		}
	case "backend":
		b, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL), ddbackend.WithServiceName("heap"), ddbackend.WithStartOptions(quietLog))
		if err != nil {
			t.Fatal(err)
		}
		tr := tracing.New(b)
		for range hangSpans {
			_, sp := tr.Start(context.Background(), "op")
			sp.End()
		}
		stats = func() string { return fmt.Sprintf("%+v", tr.Stats()) }
	}
	// The same pause on both sides: dd-trace-go encodes what it queued
	// and starts its uploads (every 5 MB of payload, and every 2 s).
	time.Sleep(1500 * time.Millisecond)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("HEAP %.1f\nSTATS %s\n", float64(m.HeapAlloc)/(1<<20), stats())
	os.Exit(0) // the uploads never end: no Shutdown, no leak check
}
