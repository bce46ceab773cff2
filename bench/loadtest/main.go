// Command loadtest measures the example services end to end: it builds
// examples/notes and examples/calendar, runs them as processes on loopback
// ports once per tracing backend (none, otel to a loopback OTLP/HTTP sink,
// datadog to a loopback fake agent, jaeger to a loopback UDP port), drives
// them with a closed-loop load of GET /notes/{id} and of
// POST /notes?desc=…&add_date=y (which calls the calendar service), and
// prints requests per second and p50/p99 latency per backend, relative to
// none.
//
//	go run ./bench/loadtest                      # 10 s per scenario and backend
//	go run ./bench/loadtest -duration 5s -rounds 3 -concurrency 8
//
// Every request goes to 127.0.0.1; every phase is bounded by -duration and
// -max-requests, and the program stops by itself. NOTES_HELPER_DELAY is 0,
// so the tutorial's sleep does not hide the cost of tracing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

var (
	duration    = flag.Duration("duration", 10*time.Second, "measured time per scenario and backend")
	warmup      = flag.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	maxRequests = flag.Int("max-requests", 500000, "upper bound on the requests of one measurement")
	concurrency = flag.Int("concurrency", 8, "requests in flight (closed loop)")
	rounds      = flag.Int("rounds", 1, "rounds over all backends; medians are reported")
	backendList = flag.String("backends", "none,otel,datadog,jaeger", "backends to compare, none first")
	scenarios   = flag.String("scenarios", "get,post", "get: GET /notes/{id}; post: POST /notes?desc=…&add_date=y")
	binDir      = flag.String("bin", "", "directory holding prebuilt notes and calendar binaries (default: build them)")
	callgrind   = flag.Int("callgrind", 0, "instead of the load test: run notes under valgrind's callgrind and count its instructions per GET /notes/{id} over this many sequential requests")
	cgDir       = flag.String("callgrind-dir", "", "where -callgrind keeps its profiles (default: a temporary directory, removed)")
	extraEnv    envFlag
)

func init() {
	flag.Var(&extraEnv, "env", "KEY=VALUE added to the services' environment (repeatable), e.g. -env OTEL_TRACES_EXPORTER=none")
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
	sinks, err := startSinks()
	if err != nil {
		return err
	}
	defer sinks.close()

	backends := strings.Split(*backendList, ",")
	if *callgrind > 0 {
		return instructions(dir, backends, sinks)
	}
	scens := strings.Split(*scenarios, ",")
	results := map[string][]result{} // scenario/backend → one per round
	for round := range *rounds {
		for _, be := range backends {
			for _, sc := range scens {
				r, err := measure(dir, be, sc, sinks)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", be, sc, err)
				}
				fmt.Fprintf(os.Stderr, "round %d %-8s %-4s %8.0f req/s  p50 %v  p99 %v  services' CPU %v/req  (%d requests, %d errors)\n",
					round+1, be, sc, r.rps(), r.p50, r.p99, r.cpuPerRequest(), r.requests, r.errors)
				results[sc+"/"+be] = append(results[sc+"/"+be], r)
			}
		}
	}
	fmt.Printf("\n%d cores, GOMAXPROCS of each service unset, concurrency %d, %v per measurement, %d round(s), medians\n\n",
		numCPU(), *concurrency, *duration, *rounds)
	fmt.Println("| scenario | backend | req/s | vs none | p50 | p99 | p99 vs none | services' CPU/req | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, sc := range scens {
		base := median(results[sc+"/"+backends[0]])
		for _, be := range backends {
			rs := results[sc+"/"+be]
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
			fmt.Printf("| %s | %s | %.0f | %.1f%% | %v | %v | %+.1f%% | %v | %d |\n", scenarioName(sc), be, m.rps(),
				100*m.rps()/base.rps(), m.p50.Round(time.Microsecond), m.p99.Round(time.Microsecond),
				100*(float64(m.p99)/float64(base.p99)-1), cpus[len(cpus)/2].Round(100*time.Nanosecond), errs)
		}
	}
	fmt.Printf("\nspans received by the sinks: otlp %d requests, datadog %d payloads, jaeger %d datagrams\n",
		sinks.otlpRequests.Load(), sinks.dd.Requests()["/v0.4/traces"], sinks.udpPackets.Load())
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

// build compiles the two services into dir.
func build(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	for _, name := range []string{"notes", "calendar"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./examples/"+name)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", name, err)
		}
	}
	return nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the polytrace module (no go.mod found)")
		}
		dir = parent
	}
}

// sinks are the loopback destinations of the backends; each keeps nothing.
type sinks struct {
	otlp         *httptest.Server
	otlpRequests atomic.Int64
	dd           *ddtest.Agent
	udp          net.PacketConn
	udpPackets   atomic.Int64
	udpDone      chan struct{}
}

func startSinks() (*sinks, error) {
	s := &sinks{udpDone: make(chan struct{})}
	s.otlp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.otlpRequests.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	s.dd = ddtest.Start(ddtest.Config{Discard: true})
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		s.otlp.Close()
		s.dd.Close()
		return nil, err
	}
	s.udp = udp
	go func() {
		defer close(s.udpDone)
		buf := make([]byte, 65536)
		for {
			if _, _, err := udp.ReadFrom(buf); err != nil {
				return
			}
			s.udpPackets.Add(1)
		}
	}()
	return s, nil
}

func (s *sinks) close() {
	s.otlp.Close()
	s.dd.Close()
	_ = s.udp.Close()
	<-s.udpDone
}

// env is the environment of a service reporting to backend.
func (s *sinks) env(backend string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DD_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "JAEGER_") ||
			strings.HasPrefix(kv, "TRACING_") || strings.HasPrefix(kv, "NOTES_") || strings.HasPrefix(kv, "CALENDAR_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TRACING_BACKEND="+backend, "NOTES_HELPER_DELAY=0")
	switch backend {
	case "otel":
		env = append(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+s.otlp.URL+"/v1/traces",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf")
	case "datadog", "dd":
		env = append(env, "DD_TRACE_AGENT_URL="+s.dd.URL())
		env = append(env, ddtest.QuietEnv...)
	case "jaeger":
		host, port, _ := net.SplitHostPort(s.udp.LocalAddr().String())
		env = append(env, "JAEGER_AGENT_HOST="+host, "JAEGER_AGENT_PORT="+port,
			"JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1")
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

// measure starts calendar and notes on backend, loads them with scenario
// and stops them.
func measure(dir, backend, scenario string, s *sinks) (result, error) {
	calAddr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	notesAddr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	env := s.env(backend)
	cal, err := startService(filepath.Join(dir, "calendar"), append(env, "CALENDAR_ADDR="+calAddr))
	if err != nil {
		return result{}, err
	}
	defer cal.stop()
	notes, err := startService(filepath.Join(dir, "notes"), append(env, "NOTES_ADDR="+notesAddr,
		"CALENDAR_URL=http://"+calAddr+"/calendar"))
	if err != nil {
		return result{}, err
	}
	defer notes.stop()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency, DisableCompression: true}}
	defer client.CloseIdleConnections()
	base := "http://" + notesAddr
	if err := waitReady(client, base+"/health", 20*time.Second, notes, cal); err != nil {
		return result{}, err
	}
	if err := waitReady(client, "http://"+calAddr+"/calendar", 20*time.Second, notes, cal); err != nil {
		return result{}, err
	}
	// One note for GET /notes/1 to find.
	if resp, err := client.Post(base+"/notes?desc=first", "", nil); err != nil {
		return result{}, err
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return result{}, fmt.Errorf("POST /notes: %s", resp.Status)
		}
	}
	newReq := func() (*http.Request, error) { return http.NewRequest("GET", base+"/notes/1", nil) }
	want := http.StatusOK
	if scenario == "post" {
		newReq = func() (*http.Request, error) {
			return http.NewRequest("POST", base+"/notes?desc=load+test+note&add_date=y", nil)
		}
		want = http.StatusCreated
	}
	load(client, newReq, want, *warmup, *maxRequests)
	cpu0 := procCPU(notes.cmd.Process.Pid) + procCPU(cal.cmd.Process.Pid)
	r := load(client, newReq, want, *duration, *maxRequests)
	r.cpu = procCPU(notes.cmd.Process.Pid) + procCPU(cal.cmd.Process.Pid) - cpu0
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
