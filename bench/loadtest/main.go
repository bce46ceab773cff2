// Command loadtest measures the example services end to end: it builds
// examples/notes and examples/calendar, and bench/loadtest/stocknotes (the
// notes service on each vendor's own instrumentation), runs them as
// processes on loopback ports once per variant — polytrace on each backend
// (none, otel to a loopback OTLP/HTTP sink, datadog to a loopback fake
// agent, jaeger to a loopback UDP port) beside the vendor's stock stack
// reporting to the same sink, and the bare service without tracing —
// drives them with a closed-loop load of GET /notes/{id} and of
// POST /notes?desc=…&add_date=y (which calls the calendar service), and
// prints requests per second and p50/p99 latency per variant, relative to
// the first.
//
//	go run ./bench/loadtest                      # 10 s per scenario and variant
//	go run ./bench/loadtest -duration 5s -rounds 3 -concurrency 8
//	go run ./bench/loadtest -callgrind 2000      # instructions, allocations and bytes per request, by layer
//
// Every request goes to 127.0.0.1; every phase is bounded by -duration and
// -max-requests, and the program stops by itself. NOTES_HELPER_DELAY is 0,
// so the tutorial's sleep does not hide the cost of tracing. notes calls
// calendar over HTTP by default (-calendar-protocol), as the stock stacks
// do, so that the comparison is like for like.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	duration    = flag.Duration("duration", 10*time.Second, "measured time per scenario and variant")
	warmup      = flag.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	maxRequests = flag.Int("max-requests", 500000, "upper bound on the requests of one measurement")
	concurrency = flag.Int("concurrency", 8, "requests in flight (closed loop)")
	rounds      = flag.Int("rounds", 1, "rounds over all variants; medians are reported")
	variantList = flag.String("variants", defaultVariants, "variants to compare, the baseline first (see variants)")
	scenarios   = flag.String("scenarios", "get,post", "get: GET /notes/{id}; post: POST /notes?desc=…&add_date=y")
	calProto    = flag.String("calendar-protocol", "http", "how notes calls calendar: http (as the stock stacks do) or grpc (the example's default)")
	binDir      = flag.String("bin", "", "directory holding prebuilt notes, calendar and stocknotes binaries (default: build them)")
	callgrind   = flag.Int("callgrind", 0, "instead of the load test: run notes under valgrind's callgrind and count its instructions, allocations and bytes per request over this many sequential requests of each scenario")
	cgDir       = flag.String("callgrind-dir", "", "where -callgrind keeps its profiles (default: a temporary directory, removed)")
	layersOf    = flag.String("layers", "", "instead of the load test: print the by-layer breakdown of this callgrind profile (divided by -callgrind requests, if given)")
	extraEnv    envFlag
)

func init() {
	flag.Var(&extraEnv, "env", "KEY=VALUE added to the services' environment (repeatable), e.g. -env OTEL_TRACES_EXPORTER=none")
}

// variant is one way of running the notes service.
type variant struct {
	name    string
	bin     string   // "notes" (polytrace) or "stocknotes"
	backend string   // TRACING_BACKEND of calendar (and of notes when bin is notes)
	env     []string // more environment for notes
	about   string
}

// variants are what -variants names.
var variants = []variant{
	{"bare", "stocknotes", "none", []string{"STOCK_STACK=bare"}, "the notes service without any tracing library"},
	{"none", "notes", "none", nil, "polytrace, TRACING_BACKEND=none"},
	{"otel-stock", "stocknotes", "otel", []string{"STOCK_STACK=otel"}, "otelhttp server and client, XSAM/otelsql, SDK batch processor, otlptracehttp"},
	{"otel", "notes", "otel", nil, "polytrace, TRACING_BACKEND=otel (OTLP/HTTP)"},
	{"datadog-stock", "stocknotes", "datadog", []string{"STOCK_STACK=datadog"}, "dd-trace-go v2 contrib chi, net/http, database/sql"},
	{"datadog-stock-noqs", "stocknotes", "datadog", []string{"STOCK_STACK=datadog", "DD_TRACE_HTTP_URL_QUERY_STRING_DISABLED=true"},
		"as datadog-stock, without the query string in http.url (no obfuscation)"},
	{"datadog", "notes", "datadog", nil, "polytrace, TRACING_BACKEND=datadog"},
	{"jaeger-stock", "stocknotes", "jaeger", []string{"STOCK_STACK=jaeger"}, "jaeger-client-go, go-stdlib nethttp server and client, SQL spans by hand"},
	{"jaeger-stock-noct", "stocknotes", "jaeger", []string{"STOCK_STACK=jaeger", "STOCK_JAEGER_CLIENTTRACE=off"},
		"as jaeger-stock, without nethttp's httptrace events (ClientTrace(false))"},
	{"jaeger", "notes", "jaeger", nil, "polytrace, TRACING_BACKEND=jaeger"},
}

const defaultVariants = "bare,none,otel-stock,otel,datadog-stock,datadog-stock-noqs,datadog,jaeger-stock,jaeger-stock-noct,jaeger"

func lookupVariants(list string) ([]variant, error) {
	var vs []variant
	for _, name := range strings.Split(list, ",") {
		i := slices.IndexFunc(variants, func(v variant) bool { return v.name == name })
		switch {
		case i >= 0:
			vs = append(vs, variants[i])
		case slices.Contains([]string{"console"}, name):
			vs = append(vs, variant{name: name, bin: "notes", backend: name})
		default:
			return nil, fmt.Errorf("unknown variant %q", name)
		}
	}
	return vs, nil
}

// envFlag collects repeated -env flags.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// result is one measurement.
type result struct {
	requests, errors int
	elapsed          time.Duration
	p50, p99         time.Duration
	// cpu is the CPU time (user + system) the two services used during
	// the measurement, from /proc (0 where there is no /proc).
	cpu time.Duration
}

// cpuPerRequest is the services' CPU time per request.
func (r result) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.requests)
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func run() error {
	if *calProto != "http" && *calProto != "grpc" {
		return fmt.Errorf("-calendar-protocol %q: want http or grpc", *calProto)
	}
	if *layersOf != "" {
		fns, total, err := selfCosts(*layersOf)
		if err != nil {
			return err
		}
		n := max(*callgrind, 1)
		fmt.Printf("%s instructions in all\n", thousands(total/float64(n)))
		return writeLayers("/dev/stdout", fns, n)
	}
	vs, err := lookupVariants(*variantList)
	if err != nil {
		return err
	}
	dir := *binDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "polytrace-loadtest")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := build(tmp); err != nil {
			return err
		}
		dir = tmp
	}
	sinks, err := startSinks(*callgrind > 0)
	if err != nil {
		return err
	}
	defer sinks.close()

	if *callgrind > 0 {
		return instructions(dir, vs, sinks)
	}
	scens := strings.Split(*scenarios, ",")
	results := map[string][]result{} // scenario/variant → one per round
	for round := range *rounds {
		for _, v := range vs {
			for _, sc := range scens {
				r, err := measure(dir, v, sc, sinks)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", v.name, sc, err)
				}
				fmt.Fprintf(os.Stderr, "round %d %-18s %-4s %8.0f req/s  p50 %v  p99 %v  services' CPU %v/req  (%d requests, %d errors)\n",
					round+1, v.name, sc, r.rps(), r.p50, r.p99, r.cpuPerRequest(), r.requests, r.errors)
				results[sc+"/"+v.name] = append(results[sc+"/"+v.name], r)
			}
		}
	}
	fmt.Printf("\n%d cores, GOMAXPROCS of each service unset, concurrency %d, %v per measurement, %d round(s), medians; notes calls calendar over %s\n\n",
		numCPU(), *concurrency, *duration, *rounds, *calProto)
	fmt.Printf("| scenario | variant | req/s | vs %s | p50 | p99 | p99 vs %s | services' CPU/req | errors |\n", vs[0].name, vs[0].name)
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, sc := range scens {
		base := median(results[sc+"/"+vs[0].name])
		for _, v := range vs {
			rs := results[sc+"/"+v.name]
			m := median(rs)
			errs := 0
			for _, r := range rs {
				errs += r.errors
			}
			cpus := make([]time.Duration, len(rs))
			for i, r := range rs {
				cpus[i] = r.cpuPerRequest()
			}
			slices.Sort(cpus)
			fmt.Printf("| %s | %s | %.0f | %.1f%% | %v | %v | %+.1f%% | %v | %d |\n", scenarioName(sc), v.name, m.rps(),
				100*m.rps()/base.rps(), m.p50.Round(time.Microsecond), m.p99.Round(time.Microsecond),
				100*(float64(m.p99)/float64(base.p99)-1), cpus[len(cpus)/2].Round(100*time.Nanosecond), errs)
		}
	}
	otlp, dd, jg := sinks.counts()
	fmt.Printf("\nreceived by the sinks: otlp %d requests, datadog %d payloads, jaeger %d datagrams\n", otlp, dd, jg)
	return nil
}

func scenarioName(s string) string {
	switch s {
	case "get":
		return "GET /notes/{id}"
	case "post":
		return "POST /notes?add_date=y"
	}
	return s
}

// median returns the result with the median req/s, with the median
// p50 and p99 of all rounds.
func median(rs []result) result {
	if len(rs) == 0 {
		return result{elapsed: 1}
	}
	byRPS := slices.Clone(rs)
	slices.SortFunc(byRPS, func(a, b result) int { return int(a.rps() - b.rps()) })
	m := byRPS[len(byRPS)/2]
	p50s, p99s := make([]time.Duration, len(rs)), make([]time.Duration, len(rs))
	for i, r := range rs {
		p50s[i], p99s[i] = r.p50, r.p99
	}
	slices.Sort(p50s)
	slices.Sort(p99s)
	m.p50, m.p99 = p50s[len(rs)/2], p99s[len(rs)/2]
	return m
}

func numCPU() int { return runtime.NumCPU() }

// procCPU returns the CPU time (user + system) process pid has used, from
// /proc/PID/stat, or 0 if it cannot be read.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted from the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	_, _ = fmt.Sscan(f[11], &utime)
	_, _ = fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// build compiles the services into dir: notes with the polytrace_loadtest
// tag, which serves its allocation counters on LOADTEST_DEBUG_ADDR.
func build(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	for _, b := range [][]string{
		{"notes", "-tags", "polytrace_loadtest", "./examples/notes"},
		{"calendar", "./examples/calendar"},
		{"stocknotes", "./bench/loadtest/stocknotes"},
	} {
		args := append([]string{"build", "-o", filepath.Join(dir, b[0])}, b[1:]...)
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", b[0], err)
		}
	}
	return nil
}

// moduleRoot returns the root of the repository (where go.work is).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the polytrace repository (no go.work found)")
		}
		dir = parent
	}
}

// env is the environment of a service of variant v: calendar's when notes
// is false.
func (s *sinks) env(v variant, notes bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DD_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "JAEGER_") ||
			strings.HasPrefix(kv, "TRACING_") || strings.HasPrefix(kv, "NOTES_") || strings.HasPrefix(kv, "CALENDAR_") ||
			strings.HasPrefix(kv, "STOCK_") || strings.HasPrefix(kv, "GOMAXPROCS=") || strings.HasPrefix(kv, "GODEBUG=") ||
			strings.HasPrefix(kv, "GOGC=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TRACING_BACKEND="+v.backend, "NOTES_HELPER_DELAY=0")
	switch v.backend {
	case "otel":
		env = append(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+s.otlpURL+"/v1/traces",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf")
	case "datadog", "dd":
		env = append(env, "DD_TRACE_AGENT_URL="+s.ddURL())
		env = append(env, ddQuietEnv...)
	case "jaeger":
		host, port := s.jaegerHostPort()
		env = append(env, "JAEGER_AGENT_HOST="+host, "JAEGER_AGENT_PORT="+port,
			"JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1")
	}
	if notes {
		env = append(env, v.env...)
	}
	return append(env, extraEnv...)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// service is a running example service.
type service struct {
	cmd  *exec.Cmd
	done chan error
}

func startService(bin string, env []string) (*service, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	return startCmd(cmd)
}

func startCmd(cmd *exec.Cmd) (*service, error) {
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if os.Getenv("LOADTEST_SERVICE_LOGS") == "" {
		cmd.Stderr = io.Discard
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	return s, nil
}

// stop asks the service to shut down gracefully (it flushes its spans) and
// kills it if it has not exited within 15 s.
func (s *service) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// pair is a running calendar and the address notes should listen on and
// the environment it needs to reach calendar.
type pair struct {
	cal       *service
	notesAddr string
	notesEnv  []string
}

// startCalendar starts calendar for variant v (on v's backend, or with
// tracing off if untraced) and returns where notes is to listen and its
// environment.
func startCalendar(dir string, v variant, s *sinks, untraced bool) (*pair, error) {
	calAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	calGRPC, err := freeAddr()
	if err != nil {
		return nil, err
	}
	notesAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	calVariant := v
	if untraced {
		calVariant.backend = "none"
	}
	cal, err := startService(filepath.Join(dir, "calendar"),
		append(s.env(calVariant, false), "CALENDAR_ADDR="+calAddr, "CALENDAR_GRPC_ADDR="+calGRPC))
	if err != nil {
		return nil, err
	}
	env := append(s.env(v, true), "NOTES_ADDR="+notesAddr, "CALENDAR_URL=http://"+calAddr+"/calendar",
		"CALENDAR_GRPC="+calGRPC, "CALENDAR_PROTOCOL="+*calProto)
	return &pair{cal: cal, notesAddr: notesAddr, notesEnv: env}, nil
}

// prepare waits until notes and calendar answer and creates the note that
// GET /notes/1 finds.
func prepare(client *http.Client, p *pair, notes *service, timeout time.Duration) error {
	base := "http://" + p.notesAddr
	if err := waitReady(client, base+"/health", timeout, notes, p.cal); err != nil {
		return err
	}
	calURL := strings.TrimPrefix(p.notesEnv[slices.IndexFunc(p.notesEnv, func(kv string) bool {
		return strings.HasPrefix(kv, "CALENDAR_URL=")
	})], "CALENDAR_URL=")
	if err := waitReady(client, calURL, timeout, notes, p.cal); err != nil {
		return err
	}
	return send(client, "POST", base+"/notes?desc=first", http.StatusCreated)
}

func send(client *http.Client, method, url string, want int) error {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return nil
}

// scenario returns the request of scenario sc and the status it answers.
func scenario(base, sc string) (method, url string, want int) {
	if sc == "post" {
		return "POST", base + "/notes?desc=load+test+note&add_date=y", http.StatusCreated
	}
	return "GET", base + "/notes/1", http.StatusOK
}

// measure starts calendar and notes for variant v, loads them with
// scenario and stops them.
func measure(dir string, v variant, sc string, s *sinks) (result, error) {
	p, err := startCalendar(dir, v, s, false)
	if err != nil {
		return result{}, err
	}
	defer p.cal.stop()
	notes, err := startService(filepath.Join(dir, v.bin), p.notesEnv)
	if err != nil {
		return result{}, err
	}
	defer notes.stop()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency, DisableCompression: true}}
	defer client.CloseIdleConnections()
	if err := prepare(client, p, notes, 20*time.Second); err != nil {
		return result{}, err
	}
	method, url, want := scenario("http://"+p.notesAddr, sc)
	newReq := func() (*http.Request, error) { return http.NewRequest(method, url, nil) }
	load(client, newReq, want, *warmup, *maxRequests)
	cpu0 := procCPU(notes.cmd.Process.Pid) + procCPU(p.cal.cmd.Process.Pid)
	r := load(client, newReq, want, *duration, *maxRequests)
	r.cpu = procCPU(notes.cmd.Process.Pid) + procCPU(p.cal.cmd.Process.Pid) - cpu0
	return r, nil
}

func waitReady(c *http.Client, url string, timeout time.Duration, svcs ...*service) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, s := range svcs {
			select {
			case err := <-s.done:
				s.done <- err
				return fmt.Errorf("a service exited before it was ready: %v (LOADTEST_SERVICE_LOGS=1 shows its log)", err)
			default:
			}
		}
		if resp, err := c.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v", url, timeout)
}

// load runs a closed loop of *concurrency workers for d or max requests,
// whichever comes first, and returns what it measured.
func load(c *http.Client, newReq func() (*http.Request, error), want int, d time.Duration, max int) result {
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, 1<<16)
		errs      int
		issued    atomic.Int64
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<12)
			localErrs := 0
			for ctx.Err() == nil && issued.Add(1) <= int64(max) {
				req, err := newReq()
				if err != nil {
					localErrs++
					continue
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want {
						err = errors.New(resp.Status)
					}
				}
				if err != nil {
					localErrs++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, local...)
			errs += localErrs
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	r := result{requests: len(latencies), errors: errs, elapsed: elapsed}
	if n := len(latencies); n > 0 {
		r.p50 = latencies[n/2]
		r.p99 = latencies[min(n-1, n*99/100)]
	}
	return r
}
