package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cgResult is what -callgrind measured of one variant and scenario.
type cgResult struct {
	instr          float64            // per request
	allocs, bytes  float64            // per request
	gcPer1k        float64            // GC cycles per 1000 requests
	spans          float64            // per request, as decoded by the sink
	buckets        map[string]float64 // instructions per request, by layer
	sinkDecodeErrs int
}

// instructions runs the notes service under valgrind's callgrind once per
// variant (GOMAXPROCS=1, so that its background exporters run on the same
// thread and are counted), warms it up, and for each scenario: waits for
// the exporters to deliver what the warm-up made, zeroes the counters,
// sends -callgrind sequential requests, waits until the exporters have
// delivered their spans (so that the export of every span made in the
// window is in it, and no other), dumps the counters and reads the
// process's allocation counters. Unlike wall time on a shared machine, the
// counts do not depend on the load. The profiles stay in -callgrind-dir
// for callgrind_annotate, with a by-layer summary of each (*.layers.txt).
func instructions(dir string, vs []variant, s *sinks) error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return errors.New("-callgrind needs valgrind (apt-get install valgrind)")
	}
	out := *cgDir
	if out == "" {
		tmp, err := os.MkdirTemp("", "polytrace-callgrind")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		out = tmp
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n := *callgrind
	scens := strings.Split(*scenarios, ",")
	results := map[string]cgResult{} // scenario/variant
	for _, v := range vs {
		rs, err := countRequests(dir, out, v, scens, n, s)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		for sc, r := range rs {
			results[sc+"/"+v.name] = r
			fmt.Fprintf(os.Stderr, "%-18s %-4s %8.0f instructions  %6.1f allocs  %7.0f B  %.2f spans  per request\n",
				v.name, sc, r.instr, r.allocs, r.bytes, r.spans)
		}
	}
	printCallgrind(os.Stdout, vs, scens, results, n)
	if *cgDir != "" {
		fmt.Printf("\nThe profiles (callgrind_annotate FILE) and their by-layer summaries are in %s\n", out)
	}
	return nil
}

// printCallgrind prints the tables of the -callgrind mode.
func printCallgrind(w io.Writer, vs []variant, scens []string, results map[string]cgResult, n int) {
	fmt.Fprintf(w, "\nnotes service, per request (callgrind over the whole process, exporters and GC included, GOMAXPROCS=1, %d sequential requests per scenario after a warm-up; spans decoded by loopback receivers; notes calls calendar over %s; calendar, not measured, does not trace)\n\n", n, *calProto)
	for _, sc := range scens {
		base := results[sc+"/"+vs[0].name]
		fmt.Fprintf(w, "%s\n\n", scenarioName(sc))
		fmt.Fprintf(w, "| variant | instructions | vs %s | polytrace / stock | allocs | vs %s | bytes | GC cycles per 1k requests | spans |\n", vs[0].name, vs[0].name)
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, v := range vs {
			r := results[sc+"/"+v.name]
			ratio := ""
			if v.bin == "notes" {
				var stocks []string
				for _, o := range vs {
					if o.bin == "stocknotes" && o.backend == v.backend && o.backend != "none" {
						stocks = append(stocks, fmt.Sprintf("%.2f× %s", r.instr/results[sc+"/"+o.name].instr, o.name))
					}
				}
				ratio = strings.Join(stocks, ", ")
			}
			fmt.Fprintf(w, "| %s | %s | %+s | %s | %.1f | %+.1f | %s | %.1f | %.2f |\n", v.name, thousands(r.instr),
				thousands(r.instr-base.instr), ratio, r.allocs, r.allocs-base.allocs, thousands(r.bytes), r.gcPer1k, r.spans)
		}
		fmt.Fprintf(w, "\n%s, instructions per request by layer (self cost of each function, bucketed by package and name; see layerOf)\n\n", scenarioName(sc))
		fmt.Fprint(w, "| layer |")
		for _, v := range vs {
			fmt.Fprintf(w, " %s |", v.name)
		}
		fmt.Fprint(w, "\n|---|")
		for range vs {
			fmt.Fprint(w, "---:|")
		}
		fmt.Fprintln(w)
		for _, l := range layers {
			fmt.Fprintf(w, "| %s |", l)
			for _, v := range vs {
				fmt.Fprintf(w, " %s |", thousands(results[sc+"/"+v.name].buckets[l]))
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
	for _, v := range vs {
		if v.about != "" {
			fmt.Fprintf(w, "- %s: %s\n", v.name, v.about)
		}
	}
}

// thousands formats v rounded, with thousands separators.
func thousands(v float64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func countRequests(dir, out string, v variant, scens []string, n int, s *sinks) (map[string]cgResult, error) {
	// calendar does not trace: the sinks then count notes' spans only.
	p, err := startCalendar(dir, v, s, true)
	if err != nil {
		return nil, err
	}
	defer p.cal.stop()
	debugAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	prefix := filepath.Join(out, "notes."+v.name)
	cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file="+prefix+".%p",
		filepath.Join(dir, v.bin))
	// cpu.rdtscp=off: valgrind 3.19 does not know RDTSCP, which the
	// runtime uses under lock contention.
	cmd.Env = append(p.notesEnv, "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off",
		"LOADTEST_DEBUG_ADDR="+debugAddr)
	notes, err := startCmd(cmd)
	if err != nil {
		return nil, err
	}
	defer notes.stop()

	client := &http.Client{Timeout: 120 * time.Second}
	defer client.CloseIdleConnections()
	if err := prepare(client, p, notes, 5*time.Minute); err != nil {
		return nil, err
	}
	base := "http://" + p.notesAddr
	for _, sc := range scens {
		method, url, want := scenario(base, sc)
		for range max(200, n/5) {
			if err := send(client, method, url, want); err != nil {
				return nil, err
			}
		}
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	results := map[string]cgResult{}
	for i, sc := range scens {
		s.settle(v.backend)
		spans0, bad0 := s.spans(v.backend)
		a0, err := readAllocs(client, debugAddr)
		if err != nil {
			return nil, err
		}
		if err := exec.Command("callgrind_control", "-z", pid).Run(); err != nil {
			return nil, fmt.Errorf("callgrind_control -z: %w", err)
		}
		method, url, want := scenario(base, sc)
		for range n {
			if err := send(client, method, url, want); err != nil {
				return nil, err
			}
		}
		s.settle(v.backend)
		a1, err := readAllocs(client, debugAddr)
		if err != nil {
			return nil, err
		}
		if err := exec.Command("callgrind_control", "--dump="+sc, pid).Run(); err != nil {
			return nil, fmt.Errorf("callgrind_control --dump: %w", err)
		}
		spans1, bad1 := s.spans(v.backend)
		dump := prefix + "." + pid + "." + strconv.Itoa(i+1)
		ann, err := annotate(dump)
		if err != nil {
			return nil, err
		}
		r, fns, err := parseProfile(ann, dump, n)
		if err != nil {
			return nil, err
		}
		r.allocs = float64(a1[0]-a0[0]) / float64(n)
		r.bytes = float64(a1[1]-a0[1]) / float64(n)
		r.gcPer1k = float64(a1[2]-a0[2]) * 1000 / float64(n)
		r.spans = float64(spans1-spans0) / float64(n)
		r.sinkDecodeErrs = bad1 - bad0
		if r.sinkDecodeErrs > 0 {
			return nil, fmt.Errorf("%s: the sink could not decode %d payloads", sc, r.sinkDecodeErrs)
		}
		results[sc] = r
		if err := writeLayers(dump+".layers.txt", fns, n); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// settle waits until the sink of backend has received everything the
// service had buffered: its span count has not moved for 3 s, and at least
// 7 s have passed (more than the longest export interval of the variants,
// the OpenTelemetry SDK's 5 s).
func (s *sinks) settle(backend string) {
	if backend != "otel" && backend != "datadog" && backend != "jaeger" {
		time.Sleep(time.Second)
		return
	}
	start := time.Now()
	last, _ := s.spans(backend)
	stable := time.Now()
	for {
		time.Sleep(500 * time.Millisecond)
		n, _ := s.spans(backend)
		if n != last {
			last, stable = n, time.Now()
		}
		if time.Since(start) >= 7*time.Second && time.Since(stable) >= 3*time.Second {
			return
		}
		if time.Since(start) > 2*time.Minute {
			return
		}
	}
}

// readAllocs reads the service's heap allocation counters (objects,
// bytes, GC cycles) from its debug address.
func readAllocs(c *http.Client, addr string) ([3]uint64, error) {
	var a [3]uint64
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return a, fmt.Errorf("reading the allocation counters (is notes built with -tags polytrace_loadtest?): %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, err
	}
	if _, err := fmt.Sscan(string(b), &a[0], &a[1], &a[2]); err != nil {
		return a, fmt.Errorf("allocation counters %q: %w", b, err)
	}
	return a, nil
}

// annotate returns callgrind_annotate's per-function self cost of dump,
// every function listed.
func annotate(dump string) ([]byte, error) {
	var ann []byte
	var err error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if _, err = os.Stat(dump); err != nil {
			continue
		}
		if ann, err = exec.Command("callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no", dump).Output(); err == nil &&
			bytes.Contains(ann, []byte("PROGRAM TOTALS")) {
			return ann, nil
		}
	}
	return nil, fmt.Errorf("no callgrind dump %s: %v", dump, err)
}

var (
	totalLine = regexp.MustCompile(`(?m)^\s*([\d,]+)\s+\([^)]*\)\s+PROGRAM TOTALS`)
)

// selfCosts reads a callgrind profile and returns each function's self
// cost (its own instructions, not its callees'). It reads the file itself
// rather than callgrind_annotate's output: callgrind_annotate 3.19
// misattributes the self cost of Go programs (its per-function self costs
// add up to several times the program total), whereas the cost lines of
// the file, less those of calls, add up exactly.
func selfCosts(path string) (map[string]float64, float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	names := map[string]string{} // "(id)" → name, for fn= and cfn=
	fns := map[string]float64{}
	npos := 1
	fn := ""
	afterCall := false
	var total float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "positions:"):
			npos = len(strings.Fields(strings.TrimPrefix(line, "positions:")))
			continue
		case strings.HasPrefix(line, "fn="):
			fn = compressedName(names, "fn", line[3:])
			// "f'2": f in a recursion cycle (--separate-recs); one function.
			if i := strings.LastIndexByte(fn, '\''); i > 0 && i+1 < len(fn) && fn[i+1] >= '0' && fn[i+1] <= '9' {
				fn = fn[:i]
			}
			continue
		case strings.HasPrefix(line, "cfn="):
			compressedName(names, "fn", line[4:])
			continue
		case strings.HasPrefix(line, "calls="):
			afterCall = true
			continue
		}
		c := line[0]
		if !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '*') {
			continue // ob=, fl=, fi=, fe=, cob=, cfi=, headers
		}
		fields := strings.Fields(line)
		if len(fields) <= npos {
			continue
		}
		v, err := strconv.ParseFloat(fields[npos], 64)
		if err != nil {
			continue
		}
		if afterCall {
			afterCall = false // the inclusive cost of a call
			continue
		}
		fns[fn] += v
		total += v

	}
	return fns, total, sc.Err()
}

// compressedName resolves callgrind's name compression: "(12) name"
// defines id 12, "(12)" refers to it.
func compressedName(names map[string]string, kind, s string) string {
	if !strings.HasPrefix(s, "(") {
		return s
	}
	i := strings.IndexByte(s, ')')
	if i < 0 {
		return s
	}
	id := kind + s[:i+1]
	if name := strings.TrimSpace(s[i+1:]); name != "" {
		names[id] = name
		return name
	}
	return names[id]
}

// parseProfile reads the program total (callgrind_annotate's, which is
// right) and the layers (from the self costs) of a dump, divided by n.
func parseProfile(ann []byte, dump string, n int) (cgResult, map[string]float64, error) {
	m := totalLine.FindSubmatch(ann)
	if m == nil {
		return cgResult{}, nil, errors.New("no PROGRAM TOTALS in callgrind_annotate's output")
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(string(m[1]), ",", ""), 64)
	if err != nil {
		return cgResult{}, nil, err
	}
	fns, sum, err := selfCosts(dump)
	if err != nil {
		return cgResult{}, nil, err
	}
	if sum < 0.99*v || sum > 1.01*v {
		return cgResult{}, nil, fmt.Errorf("%s: the self costs add up to %.0f, the program total is %.0f", dump, sum, v)
	}
	r := cgResult{instr: v / float64(n), buckets: map[string]float64{}}
	for fn, c := range fns {
		r.buckets[layerOf(fn)] += c / float64(n)
	}
	return r, fns, nil
}

// writeLayers writes each layer's total and its 25 costliest functions,
// per request.
func writeLayers(path string, fns map[string]float64, n int) error {
	by := map[string][]string{}
	for fn := range fns {
		l := layerOf(fn)
		by[l] = append(by[l], fn)
	}
	var b strings.Builder
	for _, l := range layers {
		list := by[l]
		sort.Slice(list, func(i, j int) bool { return fns[list[i]] > fns[list[j]] })
		total := 0.0
		for _, fn := range list {
			total += fns[fn]
		}
		fmt.Fprintf(&b, "== %s: %s per request\n", l, thousands(total/float64(n)))
		for _, fn := range list[:min(len(list), 25)] {
			fmt.Fprintf(&b, "%12s  %s\n", thousands(fns[fn]/float64(n)), fn)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// The layers of the per-layer breakdown, in the order the tables list
// them.
var layers = []string{
	layerMiddleware, layerFacade, layerBackend, layerVendor, layerPropagation, layerExport,
	layerGC, layerMalloc, layerRuntime, layerNet, layerSQL, layerApp, layerOther,
}

const (
	layerMiddleware  = "middleware (polytrace's, or the vendor's contrib)"
	layerFacade      = "facade (package tracing)"
	layerBackend     = "backend mapping (polytrace's backends)"
	layerVendor      = "vendor span (SDK / tracer)"
	layerPropagation = "propagation"
	layerExport      = "export: queue, encoding, transport client"
	layerGC          = "runtime: GC"
	layerMalloc      = "runtime: malloc"
	layerRuntime     = "runtime: other (scheduler, maps, memmove, …)"
	layerNet         = "net, net/http (service and exporter)"
	layerSQL         = "database/sql + SQLite"
	layerApp         = "service (chi, encoding/json, handlers, stdlib)"
	layerOther       = "other"
)

// layerOf buckets a function by its package path and name.
func layerOf(fn string) string {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(fn, s) {
				return true
			}
		}
		return false
	}
	pre := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
	tracingPkg := pre("github.com/polytrace/polytrace/tracing", "github.com/polytrace/polytrace/middleware",
		"go.opentelemetry.io/", "github.com/DataDog/", "github.com/uber/jaeger", "github.com/opentracing",
		"github.com/XSAM/otelsql", "main.")
	switch {
	case fn == "gcWriteBarrier" || strings.HasPrefix(fn, "gcWriteBarrier"):
		return layerGC
	case fn == "aeshashbody" || fn == "memeqbody" || fn == "indexbytebody" || fn == "indexbody" || fn == "cmpbody" ||
		fn == "countbody" || fn == "gogo" || fn == "gosave_systemstack_switch" || strings.HasSuffix(fn, ".abi0") && strings.HasPrefix(fn, "runtime"):
		return layerRuntime
	case pre("runtime."):
		rt := strings.TrimPrefix(fn, "runtime.")
		switch {
		case pre("runtime.mallocgc", "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.(*mcache)",
			"runtime.(*mcentral)", "runtime.nextFreeFast", "runtime.memclrNoHeapPointers", "runtime.(*mspan).nextFreeIndex",
			"runtime.heapSetType", "runtime.rawstring", "runtime.rawbyteslice", "runtime.rawruneslice", "runtime.newarray",
			"runtime.(*mheap).alloc", "runtime.(*mspan).init", "runtime.(*mheap).allocSpan", "runtime.nextFree",
			"runtime.publicationBarrier", "runtime.makemap", "runtime.roundupsize", "runtime.(*mspan).heapBits",
			"runtime.(*mspan).writeHeapBits", "runtime.writeHeapBitsSmall", "runtime.deductAssistCredit", "runtime.memclrNoHeapPointersChunked",
			"runtime.(*mheap).initSpan", "runtime.(*fixalloc)", "runtime.(*mheap).allocMSpanLocked", "runtime.(*pageAlloc).alloc",
			"runtime.(*pageCache)", "runtime.(*mheap).allocNeedsZero", "runtime.(*mheap).freeSpan", "runtime.(*mspan).refillAllocCache",
			"runtime.(*sweepLocked)"):
			if pre("runtime.(*sweepLocked)") {
				return layerGC
			}
			return layerMalloc
		case strings.HasPrefix(rt, "gc") || has("scanobject", "greyobject", "markroot", "scanblock", "scanstack", "scanframe",
			"findObject", "(*gcWork)", "gcDrain", "sweep", "wbBuf", "WriteBarrier", "bulkBarrier", "typePointers", "shade",
			"scaven", "markBits", "(*gcBits)", "gcmarknewobject", "(*spanSet)", "forEachP", "stopTheWorld", "startTheWorld",
			"clearpools", "(*mheap).nextSpanForSweep", "spanOfHeap", "(*mspan).isFree", "(*gcControllerState)", "(*limiterEvent)",
			"(*gcCPULimiterState)", "finishsweep", "bgsweep", "bgscavenge", "(*mspan).countAlloc", "tryDeferToSpanScan",
			"(*spanInlineMarkBits)", "scanSpan", "(*mspan).markBitsForIndex", "(*mspan).typePointersOf", "spanOf", "(*mheap).freeSpan",
			"heapBitsSmallForAddr", "(*mspan).heapBitsSmallForAddr", "(*atomicHeadTailIndex)", "(*mspan).base", "scanObject", "extractHeapBits",
			"spanSetScans", "spanQueue", "(*pallocBits)", "(*pageAlloc)", "(*pallocData)", "(*scavenge", "assistAlloc",
			"(*mheap).reclaim", "(*mspan).objIndex", "(*mspan).divideByElemSize", "heapBitsForAddr", "(*mspan).heapBitsSmall"):
			return layerGC
		}
		return layerRuntime
	case tracingPkg && has("propagat", "Propagat", "Extract", "Inject", "extract", "inject", "TextMap", "textMap",
		"Carrier", "carrier", "traceparent", "Traceparent", "tracestate", "Tracestate", "TraceState", "traceState",
		"go.opentelemetry.io/otel/baggage", "Baggage", "baggage", "parseTraceContext", "ParseTraceContext", "W3C", "w3c", "b3", "B3"):
		return layerPropagation
	case pre("go.opentelemetry.io/otel/exporters/", "go.opentelemetry.io/proto/", "google.golang.org/protobuf/",
		"github.com/tinylib/msgp", "github.com/apache/thrift", "github.com/uber/jaeger-client-go/thrift",
		"github.com/uber/jaeger-client-go/transport", "github.com/uber/jaeger-client-go/utils",
		"github.com/uber/jaeger-client-go.(*remoteReporter)", "github.com/uber/jaeger-client-go.(*reporterStats)",
		"github.com/uber/jaeger-client-go.BuildJaegerThrift", "github.com/uber/jaeger-client-go.buildTag",
		"github.com/uber/jaeger-client-go.buildLogs", "github.com/uber/jaeger-client-go.buildReferences",
		"github.com/uber/jaeger-client-go.BuildJaegerProcessThrift", "github.com/uber/jaeger-client-go.(*udpSender)",
		"github.com/uber/jaeger-client-go.buildTags", "github.com/uber/jaeger-client-go.(*compositeReporter)",
		"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor)", "go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor",
		"github.com/polytrace/polytrace/tracing/otelbackend.(*processor)", "github.com/polytrace/polytrace/tracing/otelbackend.(*exporter)",
		"github.com/polytrace/polytrace/tracing/otelbackend.(*batcher)", "github.com/polytrace/polytrace/tracing/otelbackend.(*otlp",
		"github.com/polytrace/polytrace/tracing/otelbackend.append", "github.com/polytrace/polytrace/tracing/otelbackend.endLen",
		"github.com/polytrace/polytrace/tracing/otelbackend.reserveLen", "github.com/polytrace/polytrace/tracing/otelbackend.scalarSize",
		"github.com/polytrace/polytrace/tracing/otelbackend.uvarintLen", "github.com/polytrace/polytrace/tracing/otelbackend.unixNano",
		"github.com/polytrace/polytrace/tracing/otelbackend.spanFlags", "github.com/polytrace/polytrace/tracing/otelbackend.retry",
		"github.com/polytrace/polytrace/tracing/otelbackend.(*body)", "github.com/polytrace/polytrace/tracing/otelbackend.rawCodec",
		"github.com/polytrace/polytrace/tracing/otelbackend.partialSuccess",
		"github.com/polytrace/polytrace/tracing/jaegerbackend.(*udp", "github.com/polytrace/polytrace/tracing/jaegerbackend.append",
		"github.com/polytrace/polytrace/tracing/jaegerbackend.fieldHeader", "github.com/polytrace/polytrace/tracing/jaegerbackend.listHeader",
		"github.com/polytrace/polytrace/tracing/jaegerbackend.tagHeader", "github.com/polytrace/polytrace/tracing/jaegerbackend.(*field",
		"github.com/polytrace/polytrace/tracing/jaegerbackend.countFields", "github.com/polytrace/polytrace/tracing/jaegerbackend.span",
		"github.com/polytrace/polytrace/tracing/jaegerbackend.truncate", "github.com/polytrace/polytrace/tracing/jaegerbackend.(*sender)",
		"github.com/polytrace/polytrace/tracing/ddbackend.countSpansFrom", "github.com/polytrace/polytrace/tracing/ddbackend.spanPriorityFrom",
		"github.com/polytrace/polytrace/tracing/ddbackend.(*countingBody)", "github.com/polytrace/polytrace/tracing/ddbackend.(*agentTransport)",
		"github.com/philhofer/fwd"),
		pre("github.com/DataDog/dd-trace-go/v2/ddtrace/tracer.") && has("payload", "Payload", "Msg", "msgp", "Msgsize",
			"(*agentTraceWriter)", "(*httpTransport)", "traceWriter", "(*tracer).worker", "(*tracer).sampleChunk", "encode", "Encode",
			"(*tracer).pushChunk", "(*tracer).flush", "spanList", "spanLinks", "(*Span).EncodeMsg", "(*Span).Msgsize",
			"(*Span).DecodeMsg", "(*safePayload)", "(*unsafePayload)", "(*stringTable)", "(*chunk)"):
		return layerExport
	case pre("github.com/polytrace/polytrace/middleware", "go.opentelemetry.io/contrib/", "github.com/XSAM/otelsql",
		"github.com/DataDog/dd-trace-go/contrib/", "github.com/DataDog/dd-trace-go/v2/instrumentation",
		"github.com/opentracing-contrib/", "main.ddSpan", "main.otelSpan", "main.otSpan", "main.jaegerStack",
		"main.otelStack", "main.ddStack", "main.spanOf", "main.(*server).sqlSpan"):
		return layerMiddleware
	case pre("github.com/polytrace/polytrace/tracing."):
		return layerFacade
	case pre("github.com/polytrace/polytrace/tracing/"):
		return layerBackend
	case pre("go.opentelemetry.io/", "github.com/DataDog/", "github.com/uber/jaeger", "github.com/opentracing"):
		return layerVendor
	case pre("net/", "net.", "internal/poll", "syscall.", "internal/syscall", "crypto/", "bufio.", "vendor/golang.org/x/net",
		"golang.org/x/net", "os.", "internal/godebug", "mime"):
		return layerNet
	case pre("modernc.org/", "database/sql"):
		return layerSQL
	case pre("github.com/go-chi/", "encoding/", "main.", "github.com/polytrace/polytrace/examples", "strconv.", "strings.",
		"unicode", "time.", "fmt.", "reflect.", "sort.", "sync.", "context.", "log/", "errors.", "bytes.", "io.", "math",
		"internal/", "slices.", "maps.", "regexp", "sync/", "hash", "compress/", "github.com/prometheus", "path", "cmp.",
		"iter.", "unique.", "weak.", "type:", "github.com/google/uuid", "golang.org/x/", "google.golang.org/grpc"):
		return layerApp
	}
	return layerOther
}
