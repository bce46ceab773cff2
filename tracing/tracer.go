package tracing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Tracer starts spans on a Backend and propagates their contexts. It is the
// facade's front end, as slog.Logger is log/slog's. A Tracer is safe for
// concurrent use. The nil *Tracer is valid and does nothing.
type Tracer struct {
	backend Backend
	prop    Propagator
	noop    bool // the backend is none: Start need not call it

	closed  atomic.Bool
	dropped atomic.Uint64 // spans not started because the tracer was shut down
	once    sync.Once
	err     error
}

// New returns a Tracer over b. If b implements Propagator, the Tracer injects
// and extracts with it; otherwise with W3C trace context and baggage.
func New(b Backend) *Tracer {
	if b == nil {
		b = noopBackend{}
	}
	t := &Tracer{backend: b}
	_, t.noop = b.(noopBackend)
	if p, ok := b.(Propagator); ok {
		t.prop = p
	} else {
		t.prop = defaultPropagator
	}
	return t
}

// Backend returns the tracer's backend, for reaching its optional
// capabilities.
func (t *Tracer) Backend() Backend {
	if t == nil {
		return noopBackend{}
	}
	return t.backend
}

// Enabled reports whether Start may record spans: false for a nil
// Tracer, for the none backend and after Shutdown. Instrumentation uses it
// to skip preparing a span's name and attributes; propagation still works
// when it is false.
func (t *Tracer) Enabled() bool { return t != nil && !t.noop && !t.closed.Load() }

// Start starts a span named name, a child of the span in ctx (if any), and
// returns a context carrying it together with the span. End the span when
// the work is done:
//
//	ctx, span := tracer.Start(ctx, "CreateNote", tracing.WithKind(tracing.SpanKindServer))
//	defer span.End()
//
// A nil ctx is treated as context.Background(); an empty name becomes
// "unnamed". After Shutdown, Start returns ctx unchanged and the zero Span.
func (t *Tracer) Start(ctx context.Context, name string, opts ...StartOption) (context.Context, Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	if t == nil || t.noop {
		return ctx, Span{}
	}
	return t.start(ctx, name, opts)
}

// start is Start's path to a real backend, kept out of line so that the
// no-op path does not pay for zeroing a SpanConfig on the stack.
func (t *Tracer) start(ctx context.Context, name string, opts []StartOption) (context.Context, Span) {
	if t.closed.Load() {
		t.dropped.Add(1)
		return ctx, Span{}
	}
	if name == "" {
		name = "unnamed"
	}
	var cfg SpanConfig
	fillSpanConfig(&cfg, opts)
	return t.backend.Start(ctx, name, cfg)
}

// Inject writes the context of the span in ctx (and ctx's baggage) into
// carrier, in the formats the backend propagates. A nil carrier is ignored.
func (t *Tracer) Inject(ctx context.Context, carrier Carrier) {
	if ctx == nil || carrier == nil {
		return
	}
	t.propagator().Inject(ctx, carrier)
}

// Extract reads a span context (and baggage) from carrier in the formats the
// backend accepts and returns a copy of ctx carrying it as the remote parent
// of spans started from it. Malformed input is ignored: ctx is returned as
// it was. A nil ctx is treated as context.Background().
func (t *Tracer) Extract(ctx context.Context, carrier Carrier) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if carrier == nil {
		return ctx
	}
	return t.propagator().Extract(ctx, carrier)
}

// Propagator returns the propagator Inject and Extract use.
func (t *Tracer) Propagator() Propagator { return t.propagator() }

func (t *Tracer) propagator() Propagator {
	if t == nil {
		return defaultPropagator
	}
	return t.prop
}

// Shutdown flushes ended spans and stops the backend. It returns by the time
// ctx is done (with an error wrapping ctx's cause): the backend gives up
// then, counting in Stats what it abandons, so that Ended = Exported +
// Dropped as soon as Shutdown returns; a backend that hangs instead is left
// a quarter of a second past the deadline. Calls after the first return
// the first call's result.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.once.Do(func() {
		t.closed.Store(true)
		t.err = bounded(ctx, "shutdown", t.backend.Shutdown)
	})
	return t.err
}

// ForceFlush exports ended spans now, if the backend buffers them. It
// returns by the time ctx is done.
func (t *Tracer) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	f, ok := t.backend.(Flusher)
	if !ok {
		return nil
	}
	return bounded(ctx, "flush", f.ForceFlush)
}

// Summary returns the backend's description of its configuration, or one
// that names only the backend's Go type.
func (t *Tracer) Summary() Summary {
	if s, ok := t.Backend().(Summarizer); ok {
		return s.Summary()
	}
	return Summary{Backend: fmt.Sprintf("%T", t.Backend())}
}

// DroppedAfterShutdown returns how many spans were not started because
// Start was called after Shutdown.
func (t *Tracer) DroppedAfterShutdown() uint64 {
	if t == nil {
		return 0
	}
	return t.dropped.Load()
}

// Stats returns the backend's span counts (zero if it does not count),
// with the spans not even started because Start came after Shutdown added
// to Ended and Dropped (DroppedBy.AfterShutdown), so that Ended = Exported
// + Dropped + Pending holds for them too.
func (t *Tracer) Stats() Stats {
	var s Stats
	if r, ok := t.Backend().(StatsReporter); ok {
		s = r.Stats()
	}
	n := t.DroppedAfterShutdown()
	s.Ended += n
	s.Dropped += n
	s.DroppedBy.AfterShutdown += n
	return s
}

// ExportStats returns the backend's export request counts and durations
// (zero if it does not time them).
func (t *Tracer) ExportStats() ExportStats {
	if r, ok := t.Backend().(ExportReporter); ok {
		return r.ExportStats()
	}
	return ExportStats{}
}

// settleGrace is how long, once ctx is done, bounded still waits for the
// backend's own Shutdown or ForceFlush to return: a backend gives up at
// its context's deadline, counting what it abandons (so that Stats adds
// up the moment Shutdown returns), and that takes microseconds. A backend
// that hangs costs the caller this much past the deadline, no more.
const settleGrace = 250 * time.Millisecond

// bounded runs f and returns its result, or an error soon after ctx is
// done: at once if f returns then, else after settleGrace. f keeps running
// in the background in that case; it got ctx and is expected to give up
// soon.
func bounded(ctx context.Context, what string, f func(context.Context) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() == nil {
		return f(ctx)
	}
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	grace := time.NewTimer(settleGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		return err
	case <-grace.C:
	}
	return fmt.Errorf("tracing: %s did not finish: %w", what, context.Cause(ctx))
}

// defaultTracer is the process-wide Tracer; nil means the no-op one.
var defaultTracer atomic.Pointer[Tracer]

var noopTracer = New(noopBackend{})

// Default returns the process-wide Tracer: the one last passed to
// SetDefault, or a no-op Tracer (which still forwards W3C trace context it
// extracted) if none was set. It is safe to call at any time, including from
// init functions in any order.
func Default() *Tracer {
	if t := defaultTracer.Load(); t != nil {
		return t
	}
	return noopTracer
}

// SetDefault makes t the process-wide Tracer; nil restores the no-op one.
func SetDefault(t *Tracer) { defaultTracer.Store(t) }

// Start starts a span with the default Tracer; see Tracer.Start.
func Start(ctx context.Context, name string, opts ...StartOption) (context.Context, Span) {
	return Default().Start(ctx, name, opts...)
}

// Inject injects ctx's span context with the default Tracer; see
// Tracer.Inject.
func Inject(ctx context.Context, carrier Carrier) { Default().Inject(ctx, carrier) }

// Extract extracts a span context with the default Tracer; see
// Tracer.Extract.
func Extract(ctx context.Context, carrier Carrier) context.Context {
	return Default().Extract(ctx, carrier)
}
