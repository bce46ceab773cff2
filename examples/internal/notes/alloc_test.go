package notes_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/notes"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// unsampledBackend decides not to sample anything and has nothing to
// propagate: every span it starts is the zero Span, as a sampler that says
// no to a new trace leaves it when there is no incoming context to carry
// on. It allocates nothing itself, so that what the test sees is what
// polytrace's own code allocates.
type unsampledBackend struct{}

func (unsampledBackend) Start(ctx context.Context, _ string, _ tracing.SpanConfig) (context.Context, tracing.Span) {
	return ctx, tracing.Span{}
}
func (unsampledBackend) Shutdown(context.Context) error { return nil }

// TestUntracedRequestsAllocateNothingInPolytrace serves GET /notes/{id}
// and POST /notes?add_date=y (calendar over HTTP and over gRPC, both
// services in this process) with tracing off (the none backend) and on a
// backend that samples nothing, and records every allocation the process
// makes meanwhile (runtime.MemProfileRate = 1). Each allocation is charged
// to the first frame of its stack outside the runtime and the standard
// library: none may be polytrace's (its tracing or middleware packages).
// That is what "none and unsampled requests cost nothing" means: whatever
// net/http, chi, gRPC, database/sql and SQLite allocate is the same
// without polytrace.
func TestUntracedRequestsAllocateNothingInPolytrace(t *testing.T) {
	if tracingtest.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what is put in it, on purpose: allocations are measured without it")
	}
	for _, tc := range []struct {
		name   string
		tracer *tracing.Tracer
	}{
		{"none", tracing.New(tracing.NoopBackend())},
		{"unsampled", tracing.New(unsampledBackend{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tracer := tc.tracer
			cal := &calendar.Server{Tracer: tracer}
			calHTTP := httptest.NewServer(cal.Mux())
			defer calHTTP.Close()
			grpcCal, _ := serveCalendarGRPC(t, cal, tracer)
			store, err := notes.OpenStore(context.Background(), tracer)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			overHTTP := httptest.NewServer((&notes.Server{Store: store, Tracer: tracer,
				Calendar: notes.NewCalendarClient(calHTTP.URL+"/calendar", tracer)}).Routes())
			defer overHTTP.Close()
			overGRPC := httptest.NewServer((&notes.Server{Store: store, Tracer: tracer, Calendar: grpcCal}).Routes())
			defer overGRPC.Close()

			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			send := func(method, url string, want int) {
				req, _ := http.NewRequest(method, url, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("%s %s: %s", method, url, resp.Status)
				}
			}
			requests := func() {
				send("POST", overHTTP.URL+"/notes?desc=a+note&add_date=y", http.StatusCreated)
				send("POST", overGRPC.URL+"/notes?desc=a+note&add_date=y", http.StatusCreated)
				send("GET", overHTTP.URL+"/notes/1", http.StatusOK)
				send("PUT", overHTTP.URL+"/notes/1?desc=changed", http.StatusOK)
				send("GET", overHTTP.URL+"/notes", http.StatusOK)
			}
			// Warm up: connections, caches, lazily built state.
			for range 20 {
				requests()
			}
			const rounds = 50
			polytrace := polytraceAllocs(rounds, func() {
				for range rounds {
					requests()
				}
			})
			if len(polytrace) > 0 {
				t.Errorf("polytrace's code allocated while serving untraced requests:\n%s", strings.Join(polytrace, "\n"))
			}
		})
	}
}

// TestPolytraceAllocsSeesAllocations checks the measurement itself: a
// traced request does allocate in polytrace's code, and polytraceAllocs
// finds it.
func TestPolytraceAllocsSeesAllocations(t *testing.T) {
	found := polytraceAllocs(100, func() {
		for range 100 {
			// A context node per call, in package tracing.
			ctxSink = tracing.ContextWithSpan(context.Background(), tracing.Span{})
		}
	})
	if len(found) == 0 {
		t.Error("polytraceAllocs found no allocation in package tracing")
	}
}

var ctxSink context.Context

// polytraceAllocs runs f with every allocation profiled and returns the
// allocations (with their stacks) whose first frame outside the runtime
// and the standard library is in polytrace's tracing or middleware
// packages (see polytraceFrame), made at least once in ten of the rounds
// f runs.
func polytraceAllocs(rounds int, f func()) []string {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	before := memProfile()
	f()
	// Allocations reach the profile at the end of a GC cycle (the second
	// one after them, for frees: allocation counts need one).
	time.Sleep(10 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	after := memProfile()
	var out []string
	for stack, n := range after {
		// Fewer than one in ten rounds: a cache filling up, not a cost
		// per request.
		if d := n - before[stack]; d > 0 && d >= int64(rounds)/10 {
			if frame, ok := polytraceFrame(stack); ok {
				out = append(out, fmt.Sprintf("%d allocations in %s:\n\t%s", d, frame, strings.ReplaceAll(stack, "\n", "\n\t")))
			}
		}
	}
	sort.Strings(out)
	return out
}

// memProfile returns the allocation counts of the memory profile by stack
// (function names, innermost first, one per line).
func memProfile() map[string]int64 {
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	m := map[string]int64{}
	for _, r := range recs {
		frames := runtime.CallersFrames(r.Stack())
		var b strings.Builder
		for {
			fr, more := frames.Next()
			b.WriteString(fr.Function)
			b.WriteByte('\n')
			if !more {
				break
			}
		}
		m[strings.TrimSuffix(b.String(), "\n")] += r.AllocObjects
	}
	return m
}

// polytraceFrame returns the frame an allocation is charged to, and
// whether it is polytrace's: the first function of stack (innermost first)
// outside the runtime and the standard library, unless that function only
// handed the work on to the standard library function of the same name
// that allocated (a wrapping RoundTrip calling http.Transport's
// RoundTrip, a middleware's ServeHTTP calling the next handler's, or a
// wrapper of such a wrapper), in which case the search goes on above it: what the wrapped code allocates
// it would allocate without the wrapper.
func polytraceFrame(stack string) (string, bool) {
	fns := strings.Split(stack, "\n")
	callee := "" // the standard library function below, if any
	for _, fn := range fns {
		pkg := funcPackage(fn)
		if first, _, _ := strings.Cut(pkg, "/"); !strings.Contains(first, ".") {
			if pkg != "runtime" {
				callee = fn
			}
			continue // the runtime, the standard library
		}
		if callee != "" && methodName(callee) == methodName(fn) {
			callee = fn
			continue // handed on (perhaps through more than one wrapper)
		}
		ours := strings.HasPrefix(pkg, "github.com/polytrace/polytrace/tracing") ||
			strings.HasPrefix(pkg, "github.com/polytrace/polytrace/middleware")
		return fn, ours
	}
	return "", false
}

// funcPackage returns the package path of a function name as the runtime
// prints it ("net/http.(*Transport).RoundTrip" → "net/http").
func funcPackage(fn string) string {
	i := strings.LastIndexByte(fn, '/')
	if j := strings.IndexByte(fn[i+1:], '.'); j >= 0 {
		return fn[:i+1+j]
	}
	return fn
}

// methodName returns the last element of a function name ("RoundTrip").
func methodName(fn string) string {
	return fn[strings.LastIndexByte(fn, '.')+1:]
}
