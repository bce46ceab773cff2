package jaegerbackend_test

import (
	"context"
	"testing"
	"time"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

// TestLossless10k: a program that ends 10,000 spans in a tight loop, then
// shuts down, loses none with the backend's defaults (the reporter's queue
// is DefaultQueueSize; jaeger-client-go's 100 lost three quarters of them
// here), over UDP and HTTP: every span arrives once, decoded from what was
// sent.
func TestLossless10k(t *testing.T) {
	for _, transport := range []string{"udp", "http"} {
		t.Run(transport, func(t *testing.T) {
			var spans func() []*j.Span
			if transport == "udp" {
				a := jaegertest.StartAgent(t)
				host, port := a.HostPort()
				setEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "lossless", "JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port,
					"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"})
				spans = func() []*j.Span { return a.Spans(t, 10000, wait) }
			} else {
				c := jaegertest.StartCollector(t)
				collectorEnv(t, c.URL())
				spans = func() []*j.Span { return c.Spans(t, 10000, wait) }
			}
			b, err := jaegerbackend.New()
			if err != nil {
				t.Fatal(err)
			}
			tr := tracing.New(b)
			const n = 10000
			for i := range n {
				_, sp := tr.Start(context.Background(), "lossless", tracing.WithAttrs(tracing.Int("i", i)))
				sp.End()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if got := distinctJaeger(t, spans()); got != n {
				t.Errorf("received %d distinct spans, want %d", got, n)
			}
			if st := tr.Stats(); st != (tracing.Stats{Ended: n, Exported: n}) {
				t.Errorf("stats %+v, want %d ended and exported", st, n)
			}
		})
	}
}

// TestQueueOverflowCounted: with jaeger-client-go's own queue size (100),
// while the collector holds the first request, a burst of 10,000 overflows
// the queue; the spans lost are exactly those Stats counts as dropped.
func TestQueueOverflowCounted(t *testing.T) {
	c := jaegertest.StartCollector(t)
	hold := make(chan struct{})
	c.SetFault(jaegertest.Fault{Hold: hold})
	collectorEnv(t, c.URL())
	t.Setenv("JAEGER_REPORTER_MAX_QUEUE_SIZE", "100")
	b, err := jaegerbackend.New()
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	_, first := tr.Start(context.Background(), "first")
	first.End()
	flushed := make(chan error, 1)
	go func() { flushed <- tr.ForceFlush(context.Background()) }()
	if !c.WaitAttempts(1, 30*time.Second) {
		t.Fatal("the transport never reached the collector")
	}
	const n = 10000
	for i := range n - 1 {
		_, sp := tr.Start(context.Background(), "overflow", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	c.SetFault(jaegertest.Fault{})
	close(hold)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := distinctJaeger(t, c.Spans(t, 0, 0))
	st := tr.Stats()
	if st.Ended != n || int(st.Exported) != got || st.Exported+st.Dropped != n || st.Dropped < n-200 {
		t.Errorf("stats %+v with %d spans received: want %d ended, the received exported, the rest (at least %d) dropped", st, got, n, n-200)
	}
}
