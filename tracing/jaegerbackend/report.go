package jaegerbackend

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-lib/metrics"
)

// The backend's span counts (see Stats) are a backendkit.Counters: Ended
// the sampled spans handed to the reporter, Exported those the transport
// sent without error, and dropped: DropExportFailed what the transport
// could not send (too large, network error), DropQueueFull what the
// reporter dropped because its queue was full, DropAfterShutdown the spans
// that ended after Shutdown.

// countingReporter counts the spans handed to the reporter and drops
// (counting them) those that end after Shutdown, which jaeger-client-go's
// remote reporter would queue and never send.
type countingReporter struct {
	b    *Backend
	next jaeger.Reporter
}

func (r *countingReporter) Report(s *jaeger.Span) {
	if r.b.stopped.Load() {
		r.b.counts.AddDropped(backendkit.DropAfterShutdown, 1)
		return
	}
	r.b.counts.AddEnded(1)
	r.next.Report(s)
}

func (r *countingReporter) Close() { r.next.Close() }

// sender wraps the transport the remote reporter writes to. It counts what
// the transport sent and failed to send, and serialises the reporter's
// goroutine with ForceFlush, which flushes the transport directly
// (jaeger-client-go's reporter has no flush of its own).
type sender struct {
	next     jaeger.Transport
	c        *backendkit.Counters
	sem      chan struct{} // a lock that ForceFlush can give up on
	appended atomic.Uint64 // spans the reporter took off its queue

}

func newSender(next jaeger.Transport, c *backendkit.Counters) *sender {
	s := &sender{next: next, c: c, sem: make(chan struct{}, 1)}
	// The UDP transport reports the reporter's queue drops to the agent
	// (ClientStats.FullQueueDroppedSpans) through an interface of an
	// internal package, which this wrapper cannot implement by name; hand
	// it the counts directly. The method and its argument's method set are
	// exported, so this only needs reflection to name the type.
	if m := reflect.ValueOf(next).MethodByName("SetReporterStats"); m.IsValid() && m.Type().NumIn() == 1 {
		qs := reflect.ValueOf(queueStats{c})
		if qs.Type().AssignableTo(m.Type().In(0)) {
			m.Call([]reflect.Value{qs})
		}
	}
	return s
}

// queueStats implements jaeger-client-go's internal reporterstats.ReporterStats.
type queueStats struct{ c *backendkit.Counters }

func (q queueStats) SpansDroppedFromQueue() int64 {
	return int64(q.c.Dropped(backendkit.DropQueueFull))
}

func (s *sender) account(n int, err error) {
	if n <= 0 {
		return
	}
	if err != nil {
		r := backendkit.DropExportFailed
		if tooLarge(err) {
			r = backendkit.DropTooLarge
		}
		s.c.NoteExportError(err) // before the drop, which may warn
		s.c.AddDropped(r, uint64(n))
	} else {
		s.c.AddExported(uint64(n))
	}
}

func (s *sender) Append(sp *jaeger.Span) (int, error) {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	start := time.Now()
	n, err := s.next.Append(sp)
	s.appended.Add(1)
	s.observe(start, n, err)
	s.account(n, err)
	return n, err
}

func (s *sender) Flush() (int, error) {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	start := time.Now()
	n, err := s.next.Flush()
	s.observe(start, n, err)
	s.account(n, err)
	return n, err
}

// flush is Flush for ForceFlush: it gives up waiting for the reporter's
// goroutine when ctx is done.
func (s *sender) flush(ctx context.Context, rt *boundRT) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-s.sem }()
	if rt != nil {
		rt.setCall(ctx)
		defer rt.clearCall()
	}
	start := time.Now()
	n, err := s.next.Flush()
	s.observe(start, n, err)
	if err != nil && ctx.Err() != nil {
		// Abandoned at ForceFlush's deadline.
		if n > 0 {
			s.c.AddDropped(backendkit.DropShutdownDeadline, uint64(n))
		}
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	s.account(n, err)
	return err
}

// observe counts a flush of the transport that sent n spans (a request,
// for the HTTP collector; datagrams for UDP) in ExportStats.
func (s *sender) observe(start time.Time, n int, err error) {
	if n > 0 || err != nil {
		s.c.ObserveExport(time.Since(start), err != nil)
	}
}

// tooLarge reports whether a send failed because a span or batch is over
// the transport's size limit (a UDP datagram, or the collector's 413).
func tooLarge(err error) bool {
	m := err.Error()
	return strings.Contains(m, "too large") || strings.Contains(m, "413") || strings.Contains(m, "exceeds")
}

func (s *sender) Close() error { return s.next.Close() }

// countingFactory is a metrics.Factory that forwards everything to the
// user's factory and also counts jaeger-client-go's reporter_spans
// result=dropped counter: the only place the remote reporter says that its
// queue was full.
type countingFactory struct {
	base    metrics.Factory
	path    string
	dropped *backendkit.Counters // counts the reporter's queue drops
}

// tracerNamespace is where jaeger.NewMetrics creates the tracer's metrics.
const tracerNamespace = "jaeger.tracer"

func (f countingFactory) Counter(o metrics.Options) metrics.Counter {
	c := f.base.Counter(o)
	if f.path == tracerNamespace && o.Name == "reporter_spans" && o.Tags["result"] == "dropped" {
		return droppedCounter{c, f.dropped}
	}
	return c
}

func (f countingFactory) Timer(o metrics.TimerOptions) metrics.Timer { return f.base.Timer(o) }
func (f countingFactory) Gauge(o metrics.Options) metrics.Gauge      { return f.base.Gauge(o) }
func (f countingFactory) Histogram(o metrics.HistogramOptions) metrics.Histogram {
	return f.base.Histogram(o)
}

func (f countingFactory) Namespace(s metrics.NSOptions) metrics.Factory {
	path := s.Name
	if f.path != "" {
		path = f.path + "." + s.Name
	}
	return countingFactory{base: f.base.Namespace(s), path: path, dropped: f.dropped}
}

type droppedCounter struct {
	metrics.Counter
	c *backendkit.Counters
}

func (c droppedCounter) Inc(delta int64) {
	if delta > 0 {
		c.c.AddDropped(backendkit.DropQueueFull, uint64(delta))
	}
	c.Counter.Inc(delta)
}

// boundRT is the HTTP collector transport's round tripper. jaeger-client-go
// sends without a context, so a collector that never answers would hold
// Close (and Shutdown) for the client's whole timeout; boundRT cancels
// requests when the backend's life context is cancelled (Shutdown's
// context ran out) or when the ForceFlush in progress gives up.
type boundRT struct {
	base http.RoundTripper
	life context.Context

	mu   sync.Mutex
	call context.Context
}

// setCall binds the requests made until clearCall to ctx as well.
func (t *boundRT) setCall(ctx context.Context) {
	t.mu.Lock()
	t.call = ctx
	t.mu.Unlock()
}

func (t *boundRT) clearCall() {
	t.mu.Lock()
	t.call = nil
	t.mu.Unlock()
}

func (t *boundRT) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stops := []func() bool{context.AfterFunc(t.life, cancel)}
	t.mu.Lock()
	if t.call != nil {
		stops = append(stops, context.AfterFunc(t.call, cancel))
	}
	t.mu.Unlock()
	release := func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = backendkit.ReleaseOnClose(resp.Body, release)
	return resp, nil
}
