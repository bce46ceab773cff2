// Command hang measures what each backend does when its collector or
// agent hangs (accepts connections and never answers): it ends -spans
// one-span traces in a tight loop against such an endpoint, reads
// Tracer.Stats and the live heap -settle later, then shuts down with a
// -shutdown deadline and reads Stats again. Each backend runs in a child
// process of its own (dd-trace-go's tracer is process-global, and the heap
// figure must be that process's alone). The "dd-alone" row is dd-trace-go
// used directly, without polytrace, against the same endpoint.
//
//	go run ./bench/hang                      # 300,000 spans, every backend
//	go run ./bench/hang -spans 50000 -backends otel-http,datadog,dd-alone
//
// Every connection goes to a loopback black hole the program starts; the
// program stops by itself.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	ddtracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/ddbackend"
	_ "github.com/polytrace/polytrace/tracing/jaegerbackend"
	_ "github.com/polytrace/polytrace/tracing/otelbackend"
)

var (
	spans       = flag.Int("spans", 300000, "one-span traces ended in a tight loop")
	settle      = flag.Duration("settle", 1500*time.Millisecond, "wait between the burst and the first Stats")
	shutdownDL  = flag.Duration("shutdown", 5*time.Second, "Shutdown's deadline")
	backendList = flag.String("backends", "otel-http,otel-grpc,jaeger-http,datadog,dd-alone", "rows to measure")
	child       = flag.String("child", "", "internal: measure this row against -endpoint and print it as JSON")
	endpoint    = flag.String("endpoint", "", "internal: the black hole's host:port")
)

// row is one measurement, as a child prints it.
type row struct {
	Backend             string
	Before, After       stats
	HeapMB              float64 // live heap after the burst (after a GC)
	ShutdownErr         string
	ShutdownTook        time.Duration
	BeforeRaw, AfterRaw string // Tracer.Stats as %+v (every field this version has)
}

type stats struct{ Ended, Exported, Dropped uint64 }

func main() {
	flag.Parse()
	if *child != "" {
		r, err := measure(*child, *endpoint)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hang:", err)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hang:", err)
		os.Exit(1)
	}
}

func run() error {
	bh, err := startBlackhole()
	if err != nil {
		return err
	}
	defer bh.close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("%d one-span traces against a collector that accepts and never answers; Stats %v after the burst, then Shutdown(%v)\n\n",
		*spans, *settle, *shutdownDL)
	fmt.Printf("| backend | Stats before Shutdown (ended/exported/dropped) | pending | after Shutdown | ended = exported + dropped | heap after burst | Shutdown |\n")
	fmt.Printf("|---|---|---|---|---|---|---|\n")
	for _, name := range strings.Split(*backendList, ",") {
		cmd := exec.Command(exe, "-child", name, "-endpoint", bh.addr, "-spans", fmt.Sprint(*spans),
			"-settle", settle.String(), "-shutdown", shutdownDL.String())
		cmd.Env = childEnv()
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Printf("| %s | failed: %v | | | | | |\n", name, err)
			continue
		}
		var r row
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("%s: %v: %s", name, err, out)
		}
		exact := "-"
		if r.Backend != "dd-alone" {
			exact = fmt.Sprint(r.After.Ended == r.After.Exported+r.After.Dropped)
		}
		fmt.Printf("| %s | %d/%d/%d | %s | %d/%d/%d | %s | %.0f MB | %v %s |\n", r.Backend,
			r.Before.Ended, r.Before.Exported, r.Before.Dropped, pending(r.BeforeRaw),
			r.After.Ended, r.After.Exported, r.After.Dropped, exact, r.HeapMB,
			r.ShutdownTook.Round(10*time.Millisecond), r.ShutdownErr)
	}
	return nil
}

// pending picks Pending out of a Stats printed with %+v (absent before it
// existed).
func pending(raw string) string {
	_, after, ok := strings.Cut(raw, "Pending:")
	if !ok {
		return "-"
	}
	v, _, _ := strings.Cut(after, " ")
	return strings.TrimSuffix(v, "}")
}

// childEnv is the environment without any tracing configuration of the
// machine's, and with dd-trace-go's side services off.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DD_") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "JAEGER_") ||
			strings.HasPrefix(kv, "TRACING_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DD_INSTRUMENTATION_TELEMETRY_ENABLED=false", "DD_REMOTE_CONFIGURATION_ENABLED=false",
		"DD_TRACE_STARTUP_LOGS=false", "DD_RUNTIME_METRICS_ENABLED=false", "DD_TRACE_STATS_COMPUTATION_ENABLED=false")
}

func measure(name, addr string) (row, error) {
	r := row{Backend: name}
	url := "http://" + addr
	if name == "dd-alone" {
		return measureDDAlone(r, url)
	}
	var backend string
	switch name {
	case "otel-http":
		backend = "otel"
		os.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url+"/v1/traces")
		os.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
	case "otel-grpc":
		backend = "otel"
		os.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)
		os.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")
	case "jaeger-http":
		backend = "jaeger"
		os.Setenv("JAEGER_ENDPOINT", url+"/api/traces")
		os.Setenv("JAEGER_SAMPLER_TYPE", "const")
		os.Setenv("JAEGER_SAMPLER_PARAM", "1")
	case "datadog":
		backend = "datadog"
		os.Setenv("DD_TRACE_AGENT_URL", url)
	default:
		return r, fmt.Errorf("unknown row %q", name)
	}
	os.Setenv("OTEL_SERVICE_NAME", "hang")
	// The agent's /info request at start hangs too: bound it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tr, err := tracing.Open(ctx, backend, tracing.WithoutSummary())
	if err != nil {
		return r, err
	}
	for i := 0; i < *spans; i++ {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	time.Sleep(*settle)
	st := tr.Stats()
	r.Before, r.BeforeRaw = stats{st.Ended, st.Exported, st.Dropped}, fmt.Sprintf("%+v", st)
	r.HeapMB = heapMB()
	sctx, scancel := context.WithTimeout(context.Background(), *shutdownDL)
	defer scancel()
	start := time.Now()
	if err := tr.Shutdown(sctx); err != nil {
		r.ShutdownErr = "(deadline)"
	}
	r.ShutdownTook = time.Since(start)
	st = tr.Stats()
	r.After, r.AfterRaw = stats{st.Ended, st.Exported, st.Dropped}, fmt.Sprintf("%+v", st)
	return r, nil
}

// measureDDAlone is the same burst with dd-trace-go alone.
func measureDDAlone(r row, url string) (row, error) {
	done := make(chan error, 1)
	go func() {
		done <- ddtracer.Start(ddtracer.WithAgentURL(url), ddtracer.WithService("hang"), ddtracer.WithLogStartup(false),
			ddtracer.WithLogger(quiet{}))
	}()
	select {
	case err := <-done:
		if err != nil {
			return r, err
		}
	case <-time.After(30 * time.Second): // its /info request waits for its client's 10 s timeout
		return r, fmt.Errorf("dd-trace-go's Start hangs")
	}
	for i := 0; i < *spans; i++ {
		ddtracer.StartSpan("op").Finish()
	}
	time.Sleep(*settle)
	r.HeapMB = heapMB()
	start := time.Now()
	stopped := make(chan struct{})
	go func() { ddtracer.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(*shutdownDL):
		r.ShutdownErr = "(Stop still running)"
	}
	r.ShutdownTook = time.Since(start)
	return r, nil
}

type quiet struct{}

func (quiet) Log(string) {}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// blackhole accepts TCP connections and never reads from or answers them.
type blackhole struct {
	ln    net.Listener
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func startBlackhole() (*blackhole, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &blackhole{ln: ln, addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
		}
	}()
	return b, nil
}

func (b *blackhole) close() {
	_ = b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
}
