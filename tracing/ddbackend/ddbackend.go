package ddbackend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

func init() {
	tracing.Register("datadog", factory)
	tracing.Register("dd", factory)
}

// factory is the registered tracing.Factory: it picks this package's
// Options out of s.Extra and bounds agent requests made during setup by ctx.
func factory(ctx context.Context, s tracing.Settings) (tracing.Backend, error) {
	return newBackend(ctx, s, backendkit.Options[Option](s))
}

// ErrActive is returned by New when a Datadog backend is already active in
// the process: dd-trace-go's tracer is process-global, so there is at most
// one. Shut the first down before creating another.
var ErrActive = errors.New("ddbackend: a Datadog backend is already active in this process (dd-trace-go's tracer is process-global); shut it down first")

// ErrForeignTracer is returned by New when a dd-trace-go tracer started
// outside this package (by tracer.Start) is running.
var ErrForeignTracer = errors.New("ddbackend: a dd-trace-go tracer started with tracer.Start is already running; stop it (tracer.Stop) or let this backend start it")

var (
	activeMu sync.Mutex
	active   *Backend // the backend whose tracer is running, if any
)

// Backend is the Datadog backend: a tracing.Backend over dd-trace-go's
// process-global tracer. It also implements tracing.Propagator,
// tracing.Flusher, tracing.Summarizer, tracing.IDFormatter and
// tracing.StatsReporter.
type Backend struct {
	s  settings
	tr *agentTransport

	closed atomic.Bool
	// counts: Ended the spans ended and handed to dd-trace-go (sampled
	// out aside), dropped DropAfterShutdown those ended after Shutdown
	// began; the transport counts uploads; Shutdown settles the rest.
	counts  backendkit.Counters
	flushMu sync.RWMutex // ForceFlush (read) vs Stop (write): dd's Flush blocks forever after Stop

	stopOnce sync.Once
	stopped  chan struct{}

	httpOp, clientOp string // operation names of HTTP server and client spans
}

// New starts dd-trace-go's tracer, configured from opts and the DD_*
// environment variables, and returns the backend over it. Bad settings are
// reported as errors. Only one Backend may be active in a process at a
// time (ErrActive); Shutdown ends it.
func New(opts ...Option) (*Backend, error) {
	b, err := newBackend(context.Background(), tracing.Settings{}, opts)
	if err != nil {
		return nil, fmt.Errorf("ddbackend: %w", err)
	}
	return b, nil
}

func newBackend(ctx context.Context, s tracing.Settings, opts []Option) (*Backend, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := config{sampleRate: math.NaN()}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	st, err := resolve(&c, s)
	if err != nil {
		return nil, err
	}

	var base http.RoundTripper
	client := &http.Client{}
	if c.httpClient != nil {
		*client = *c.httpClient
		base = c.httpClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
	} else {
		base = defaultTransport(st.agentURL, st.timeout)
	}
	b := &Backend{s: st, stopped: make(chan struct{})}
	b.tr = newAgentTransport(base, &b.counts, c.maxPending)
	warn := backendkit.NewWarnings("datadog", nil)
	b.counts.WarnDrops(warn, st.destination())
	client.Transport = b.tr
	client.Timeout = st.timeout
	b.httpOp, b.clientOp = "http.request", "http.request"
	if st.schemaV1 {
		b.httpOp, b.clientOp = "http.server.request", "http.client.request"
	}

	startOpts := []tracer.StartOption{
		tracer.WithHTTPClient(client),
		tracer.WithAgentURL(st.agentURL.String()),
	}
	if st.explicitService {
		startOpts = append(startOpts, tracer.WithService(st.id.Service))
	}
	if st.id.Environment != "" {
		startOpts = append(startOpts, tracer.WithEnv(st.id.Environment))
	}
	if st.id.Version != "" {
		startOpts = append(startOpts, tracer.WithServiceVersion(st.id.Version))
	}
	if st.sampleRateFromOption {
		startOpts = append(startOpts, tracer.WithSamplingRules(tracer.TraceSamplingRules(tracer.Rule{Rate: st.sampleRate})))
	}
	if !st.debug {
		info := st.startLogs != nil && *st.startLogs
		startOpts = append(startOpts, tracer.WithLogger(&ddLogger{warn: warn, counts: &b.counts, info: info}))
		if !info {
			startOpts = append(startOpts, tracer.WithLogStartup(false))
		}
	}
	startOpts = append(startOpts, c.startOpts...)

	activeMu.Lock()
	defer activeMu.Unlock()
	if active != nil {
		return nil, ErrActive
	}
	if foreignTracerRunning() {
		return nil, ErrForeignTracer
	}
	unbind := b.tr.bindSetup(ctx)
	err = tracer.Start(startOpts...)
	unbind()
	if err != nil {
		b.tr.abort(err)
		return nil, fmt.Errorf("starting dd-trace-go: %w", err)
	}
	active = b
	return b, nil
}

// foreignTracerRunning reports whether a dd-trace-go tracer is running: the
// no-op tracer extracts nothing without an error, a real one reports that
// the carrier holds no span context.
func foreignTracerRunning() bool {
	_, err := tracer.Extract(tracer.TextMapCarrier{})
	return err != nil
}

// Shutdown stops dd-trace-go's tracer, which sends the spans that have
// ended, and ends its goroutines. dd-trace-go's Stop has no deadline of its
// own: when ctx is done first, Shutdown cancels the agent requests under
// way, so that Stop finishes promptly, and returns an error wrapping ctx's
// cause. Spans ending after Shutdown are dropped (and counted in Stats).
func (b *Backend) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	b.stopOnce.Do(func() {
		b.closed.Store(true)
		go func() {
			defer close(b.stopped)
			b.flushMu.Lock()
			defer b.flushMu.Unlock()
			activeMu.Lock()
			if active == b {
				tracer.Stop()
				active = nil
			}
			activeMu.Unlock()
			// dd-trace-go sent everything it kept: what was ended and
			// never uploaded was dropped from its full payload queue (or
			// belonged to a trace still unfinished).
			b.counts.Settle(backendkit.DropQueueFull)
			b.tr.abort(errShutdown)
			b.tr.CloseIdleConnections()
		}()
	})
	select {
	case <-b.stopped:
		return nil
	case <-ctx.Done():
		// What dd-trace-go still holds, and the uploads under way, are
		// abandoned: counted as lost now, whatever they say later.
		b.counts.Settle(backendkit.DropShutdownDeadline)
		b.tr.abort(context.Cause(ctx))
		return fmt.Errorf("ddbackend: shutdown: spans not delivered to the agent in time: %w", context.Cause(ctx))
	}
}

// flushSettle is how long ForceFlush lets dd-trace-go's worker drain its
// queue and its flush goroutine begin an upload.
const flushSettle = 25 * time.Millisecond

// ForceFlush asks dd-trace-go to send the traces it holds (tracer.Flush)
// and waits, until ctx is done, for the uploads to finish. dd-trace-go's
// worker takes a flush request and queued traces in random order, so a
// trace that ended just before may miss one flush: ForceFlush flushes
// twice, letting the queue drain in between. Traces whose spans have not
// all ended are not sent yet: dd-trace-go sends whole traces (unless
// DD_TRACE_PARTIAL_FLUSH_ENABLED is set).
func (b *Backend) ForceFlush(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	for range 2 {
		if err := b.flushOnce(ctx); err != nil {
			return fmt.Errorf("ddbackend: flush: %w", err)
		}
	}
	return nil
}

func (b *Backend) flushOnce(ctx context.Context) error {
	if b.closed.Load() {
		return nil
	}
	b.flushMu.RLock()
	if b.closed.Load() {
		b.flushMu.RUnlock()
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer b.flushMu.RUnlock()
		defer close(done)
		tracer.Flush()
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return b.tr.waitIdle(ctx, flushSettle)
}

// Summary implements tracing.Summarizer.
func (b *Backend) Summary() tracing.Summary {
	return tracing.Summary{
		Backend:     "datadog",
		Service:     b.s.id.Service,
		Environment: b.s.id.Environment,
		Version:     b.s.id.Version,
		Destination: b.s.destination(),
		Sampler:     b.s.samplerSummary(),
		Propagators: b.s.propagatorSummary(),
	}
}

// Stats implements tracing.StatsReporter. dd-trace-go counts its own drops
// (its payload queue of 1000 traces full, a trace over 100,000 spans) only
// in internal counters and logs, so the backend counts what it sees: Ended
// are spans ended through the facade (those their trace's sampling
// priority drops aside); Exported are spans in uploads the agent accepted
// (this includes spans started with dd-trace-go's own API in the
// process); Dropped are spans in uploads that failed or were refused
// because earlier ones were unanswered (WithMaxPendingSpans), spans that
// ended after Shutdown began, and, once Shutdown has returned, every span
// that ended and was never uploaded: dropped from dd-trace-go's full queue
// or part of a trace still unfinished (DroppedBy.QueueFull), or abandoned
// at Shutdown's deadline (DroppedBy.ShutdownDeadline). Pending are the
// spans dd-trace-go holds or is uploading (including, until Shutdown, those
// its queue dropped without telling). The count of spans never uploaded is
// exact when only the facade starts spans, a lower bound when
// dd-trace-go's own API adds spans to the uploads.
func (b *Backend) Stats() tracing.Stats { return b.counts.Stats() }

// ExportStats implements tracing.ExportReporter: the trace uploads to the
// agent and how long they took.
func (b *Backend) ExportStats() tracing.ExportStats { return b.counts.ExportStats() }

// FormatIDs implements tracing.IDFormatter for Datadog log correlation
// (dd.trace_id, dd.span_id): decimal span id, and the decimal low 64 bits of
// the trace id, as dd-trace-go v1 logs it. With
// DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED=true a trace id whose high half
// is set is written as 32 hex digits, as dd-trace-go v2 does by default.
func (b *Backend) FormatIDs(sc tracing.SpanContext) (traceID, spanID string) {
	if !sc.IsValid() {
		return "", ""
	}
	if b.s.log128 && sc.TraceID().High64() != 0 {
		return sc.TraceID().String(), sc.SpanID().Decimal()
	}
	return sc.TraceID().LowDecimal(), sc.SpanID().Decimal()
}

// LogKeys implements tracing.LogKeyer: Datadog correlates a log with its
// trace by the attributes dd.trace_id and dd.span_id (the names
// dd-trace-go's own log integrations write), in FormatIDs' form.
func (b *Backend) LogKeys() (traceKey, spanKey string) { return "dd.trace_id", "dd.span_id" }
