package otelbackend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// batcher is the backend's batching span processor, in place of the SDK's
// BatchSpanProcessor, which drops spans from its full queue without
// telling anyone and keeps exporting, with a context of its own, after its
// Shutdown gave up. It batches the same way (OTEL_BSP_* and
// WithBatchOptions: queue size, batch size, schedule delay, export
// timeout) but counts, as it happens, every span it takes (Ended), every
// span its full queue refuses (DropQueueFull), every export's outcome
// (Exported, DropExportFailed, DropTooLarge) and every span ended after
// Shutdown (DropAfterShutdown); when Shutdown's context ends first it
// abandons the export under way and the queue, counting them
// (DropShutdownDeadline), so that Stats adds up the moment Shutdown
// returns. It never blocks the span's End: BlockOnQueueFull
// (sdktrace.WithBlocking) is ignored.
//
// Memory: at most MaxQueueSize spans queued plus one batch (at most
// MaxExportBatchSize spans) being exported.
type batcher struct {
	exp     sdktrace.SpanExporter
	o       sdktrace.BatchSpanProcessorOptions
	st      *backendkit.Counters
	observe atomic.Pointer[func(d time.Duration, failed bool)] // export latency, for the meter (nil: none)

	life    context.Context // cancelled when Shutdown gives up: aborts the export under way
	abandon context.CancelFunc

	mu       sync.Mutex
	queue    []sdktrace.ReadOnlySpan // a ring of MaxQueueSize
	head, n  int
	enq      uint64          // spans ever queued
	fin      uint64          // spans ever taken off the queue whose export finished
	want     uint64          // ForceFlush wants every span up to this one exported now
	closed   bool            // Shutdown began: spans that end are dropped
	stopCtx  context.Context // Shutdown's context, for the exporter's Shutdown
	changed  chan struct{}   // closed and replaced when fin changes
	lastErr  error           // the last export's error, and the span range it covered
	errFrom  uint64
	errUntil uint64

	kick chan struct{} // wakes the worker: a batch is full, a flush is wanted, Shutdown began
	done chan struct{} // closed when the worker has ended (and the exporter is shut down)
}

// batchSettings resolves the batching options as the SDK's
// NewBatchSpanProcessor does: OTEL_BSP_* (checked before, by
// checkBatchAndLimits), the backend's default queue size, then code's
// options.
func batchSettings(code []sdktrace.BatchSpanProcessorOption) sdktrace.BatchSpanProcessorOptions {
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(strings.TrimSpace(backendkit.Getenv(name))); err == nil && v >= 0 {
			return v
		}
		return def
	}
	queue := envInt("OTEL_BSP_MAX_QUEUE_SIZE", DefaultMaxQueueSize)
	batch := envInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", sdktrace.DefaultMaxExportBatchSize)
	if batch > queue {
		batch = min(sdktrace.DefaultMaxExportBatchSize, queue)
	}
	o := sdktrace.BatchSpanProcessorOptions{
		MaxQueueSize:       queue,
		MaxExportBatchSize: batch,
		BatchTimeout:       time.Duration(envInt("OTEL_BSP_SCHEDULE_DELAY", sdktrace.DefaultScheduleDelay)) * time.Millisecond,
		ExportTimeout:      time.Duration(envInt("OTEL_BSP_EXPORT_TIMEOUT", sdktrace.DefaultExportTimeout)) * time.Millisecond,
	}
	for _, opt := range code {
		if opt != nil {
			opt(&o)
		}
	}
	if o.MaxQueueSize < 1 {
		o.MaxQueueSize = DefaultMaxQueueSize
	}
	if o.MaxExportBatchSize < 1 || o.MaxExportBatchSize > o.MaxQueueSize {
		o.MaxExportBatchSize = min(sdktrace.DefaultMaxExportBatchSize, o.MaxQueueSize)
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = sdktrace.DefaultScheduleDelay * time.Millisecond
	}
	return o
}

func newBatcher(exp sdktrace.SpanExporter, o sdktrace.BatchSpanProcessorOptions, st *backendkit.Counters) *batcher {
	p := &batcher{exp: exp, o: o, st: st, queue: make([]sdktrace.ReadOnlySpan, o.MaxQueueSize),
		changed: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	p.life, p.abandon = context.WithCancel(context.Background())
	go p.run()
	return p
}

func (p *batcher) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span, or drops and counts it.
func (p *batcher) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		p.st.AddDropped(backendkit.DropAfterShutdown, 1)
		return
	case p.n == len(p.queue):
		p.mu.Unlock()
		p.st.AddEnded(1)
		p.st.AddDropped(backendkit.DropQueueFull, 1)
		return
	}
	p.st.AddEnded(1) // under mu: Shutdown's Settle cannot come between this and queueing
	p.queue[(p.head+p.n)%len(p.queue)] = s
	p.n++
	p.enq++
	full := p.n >= p.o.MaxExportBatchSize
	p.mu.Unlock()
	if full {
		p.wake()
	}
}

func (p *batcher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// take removes the next batch from the queue: up to a whole batch, or
// nothing unless force or a full batch is there. from is the sequence
// number of its first span.
func (p *batcher) take(force bool) (batch []sdktrace.ReadOnlySpan, from uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	force = force || p.closed || p.want > p.fin
	if p.n == 0 || (!force && p.n < p.o.MaxExportBatchSize) {
		return nil, 0
	}
	k := min(p.n, p.o.MaxExportBatchSize)
	batch = make([]sdktrace.ReadOnlySpan, k)
	for i := range k {
		j := (p.head + i) % len(p.queue)
		batch[i], p.queue[j] = p.queue[j], nil
	}
	p.head = (p.head + k) % len(p.queue)
	p.n -= k
	return batch, p.enq - uint64(p.n) - uint64(k)
}

// run is the worker: it exports a batch whenever one is full, the
// schedule delay has passed, a flush wants one or Shutdown drains the
// queue; then, on Shutdown, it shuts the exporter down.
func (p *batcher) run() {
	defer close(p.done)
	timer := time.NewTimer(p.o.BatchTimeout)
	defer timer.Stop()
	for {
		due := false
		select {
		case <-p.kick:
		case <-timer.C:
			due = true
		case <-p.life.Done():
		}
		if p.life.Err() != nil {
			break
		}
		for p.life.Err() == nil {
			batch, from := p.take(due)
			if batch == nil {
				break
			}
			p.export(batch, from)
		}
		timer.Reset(p.o.BatchTimeout) // Go 1.23 timers: no stale tick survives Reset
		p.mu.Lock()
		stopping, empty := p.closed, p.n == 0
		p.mu.Unlock()
		if stopping && (empty || p.life.Err() != nil) {
			break
		}
	}
	p.mu.Lock()
	ctx := p.stopCtx
	// Abandoned: what is left is counted as lost by Settle.
	clear(p.queue)
	p.n = 0
	p.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		// The exporter's Shutdown must still end its connections.
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ctx = c
	}
	_ = p.exp.Shutdown(ctx)
}

// export sends one batch and counts its outcome.
func (p *batcher) export(batch []sdktrace.ReadOnlySpan, from uint64) {
	ctx, cancel := p.life, context.CancelFunc(func() {})
	if p.o.ExportTimeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, p.o.ExportTimeout, errExportTimeout)
	}
	start := time.Now()
	err := p.exp.ExportSpans(ctx, batch)
	cancel()
	d := time.Since(start)
	n := uint64(len(batch))
	var pe *partialError
	partial := errors.As(err, &pe)
	if partial && pe.rejected <= 0 {
		// A warning alone: every span was taken. It goes where the SDK's
		// exporters send it, to OpenTelemetry's error handler.
		otel.Handle(err)
		err, partial = nil, false
	}
	p.st.ObserveExport(d, err != nil)
	if obs := p.observe.Load(); obs != nil {
		(*obs)(d, err != nil)
	}
	p.st.NoteExportError(err)
	switch {
	case err == nil:
		p.st.AddExported(n)
	case partial:
		// The receiver took the request and rejected some spans: the
		// others are exported.
		rejected := min(uint64(pe.rejected), n)
		p.st.AddExported(n - rejected)
		p.st.AddDropped(backendkit.DropExportFailed, rejected)
	case tooLarge(err):
		p.st.AddDropped(backendkit.DropTooLarge, n)
	default:
		p.st.AddDropped(backendkit.DropExportFailed, n)
	}
	p.mu.Lock()
	p.fin += n
	if err != nil {
		p.lastErr, p.errFrom, p.errUntil = err, from, from+n
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

var errExportTimeout = errors.New("export timeout (OTEL_BSP_EXPORT_TIMEOUT) reached")

// tooLarge reports whether an export failed because the request was over
// the receiver's size limit: HTTP 413, or gRPC's "larger than max".
func tooLarge(err error) bool {
	s := err.Error()
	return strings.Contains(s, "larger than max") || strings.Contains(s, "413") || strings.Contains(s, "Request Entity Too Large")
}

// ForceFlush exports every span queued before the call, and returns the
// error of an export that carried some of them, by ctx's deadline. The
// export under way when ctx ends goes on (with its own timeout) and is
// counted when it ends: nothing is abandoned.
func (p *batcher) ForceFlush(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	target, start := p.enq, p.fin
	p.want = max(p.want, target)
	p.mu.Unlock()
	p.wake()
	for {
		// One worker exports batches in queue order: fin counts the
		// spans finished, a prefix of those ever queued.
		p.mu.Lock()
		ch, fin := p.changed, p.fin
		err, from, until := p.lastErr, p.errFrom, p.errUntil
		p.mu.Unlock()
		if fin >= target {
			if err != nil && until > start && from < target {
				return err
			}
			return nil
		}
		select {
		case <-ch:
		case <-p.done:
			return errors.New("the backend was shut down")
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// Shutdown drains the queue and shuts the exporter down, by ctx's
// deadline; then it abandons what is left, counting it as lost.
func (p *batcher) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		p.stopCtx = ctx
	}
	p.mu.Unlock()
	p.wake()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.st.Settle(backendkit.DropShutdownDeadline)
		p.abandon()
		return fmt.Errorf("spans still queued or being exported: %w", context.Cause(ctx))
	}
}

// wait waits for the worker to end, by ctx's deadline.
func (p *batcher) wait(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
