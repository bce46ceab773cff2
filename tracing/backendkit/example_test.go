package backendkit_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// A complete backend for an imaginary vendor whose agent takes spans as
// logfmt lines. It samples every new trace, follows its parent's decision
// otherwise, applies the limits of the OpenTelemetry variables, counts its
// spans for tracing.Stats, takes its own options through
// tracing.WithBackendOptions, and describes itself in the startup summary.
func Example() {
	// The application side: choose the backend by name, as
	// TRACING_BACKEND=logfmt would with tracing.FromEnv.
	tracer, err := tracing.Open(context.Background(), "logfmt",
		tracing.WithServiceName("notes"),
		tracing.WithBackendOptions(WithWriter(os.Stdout)))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, req := tracer.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer))
	_, q := tracer.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient),
		tracing.WithAttrs(tracing.String("db.query.text", "SELECT * FROM notes WHERE id = ?")))
	q.RecordError(fmt.Errorf("database is locked"))
	q.End()
	req.End()
	_ = tracer.Shutdown(context.Background())
	fmt.Printf("%+v\n", tracer.Stats())
	// Output:
	// service=notes name="SELECT notes" kind=client parent=yes status=error db.query.text="SELECT * FROM notes WHERE id = ?" error.type=*errors.errorString
	// service=notes name="GET /notes/{id}" kind=server parent=no status=unset
	// {Ended:2 Exported:2 Dropped:0 Pending:0 DroppedBy:{QueueFull:0 ExportFailed:0 TooLarge:0 AfterShutdown:0 ShutdownDeadline:0}}
}

// Option configures the logfmt backend.
type Option func(*config)

type config struct{ w io.Writer }

// WithWriter sets where spans go (default: standard error).
func WithWriter(w io.Writer) Option { return func(c *config) { c.w = w } }

func init() {
	tracing.Register("logfmt", func(_ context.Context, s tracing.Settings) (tracing.Backend, error) {
		c := config{w: os.Stderr}
		backendkit.Apply(&c, backendkit.Options[Option](s))
		limits, _, err := backendkit.LimitsFromEnv(backendkit.DefaultLimits)
		if err != nil {
			return nil, err // names the variable and its value
		}
		id := backendkit.ResolveIdentity(backendkit.VendorOTel, s)
		return &Backend{cfg: c, limits: limits, id: id}, nil
	})
}

// Backend is the logfmt backend.
type Backend struct {
	cfg    config
	limits backendkit.Limits
	id     backendkit.Identity
	counts backendkit.Counters
	closed atomic.Bool
	mu     sync.Mutex // serialises writes
}

// Start implements tracing.Backend.
func (b *Backend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	parent := tracing.SpanFromContext(ctx).SpanContext()
	if cfg.NewRoot {
		parent = tracing.SpanContext{}
	}
	sc := tracing.SpanContextConfig{SpanID: backendkit.NewSpanID(), TraceFlags: tracing.FlagsSampled | tracing.FlagsRandom}
	if parent.IsValid() {
		sc.TraceID, sc.TraceFlags, sc.TraceState = parent.TraceID(), parent.TraceFlags(), parent.TraceState()
	} else {
		sc.TraceID = backendkit.NewTraceID()
	}
	spc := tracing.NewSpanContext(sc)
	if !spc.IsSampled() {
		// Not recorded, but its context still travels on.
		n := backendkit.NewNonRecording(ctx, spc)
		return n, tracing.NewSpan(n)
	}
	s := &span{Context: ctx, b: b, sc: spc, name: name, kind: cfg.Kind, parent: parent.IsValid()}
	s.SetAttrs(cfg.Attrs)
	return s, tracing.NewSpan(s)
}

// Shutdown implements tracing.Backend.
func (b *Backend) Shutdown(context.Context) error {
	b.closed.Store(true)
	return nil
}

// Stats implements tracing.StatsReporter.
func (b *Backend) Stats() tracing.Stats { return b.counts.Stats() }

// Summary implements tracing.Summarizer.
func (b *Backend) Summary() tracing.Summary {
	return tracing.Summary{Backend: "logfmt", Service: b.id.Service, Environment: b.id.Environment,
		Version: b.id.Version, Destination: "writer", Sampler: "always on",
		Propagators: []string{"tracecontext", "baggage"}}
}

func (b *Backend) export(line string) {
	if b.closed.Load() {
		b.counts.AddDropped(backendkit.DropAfterShutdown, 1)
		return
	}
	b.counts.AddEnded(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := io.WriteString(b.cfg.w, line); err != nil {
		b.counts.AddDropped(backendkit.DropExportFailed, 1)
		return
	}
	b.counts.AddExported(1)
}

// span is a recording span and the context node that carries it.
type span struct {
	context.Context
	b      *Backend
	sc     tracing.SpanContext
	kind   tracing.SpanKind
	parent bool

	mu     sync.Mutex
	ended  bool
	name   string
	attrs  []tracing.Attr
	status tracing.StatusCode
}

func (s *span) Value(key any) any {
	if _, ok := key.(tracing.ContextKey); ok {
		return tracing.BackendSpan(s)
	}
	if v, ok := tracing.ContextKeyValue(s, key, s); ok {
		return v
	}
	return s.Context.Value(key)
}

func (s *span) SpanContext() tracing.SpanContext { return s.sc }

func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *span) SetName(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.name = backendkit.TruncateString(name, s.b.limits.AttrValueLen)
}

func (s *span) SetAttrs(attrs tracing.Attrs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range attrs.Len() {
		a := attrs.At(i)
		if s.ended || len(s.attrs) >= s.b.limits.Attrs {
			return
		}
		s.attrs = append(s.attrs, tracing.Attr{Key: a.Key, Value: backendkit.TruncateValue(a.Value, s.b.limits.AttrValueLen).Clone()})
	}
}

func (s *span) AddEvent(string, time.Time, tracing.Attrs) {} // this vendor has no events

func (s *span) RecordError(info tracing.ErrorInfo) {
	s.SetAttrs(tracing.AttrsOf(tracing.String("error.type", info.Type)))
}

func (s *span) SetStatus(code tracing.StatusCode, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended && code > s.status {
		s.status = code
	}
}

func (s *span) End(time.Time) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	var line strings.Builder
	parent := map[bool]string{true: "yes", false: "no"}[s.parent]
	fmt.Fprintf(&line, "service=%s name=%q kind=%s parent=%s status=%s", s.b.id.Service, s.name, s.kind, parent, s.status)
	for _, a := range s.attrs {
		v := a.Value.String()
		if strings.ContainsAny(v, " \"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&line, " %s=%s", a.Key, v)
	}
	line.WriteByte('\n')
	s.mu.Unlock()
	s.b.export(line.String())
}
