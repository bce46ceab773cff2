package bench

import (
	"context"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

func TestMain(m *testing.M) {
	// dd-trace-go reads some settings (telemetry) when its packages are
	// initialised: run the binary again with them off and every DD_*,
	// OTEL_*, JAEGER_* and TRACING_* variable of the caller removed.
	ddtest.Quiet()
	if os.Getenv("POLYTRACE_BENCH_NOLEAKCHECK") != "" {
		os.Exit(m.Run())
	}
	goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
}

// Attribute values are variables, as request data is: a constant passed
// to an API taking any (dd-trace-go's SetTag) would not need boxing.
var (
	valRoute = "/notes/{id}"
	valCount = 42
	valHit   = true
)

// parentEvery is how many child spans a parent span has before the
// benchmark ends it and starts another: Datadog keeps a trace's spans in
// memory until its root ends, so a parent that lived for the whole
// benchmark would grow memory without bound. Both sides of every
// comparison pay the same 1/parentEvery of a parent span.
const parentEvery = 1024

// loop runs op b.N times under a parent that newParent starts (nil: no
// parent) and that is replaced every parentEvery operations.
func loop(b *testing.B, newParent func() (context.Context, func()), op func(ctx context.Context)) {
	b.Helper()
	ctx, end := context.Background(), func() {}
	if newParent != nil {
		ctx, end = newParent()
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		op(ctx)
		if i++; newParent != nil && i == parentEvery {
			end()
			ctx, end = newParent()
			i = 0
		}
	}
	end()
}

// reportCPU starts measuring the process's CPU time; the function it
// returns reports it per operation as cpu-ns/op. It counts the exporters'
// background goroutines and the garbage collector, which are part of the
// cost, and not the time spent waiting for a CPU, which on a machine
// shared with other work makes wall time (sec/op) swing by tens of
// percent.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// discardExporter is an OpenTelemetry exporter that drops spans; it counts
// them, so that a test can check spans really got through the processor.
type discardExporter struct{ n atomic.Int64 }

func (e *discardExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(s)))
	return nil
}
func (e *discardExporter) Shutdown(context.Context) error { return nil }

// udpSink is a loopback UDP port that reads and drops datagrams (a Jaeger
// agent that keeps nothing), counting them.
type udpSink struct {
	conn    net.PacketConn
	packets atomic.Int64
	done    chan struct{}
}

func startUDPSink(tb testing.TB) *udpSink {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &udpSink{conn: c, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65536)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			s.packets.Add(1)
		}
	}()
	tb.Cleanup(s.Close)
	return s
}

func (s *udpSink) Addr() string { return s.conn.LocalAddr().String() }

func (s *udpSink) Close() {
	_ = s.conn.Close()
	<-s.done
}

// shutdownCtx bounds a backend's shutdown in a benchmark's cleanup.
func shutdownCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 15*time.Second)
}
