package jaegerbackend_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// distinctJaeger returns how many distinct span ids spans hold, failing t
// if one comes twice.
func distinctJaeger(t *testing.T, spans []*j.Span) int {
	t.Helper()
	seen := map[int64]bool{}
	for _, s := range spans {
		if seen[s.SpanId] {
			t.Errorf("span %x (%s) sent twice", s.SpanId, s.OperationName)
		}
		seen[s.SpanId] = true
	}
	return len(seen)
}

func burst(tr *tracing.Tracer) {
	for i := range 1000 {
		_, sp := tr.Start(context.Background(), "burst", tracing.WithAttrs(tracing.Int("i", i)))
		sp.SetAttrs(tracing.String("k", "v"))
		sp.End()
	}
}

// collectorEnv points the backend at an HTTP collector with defaults
// otherwise (the reporter's queue included).
func collectorEnv(t *testing.T, url string) {
	t.Helper()
	setEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "faults", "JAEGER_ENDPOINT": url,
		"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"})
}

// TestCollectorFaults runs a burst of spans against HTTP collectors that
// misbehave, with the backend's defaults:
//
//   - 1000 Start/End complete while the collector holds the first request
//     (ordering, not timing: it has not answered when the burst is over);
//   - Shutdown returns by its context's deadline when the collector never
//     answers, and delivers everything when it recovers;
//   - Stats accounts for every span: Ended = Exported + Dropped, Exported
//     being what the collector kept;
//   - nothing leaks (TestMain's goleak check).
func TestCollectorFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    jaegertest.Fault
		hold     bool // the collector holds requests
		delivers bool // ... until the burst is over, then answers
		down     bool
	}{
		{name: "down", down: true},
		{name: "never-answers", hold: true},
		{name: "slow", hold: true, delivers: true, fault: jaegertest.Fault{Delay: 20 * time.Millisecond}},
		{name: "500", fault: jaegertest.Fault{Status: http.StatusInternalServerError}},
		{name: "503", fault: jaegertest.Fault{Status: http.StatusServiceUnavailable}},
		{name: "429", fault: jaegertest.Fault{Status: http.StatusTooManyRequests}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := jaegertest.StartCollector(t)
			hold := make(chan struct{})
			defer func() {
				select {
				case <-hold:
				default:
					close(hold)
				}
			}()
			f := tc.fault
			if tc.hold {
				f.Hold = hold
			}
			c.SetFault(f)
			url := c.URL()
			if tc.down {
				url = refusedURL(t) + "/api/traces"
			}
			collectorEnv(t, url)
			b, err := jaegerbackend.New()
			if err != nil {
				t.Fatal(err)
			}
			tr := tracing.New(b)

			_, first := tr.Start(context.Background(), "first")
			first.End()
			flushCtx, cancelFlush := context.WithTimeout(context.Background(), time.Minute)
			defer cancelFlush()
			flushed := make(chan error, 1)
			go func() { flushed <- tr.ForceFlush(flushCtx) }()
			if !tc.down && !c.WaitAttempts(1, 30*time.Second) {
				t.Fatal("the transport never reached the collector")
			}

			done := make(chan struct{})
			go func() { defer close(done); burst(tr) }()
			tracingtest.Guard(t, done, "Start/End blocked on a misbehaving collector")
			if tc.hold {
				select {
				case err := <-flushed:
					t.Fatalf("the first request finished (%v) while the collector held it", err)
				default: // still held: the burst did not wait for it
				}
			}

			if tc.delivers {
				c.SetFault(jaegertest.Fault{Delay: 20 * time.Millisecond})
				close(hold)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := tr.Shutdown(ctx); err != nil {
					t.Fatalf("Shutdown after the collector recovered: %v", err)
				}
				<-flushed
				if n := distinctJaeger(t, c.Spans(t, 1001, wait)); n != 1001 {
					t.Errorf("collector got %d distinct spans, want 1001", n)
				}
				if st := tr.Stats(); st != (tracing.Stats{Ended: 1001, Exported: 1001}) {
					t.Errorf("stats %+v, want 1001 ended and exported", st)
				}
				return
			}

			if err := tracingtest.ShutdownWithin(t, tr.Shutdown, 250*time.Millisecond); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown: %v, want nil or the deadline error", err)
			}
			<-flushed
			// Closing goes on in the background, its requests cancelled;
			// a second Shutdown waits for it.
			if err := b.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans, _ := c.Wait(0, 0)
			if st := tr.Stats(); st.Ended != 1001 || st.Exported != 0 || st.Dropped != 1001 || len(spans) != 0 {
				t.Errorf("stats %+v with %d spans kept, want 1001 ended and dropped", st, len(spans))
			}
		})
	}
}

// TestAgentDownUDP: with no agent on the UDP port, Start and End do not
// block, Shutdown returns, and spans are accounted for. UDP says nothing
// of delivery (jaeger-client-go does not even see the kernel's
// port-unreachable answers): datagrams sent without error count as
// exported, a limit of the transport that Stats documents.
func TestAgentDownUDP(t *testing.T) {
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	setEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "down", "JAEGER_AGENT_HOST": "127.0.0.1",
		"JAEGER_AGENT_PORT": strconv.Itoa(port), "JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"})
	b, err := jaegerbackend.New()
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			burst(tr)
			_ = tr.ForceFlush(context.Background())
		}
	}()
	tracingtest.Guard(t, done, "Start/End blocked with the agent down")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st := tr.Stats()
	if st.Ended != 10000 || st.Exported+st.Dropped != 10000 {
		t.Errorf("stats %+v, want 10000 ended, all accounted for", st)
	}
}

// refusedURL returns the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
