package console

import (
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// Format selects how spans are written.
type Format int

const (
	// FormatTree gathers each trace and draws it as a tree (the default).
	FormatTree Format = iota
	// FormatJSON writes one JSON object per span, on one line, as it ends.
	FormatJSON
)

// Option configures the console backend.
type Option func(*config)

type config struct {
	w            io.Writer
	color        *bool
	format       Format
	maxSpans     int
	maxTraces    int
	traceTimeout time.Duration
	sampleRatio  float64
	maxValueLen  *int
	maxAttrs     *int
	maxEvents    *int
	width        int
	verbose      *bool
	now          func() time.Time
}

// DefaultWidth is the width, in columns, that trace trees are drawn to
// when neither WithWidth nor the COLUMNS environment variable sets one.
const DefaultWidth = 100

// EnvVerbose is the environment variable that, set to a true value
// ("1", "true"), makes the tree view show every attribute (see
// WithVerbose).
const EnvVerbose = "POLYTRACE_CONSOLE_VERBOSE"

// WithWidth sets the width, in columns, that trace trees fit in (default:
// COLUMNS from the environment, else DefaultWidth; at least 60). Span
// lines show the most telling attributes first — the outcome, the
// Datadog-style service, resource and type, then the application's own —
// and say how many more there are; long names are shortened.
func WithWidth(n int) Option { return func(c *config) { c.width = n } }

// WithVerbose makes the tree view show every attribute of every span, on
// lines of their own under the span, folded to the width (default: off,
// or on when POLYTRACE_CONSOLE_VERBOSE is true).
func WithVerbose(on bool) Option { return func(c *config) { c.verbose = &on } }

// WithWriter sets where output goes (default os.Stderr).
func WithWriter(w io.Writer) Option { return func(c *config) { c.w = w } }

// WithColor forces colour on or off. By default colour is used only when
// the writer is a terminal and the NO_COLOR environment variable is unset.
func WithColor(on bool) Option { return func(c *config) { c.color = &on } }

// WithFormat selects FormatTree (default) or FormatJSON.
func WithFormat(f Format) Option { return func(c *config) { c.format = f } }

// WithMaxSpansPerTrace bounds how many spans one trace keeps before it is
// written (default 1000); further spans are counted and noted.
func WithMaxSpansPerTrace(n int) Option { return func(c *config) { c.maxSpans = n } }

// WithMaxTraces bounds how many unfinished traces are kept (default 1000);
// past it, the oldest is written as it is, with a note.
func WithMaxTraces(n int) Option { return func(c *config) { c.maxTraces = n } }

// WithTraceTimeout sets how long a trace with spans still running is kept
// after its last activity before it is written with a note (default 30s).
// Timed-out traces are checked when other spans end and at Shutdown.
func WithTraceTimeout(d time.Duration) Option { return func(c *config) { c.traceTimeout = d } }

// WithSampleRatio records only this fraction of new traces (default 1).
func WithSampleRatio(r float64) Option { return func(c *config) { c.sampleRatio = r } }

// WithMaxValueLen truncates attribute string values to n characters when
// they are recorded, over OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (default
// 25000; 0 or less: no limit). The tree view shortens long values for
// display anyway; the limit bounds what the backend holds and what the
// JSON format writes.
func WithMaxValueLen(n int) Option { return func(c *config) { c.maxValueLen = &n } }

// WithMaxAttributes sets how many attributes a span keeps, over
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (default 128).
func WithMaxAttributes(n int) Option { return func(c *config) { c.maxAttrs = &n } }

// WithMaxEvents sets how many events a span keeps, over
// OTEL_SPAN_EVENT_COUNT_LIMIT (default 128).
func WithMaxEvents(n int) Option { return func(c *config) { c.maxEvents = &n } }

func (c *config) verboseOn() bool { return c.verbose != nil && *c.verbose }

// Backend is the console backend.
type Backend struct {
	*backendkit.MemoryBackend
	cfg     config
	color   bool
	service string

	mu        sync.Mutex
	traces    map[tracing.TraceID]*traceBuf
	lastSweep time.Time
}

type traceBuf struct {
	spans   []*backendkit.SpanData
	open    int
	dropped int
	first   time.Time
	last    time.Time
}

// New returns a console backend. Its service name (shown in each trace's
// header) comes from the usual variables (OTEL_SERVICE_NAME, DD_SERVICE, …),
// its limits from the OpenTelemetry ones (see the package documentation);
// a malformed limit variable is ignored here (tracing.Open reports it).
func New(opts ...Option) *Backend {
	b, _ := newBackend(tracing.Settings{}, opts)
	return b
}

func newBackend(s tracing.Settings, opts []Option) (*Backend, error) {
	c := config{w: os.Stderr, maxSpans: 1000, maxTraces: 1000, traceTimeout: 30 * time.Second, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.w == nil {
		c.w = io.Discard
	}
	if c.width <= 0 {
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			c.width = n
		} else {
			c.width = DefaultWidth
		}
	}
	c.width = max(c.width, 60)
	if c.verbose == nil {
		v, _ := backendkit.EnvBool(EnvVerbose, false)
		c.verbose = &v
	}
	b := &Backend{
		cfg:     c,
		service: backendkit.ResolveIdentity(backendkit.VendorOTel, s).Service,
		traces:  map[tracing.TraceID]*traceBuf{},
	}
	if c.color != nil {
		b.color = *c.color
	} else {
		b.color = isTerminal(c.w) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	lim, _, err := backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	if err != nil {
		lim = backendkit.DefaultLimits
	}
	setIf := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setIf(&lim.AttrValueLen, c.maxValueLen)
	setIf(&lim.Attrs, c.maxAttrs)
	setIf(&lim.Events, c.maxEvents)
	so := backendkit.MemoryOptions{OnEnd: b.onEnd, SampleRatio: c.sampleRatio, MaxValueLen: lim.AttrValueLen,
		MaxAttrs: lim.Attrs, MaxEvents: lim.Events, MaxEventAttrs: lim.AttrsPerEvent}
	if c.format == FormatTree {
		so.OnStart = b.onStart
	}
	b.MemoryBackend = backendkit.NewMemoryBackend(so)
	return b, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func init() {
	tracing.Register("console", func(_ context.Context, s tracing.Settings) (tracing.Backend, error) {
		return newBackend(s, backendkit.Options[Option](s))
	})
}

// Summary implements tracing.Summarizer.
func (b *Backend) Summary() tracing.Summary {
	what := "trace trees"
	if b.cfg.format == FormatJSON {
		what = "JSON lines"
	}
	dest := what + " on the writer given to console.WithWriter"
	switch b.cfg.w {
	case os.Stderr:
		dest = what + " on standard error"
	case os.Stdout:
		dest = what + " on standard output"
	}
	sampler := "every trace (parentbased_always_on)"
	if r := b.cfg.sampleRatio; r > 0 && r < 1 {
		sampler = strconv.FormatFloat(r*100, 'g', 4, 64) + "% of new traces (parentbased_traceidratio)"
	}
	return tracing.Summary{Backend: "console", Service: b.service, Destination: dest, Sampler: sampler,
		Propagators: []string{"tracecontext", "baggage"}}
}

func (b *Backend) onStart(d *backendkit.SpanData) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tid := d.SpanContext.TraceID()
	t := b.traces[tid]
	if t == nil {
		if len(b.traces) >= b.cfg.maxTraces {
			b.evictOldestLocked()
		}
		now := b.cfg.now()
		t = &traceBuf{first: now}
		b.traces[tid] = t
	}
	t.open++
	t.last = b.cfg.now()
}

func (b *Backend) onEnd(d *backendkit.SpanData) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg.format == FormatJSON {
		writeJSON(b.cfg.w, d)
		return
	}
	tid := d.SpanContext.TraceID()
	t := b.traces[tid]
	if t == nil {
		// Its trace was written already (timed out or evicted).
		b.writeTreeLocked(tid, &traceBuf{spans: []*backendkit.SpanData{d}}, "late span: its trace was written before it ended")
		return
	}
	if len(t.spans) < b.cfg.maxSpans {
		t.spans = append(t.spans, d)
	} else {
		t.dropped++
	}
	t.open--
	t.last = b.cfg.now()
	if t.open <= 0 {
		delete(b.traces, tid)
		b.writeTreeLocked(tid, t, "")
	}
	b.sweepLocked(false)
}

// sweepLocked writes traces idle for longer than the timeout (all of them
// if all is set). It runs at most once a second unless all is set.
func (b *Backend) sweepLocked(all bool) {
	now := b.cfg.now()
	if !all && now.Sub(b.lastSweep) < time.Second {
		return
	}
	b.lastSweep = now
	for tid, t := range b.traces {
		if all || now.Sub(t.last) > b.cfg.traceTimeout {
			delete(b.traces, tid)
			if len(t.spans) == 0 {
				continue
			}
			b.writeTreeLocked(tid, t, stillRunning(t.open))
		}
	}
}

func (b *Backend) evictOldestLocked() {
	var oldest tracing.TraceID
	var ot *traceBuf
	for tid, t := range b.traces {
		if ot == nil || t.first.Before(ot.first) {
			oldest, ot = tid, t
		}
	}
	if ot != nil {
		delete(b.traces, oldest)
		if len(ot.spans) > 0 {
			b.writeTreeLocked(oldest, ot, "written early: too many unfinished traces; "+stillRunning(ot.open))
		}
	}
}

func stillRunning(n int) string {
	if n == 1 {
		return "1 span still running"
	}
	return itoa(n) + " spans still running"
}

// Shutdown writes every trace still held, then stops recording.
func (b *Backend) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.sweepLocked(true)
	b.mu.Unlock()
	return b.MemoryBackend.Shutdown(ctx)
}

// ForceFlush writes the traces still held, as they are.
func (b *Backend) ForceFlush(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweepLocked(true)
	return nil
}
