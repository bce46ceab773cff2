package jaegerbackend

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"
	"github.com/uber/jaeger-client-go/rpcmetrics"
	"github.com/uber/jaeger-client-go/transport"
	"github.com/uber/jaeger-client-go/utils"
	"github.com/uber/jaeger-lib/metrics"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// Backend is the jaeger backend: a tracing.Backend over a jaeger-client-go
// tracer. It also implements tracing.Propagator, tracing.Flusher,
// tracing.Summarizer and tracing.StatsReporter.
type Backend struct {
	tracer *jaeger.Tracer // nil when JAEGER_DISABLED=true
	closer io.Closer

	summary      tracing.Summary
	headers      *jaeger.HeadersConfig
	native       *jaeger.TextMapPropagator // uber-trace-id, uberctx-* with HTTP header encoding
	codecHTTP    *codec
	injectJaeger bool
	injectW3C    bool

	counts  backendkit.Counters
	lim     limits
	sender  *sender // nil with WithReporter
	rt      *boundRT
	idle    interface{ CloseIdleConnections() }
	life    context.Context
	endLife context.CancelFunc

	stopped  atomic.Bool // Shutdown was called
	stopOnce sync.Once
	done     chan struct{}
}

func init() {
	tracing.Register("jaeger", func(_ context.Context, s tracing.Settings) (tracing.Backend, error) {
		return newBackend(s, backendkit.Options[Option](s))
	})
}

// New returns a jaeger backend configured from the JAEGER_* environment
// variables (with the service identity falling back to the OTEL_* and DD_*
// ones) and opts. It fails on a value the variables do not allow, naming
// the variable. Wrap it with tracing.New.
func New(opts ...Option) (*Backend, error) {
	b, err := newBackend(tracing.Settings{}, opts)
	if err != nil {
		return nil, fmt.Errorf("jaegerbackend: %w", err)
	}
	return b, nil
}

func newBackend(s tracing.Settings, opts []Option) (*Backend, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	cfg, id, err := loadConfig(s, &o)
	if err != nil {
		return nil, err
	}
	lim, err := resolveLimits(&o)
	if err != nil {
		return nil, err
	}
	b := &Backend{lim: lim}
	b.life, b.endLife = context.WithCancel(context.Background())
	for _, f := range o.formats {
		b.injectJaeger = b.injectJaeger || f == FormatJaeger
		b.injectW3C = b.injectW3C || f == FormatW3C
	}
	b.headers = cfg.Headers
	if b.headers == nil {
		b.headers = &jaeger.HeadersConfig{}
	}
	b.headers.ApplyDefaults()
	b.summary = tracing.Summary{Backend: "jaeger", Service: id.Service, Environment: id.Environment, Version: id.Version,
		Propagators: b.Names()}

	factory := o.metrics
	if factory == nil {
		factory = metrics.NullFactory
	}
	m := jaeger.NewMetrics(countingFactory{base: factory, dropped: &b.counts}, nil)
	b.native = jaeger.NewHTTPHeaderPropagator(b.headers, *m)
	b.codecHTTP = &codec{native: b.native, headers: b.headers, jaeger: b.injectJaeger, w3c: b.injectW3C}
	if cfg.Disabled {
		b.summary.Destination = "disabled (JAEGER_DISABLED=true)"
		b.summary.Sampler = "-"
		b.endLife()
		return b, nil
	}

	logger := o.logger
	if logger == nil {
		logger = jaeger.NullLogger
	}
	reporter := o.reporter
	if reporter == nil {
		t, dest, err := b.newTransport(cfg.Reporter, logger, o.roundTrip)
		if err != nil {
			b.endLife()
			return nil, err
		}
		b.summary.Destination = dest
		b.sender = newSender(t, &b.counts)
		if o.logger == nil {
			// Without a logger of the application's, spans that cannot
			// be sent are told once a minute in one line, with why
			// (jaeger's own logger would be silent, or log every
			// failure).
			b.counts.WarnDrops(backendkit.NewWarnings("jaeger", nil), dest)
		}
		reporter = jaeger.NewRemoteReporter(b.sender,
			jaeger.ReporterOptions.QueueSize(cfg.Reporter.QueueSize),
			jaeger.ReporterOptions.BufferFlushInterval(cfg.Reporter.BufferFlushInterval),
			jaeger.ReporterOptions.Logger(logger),
			jaeger.ReporterOptions.Metrics(m))
		if cfg.Reporter.LogSpans {
			l := o.logger
			if l == nil {
				l = jaeger.StdLogger
			}
			reporter = jaeger.NewCompositeReporter(jaeger.NewLoggingReporter(l), reporter)
		}
	} else {
		b.summary.Destination = fmt.Sprintf("reporter %T", reporter)
	}

	sampler := o.sampler
	if sampler == nil {
		if sampler, err = cfg.Sampler.NewSampler(cfg.ServiceName, m); err != nil {
			reporter.Close()
			b.endLife()
			return nil, fmt.Errorf("jaeger sampler: %w", err)
		}
		b.summary.Sampler, b.summary.Note = describeSampler(cfg.Sampler)
	} else {
		b.summary.Sampler = fmt.Sprint(sampler)
	}

	textCodec := &codec{native: jaeger.NewTextMapPropagator(b.headers, *m), headers: b.headers, jaeger: b.injectJaeger, w3c: b.injectW3C}
	topts := []jaeger.TracerOption{
		jaeger.TracerOptions.Metrics(m),
		jaeger.TracerOptions.Logger(logger),
		jaeger.TracerOptions.CustomHeaderKeys(b.headers),
		jaeger.TracerOptions.Gen128Bit(true),
		jaeger.TracerOptions.MaxTagValueLength(b.lim.maxTagBytes()),
		jaeger.TracerOptions.Injector(opentracing.HTTPHeaders, b.codecHTTP),
		jaeger.TracerOptions.Extractor(opentracing.HTTPHeaders, b.codecHTTP),
		jaeger.TracerOptions.Injector(opentracing.TextMap, textCodec),
		jaeger.TracerOptions.Extractor(opentracing.TextMap, textCodec),
		jaeger.TracerOptions.Extractor(facadeFormat{}, facadeExtractor{}),
	}
	for _, t := range cfg.Tags {
		topts = append(topts, jaeger.TracerOptions.Tag(t.Key, t.Value))
	}
	if cfg.RPCMetrics {
		topts = append(topts, jaeger.TracerOptions.Observer(rpcmetrics.NewObserver(
			factory.Namespace(metrics.NSOptions{Name: "jaeger-rpc", Tags: map[string]string{"component": "jaeger"}}),
			rpcmetrics.DefaultNameNormalizer)))
	}
	tr, closer := jaeger.NewTracer(cfg.ServiceName, sampler, &countingReporter{b: b, next: reporter}, topts...)
	b.tracer, b.closer = tr.(*jaeger.Tracer), closer
	return b, nil
}

// newTransport builds the transport config.Configuration would (HTTP
// collector if JAEGER_ENDPOINT is set, else UDP agent), with requests to
// the collector bound to the backend's life.
func (b *Backend) newTransport(rc *config.ReporterConfig, logger jaeger.Logger, rt http.RoundTripper) (jaeger.Transport, string, error) {
	if rc.CollectorEndpoint != "" {
		if rt == nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			rt, b.idle = t, t
		}
		b.rt = &boundRT{base: rt, life: b.life}
		hopts := []transport.HTTPOption{transport.HTTPHeaders(rc.HTTPHeaders), transport.HTTPRoundTripper(b.rt)}
		if rc.User != "" && rc.Password != "" {
			hopts = append(hopts, transport.HTTPBasicAuth(rc.User, rc.Password))
		}
		return transport.NewHTTPTransport(rc.CollectorEndpoint, hopts...), redactURL(rc.CollectorEndpoint), nil
	}
	params := utils.AgentClientUDPParams{
		HostPort:                   rc.LocalAgentHostPort,
		Logger:                     logger,
		DisableAttemptReconnecting: rc.DisableAttemptReconnecting,
		AttemptReconnectInterval:   rc.AttemptReconnectInterval,
	}
	var t jaeger.Transport
	var err error
	if spanLayout().ok {
		t, err = newUDPTransport(params, b.lim.maxTagBytes(), func() int64 {
			return int64(b.counts.Dropped(backendkit.DropQueueFull))
		})
	} else {
		t, err = jaeger.NewUDPTransportWithParams(jaeger.UDPTransportParams{AgentClientUDPParams: params})
	}
	if err != nil {
		return nil, "", fmt.Errorf("jaeger agent %s: %w", rc.LocalAgentHostPort, err)
	}
	return t, "udp://" + rc.LocalAgentHostPort, nil
}

// describeSampler says in plain words what the sampler records, with
// jaeger's terms in parentheses, and what a user must know about it.
func describeSampler(sc *config.SamplerConfig) (sampler, note string) {
	p := strconv.FormatFloat(sc.Param, 'g', -1, 64)
	switch t := strings.ToLower(sc.Type); t {
	case "", jaeger.SamplerTypeRemote:
		url := sc.SamplingServerURL
		if url == "" {
			url = jaeger.DefaultSamplingServerURL
		}
		return percent(sc.Param) + " of new traces until the agent's strategy arrives (remote, initial=" + p + ", " + url + ")",
			"jaeger's default remote sampler records almost nothing until its agent answers: set JAEGER_SAMPLER_TYPE=const JAEGER_SAMPLER_PARAM=1 to record every trace"
	case jaeger.SamplerTypeConst:
		if sc.Param != 0 {
			return "every trace (const " + p + ")", ""
		}
		return "no trace (const 0)", "JAEGER_SAMPLER_PARAM=0 records nothing: set it to 1 to record every trace"
	case jaeger.SamplerTypeProbabilistic:
		return percent(sc.Param) + " of new traces (probabilistic " + p + ")", ""
	case jaeger.SamplerTypeRateLimiting:
		return "at most " + p + " traces a second (ratelimiting " + p + ")", ""
	default:
		return t + "(" + p + ")", ""
	}
}

// percent writes a probability as a percentage: 0.001 as "0.1%".
func percent(p float64) string {
	return strconv.FormatFloat(p*100, 'g', 4, 64) + "%"
}

// Start implements tracing.Backend.
func (b *Backend) Start(ctx context.Context, name string, cfg tracing.SpanConfig) (context.Context, tracing.Span) {
	if b.tracer == nil {
		return ctx, tracing.Span{}
	}
	n := &span{Context: ctx, kind: cfg.Kind, b: b, random: true}
	name = backendkit.TruncateString(name, b.lim.tagLen) // names are cut as tag values are
	var parent jaeger.SpanContext
	var traceState string
	var bag tracing.Baggage
	if p, ok := ctx.(*span); ok && !cfg.NewRoot {
		// The common case, a child started from its parent's own context:
		// jaeger copies the parent's baggage, which is the facade's here.
		parent, n.random = p.js.SpanContext(), p.random
		if px := p.x.Load(); px != nil {
			traceState, bag = px.traceState, px.bag
		}
	} else {
		if !cfg.NewRoot {
			traceState, n.random = b.parentOf(ctx, &parent)
		}
		bag = tracing.BaggageFromContext(ctx)
		if bag.Len() > 0 || hasItems(&parent) {
			parent = withBaggage(parent, bag)
		}
	}
	if traceState != "" || bag.Len() > 0 {
		n.x.Store(&spanExtra{traceState: traceState, bag: bag})
	}
	if !cfg.StartTime.IsZero() {
		n.start = cfg.StartTime.UnixNano()
	}
	if parent.IsValid() || hasItems(&parent) {
		n.ref[0] = opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent}
		n.hasRef = true
	}
	if len(cfg.Links) > 0 {
		b.linkRefs(n, name, parent, cfg.Links)
	}
	js := b.tracer.StartSpan(name, n).(*jaeger.Span)
	if n.hasRef || n.links != nil {
		// Do not keep the parent's context alive.
		n.ref[0], n.links = opentracing.SpanReference{}, nil
	}
	n.js = js
	if cfg.Resource != "" {
		js.SetTag(tracing.KeyResource, backendkit.TruncateString(cfg.Resource, b.lim.tagLen))
	}
	if cfg.Service != "" {
		js.SetTag(tracing.KeyService, backendkit.TruncateString(cfg.Service, b.lim.tagLen))
	}
	if cfg.Type != "" {
		js.SetTag(tracing.KeySpanType, backendkit.TruncateString(cfg.Type, b.lim.tagLen))
	}
	if cfg.Attrs.Len() > 0 {
		n.setTags(&cfg.Attrs)
	}
	if len(cfg.Links) > 0 && n.sampled() {
		n.linkLogs(cfg.Links, js.StartTime())
	}
	return n, tracing.NewSpan(n)
}

func hasItems(jc *jaeger.SpanContext) bool {
	found := false
	jc.ForeachBaggageItem(func(string, string) bool { found = true; return false })
	return found
}

// parentOf finds the parent of a span started from ctx when ctx is not
// itself a span of this backend: the facade span in ctx, unless an
// OpenTracing span was put into ctx after it (opentracing.ContextWithSpan
// with a jaeger span other than the facade span's own), which is then the
// innermost one. It returns the W3C tracestate and random flag the span
// inherits: the facade span's, if the parent is in its trace; with no
// parent, no tracestate and the random flag (a new trace).
func (b *Backend) parentOf(ctx context.Context, pc *jaeger.SpanContext) (traceState string, random bool) {
	var own *jaeger.Span
	switch p := ctx.Value(tracing.ContextKey{}).(type) {
	case nil:
	case *span:
		own, *pc, traceState, random = p.js, p.js.SpanContext(), p.traceState(), p.random
	case *parentNode:
		*pc, traceState, random = p.jc, p.sc.TraceState(), p.sc.TraceFlags()&tracing.FlagsRandom != 0
	case tracing.BackendSpan:
		if sc := p.SpanContext(); sc.IsValid() {
			*pc, traceState, random = b.remoteContext(sc), sc.TraceState(), sc.TraceFlags()&tracing.FlagsRandom != 0
		}
	}
	if otKeyOK {
		if js, ok := ctx.Value(otKey).(*jaeger.Span); ok && js != own {
			if jc := js.SpanContext(); jc.IsValid() {
				if jc.TraceID() != pc.TraceID() {
					// Not known: a jaeger span started this trace here
					// (random ids) or continued another's.
					traceState, random = "", jc.ParentID() == 0
				}
				*pc = jc
			}
		}
	}
	if !pc.IsValid() {
		return "", true
	}
	return traceState, random
}

// linkRefs adds the span's links as FOLLOWS_FROM references.
// jaeger-client-go makes a FOLLOWS_FROM reference the parent when there is
// no CHILD_OF one, so a root span with links is started with the context
// of a root started just for that (never finished, so never reported: it
// only gets the ids and the sampling decision a root gets) as its own
// (jaeger.SelfRef).
func (b *Backend) linkRefs(n *span, name string, parent jaeger.SpanContext, links []tracing.Link) {
	refs := make([]opentracing.SpanReference, 0, len(links)+1)
	if parent.IsValid() {
		refs = append(refs, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: parent})
	} else {
		root := b.tracer.StartSpan(name, n).(*jaeger.Span)
		refs = append(refs, jaeger.SelfRef(root.SpanContext()))
	}
	for _, l := range links[:min(len(links), backendkit.DefaultCount)] {
		refs = append(refs, opentracing.FollowsFrom(jaegerContext(l.SpanContext, nil)))
	}
	n.links = &refs
}

// linkLogs records the attributes of links, which Jaeger's references
// cannot hold, as a log record per link at the span's start: at most
// backendkit.DefaultCount attributes a link, their values cut as log
// fields are.
func (n *span) linkLogs(links []tracing.Link, start time.Time) {
	var logs []opentracing.LogRecord
	ll := n.b.lim.logLen
	for _, l := range links[:min(len(links), backendkit.DefaultCount)] {
		if len(l.Attrs) == 0 {
			continue
		}
		attrs := l.Attrs[:min(len(l.Attrs), backendkit.DefaultCount)]
		fields := make([]log.Field, 0, len(attrs)+3)
		fields = append(fields, log.String(backendkit.OTFieldEvent, eventLink),
			log.String(fieldLinkTrace, l.SpanContext.TraceID().String()),
			log.String(fieldLinkSpan, l.SpanContext.SpanID().String()))
		for _, a := range attrs {
			if a.Key != "" {
				fields = append(fields, logField(a.Key, backendkit.TruncateValue(a.Value, ll)))
			}
		}
		logs = append(logs, opentracing.LogRecord{Timestamp: start, Fields: fields})
	}
	if len(logs) == 0 {
		return
	}
	x := n.extra()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.logs = append(x.logs, logs...)
}

// Shutdown implements tracing.Backend: it closes the jaeger tracer, which
// sends the spans still queued and stops the reporter, the sampler's
// polling and the UDP connection. It returns by the time ctx is done;
// requests to an HTTP collector still running then are cancelled, so that
// closing finishes soon after. Spans that end after Shutdown are dropped
// and counted (see Stats).
func (b *Backend) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	b.stopOnce.Do(func() {
		b.stopped.Store(true)
		b.done = make(chan struct{})
		go func() {
			defer close(b.done)
			if b.closer != nil {
				_ = b.closer.Close()
			}
			// Close sent or dropped (and counted) every span the reporter
			// had; nothing can be pending, and no span is counted twice.
			b.counts.Settle(backendkit.DropShutdownDeadline)
			b.endLife()
			if b.idle != nil {
				b.idle.CloseIdleConnections()
			}
		}()
	})
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		// What the reporter still queues, and the batch being sent, are
		// abandoned: counted as lost now, whatever the cancelled request
		// says later.
		b.counts.Settle(backendkit.DropShutdownDeadline)
		b.endLife()
		return fmt.Errorf("jaegerbackend: shutdown: spans still being sent: %w", context.Cause(ctx))
	}
}

// ForceFlush implements tracing.Flusher: it waits until the reporter's
// queue has handed every span that ended before the call to the
// transport, then sends the transport's buffer. With WithReporter it does
// nothing.
func (b *Backend) ForceFlush(ctx context.Context) error {
	if b.sender == nil || b.stopped.Load() {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	target := b.counts.Ended()
	wait := 100 * time.Microsecond
	var timer *time.Timer
	for b.sender.appended.Load()+b.counts.Dropped(backendkit.DropQueueFull) < target {
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jaegerbackend: flush: %w", context.Cause(ctx))
		case <-timer.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
	if err := b.sender.flush(ctx, b.rt); err != nil {
		return fmt.Errorf("jaegerbackend: flush: %w", err)
	}
	return nil
}

// Stats implements tracing.StatsReporter. Ended counts sampled spans handed
// to the reporter (and those ended after Shutdown); Exported the spans the
// collector accepted (UDP: sent without error); Dropped those lost, by
// reason: the reporter's queue full (counted through jaeger-client-go's
// reporter_spans{result=dropped} metric as it happens), too large for
// one UDP datagram, failed to send, ended after Shutdown, or still queued
// or being sent when Shutdown (or ForceFlush) gave up at its deadline;
// Pending the spans in the reporter's queue and the transport's batch.
func (b *Backend) Stats() tracing.Stats { return b.counts.Stats() }

// ExportStats implements tracing.ExportReporter: the transport's flushes
// (HTTP collector: one request each; UDP: one datagram) and their
// durations.
func (b *Backend) ExportStats() tracing.ExportStats { return b.counts.ExportStats() }

// Summary implements tracing.Summarizer.
func (b *Backend) Summary() tracing.Summary {
	s := b.summary
	s.Propagators = append([]string(nil), s.Propagators...)
	return s
}

// OpenTracingTracer returns the jaeger-client-go tracer behind the backend
// (an opentracing.NoopTracer when JAEGER_DISABLED=true), for code that
// must keep an opentracing.Tracer of jaeger's own. Its spans and the
// facade's nest both ways through contexts (opentracing.ContextWithSpan,
// StartSpanFromContext) and share the reporter. otshim is the tracer to
// prefer: it keeps working once the backend is no longer jaeger.
func (b *Backend) OpenTracingTracer() opentracing.Tracer {
	if b.tracer == nil {
		return opentracing.NoopTracer{}
	}
	return b.tracer
}

// ContextWithOpenTracingParent returns ctx carrying sc as the parent of
// spans started from it, if sc is a jaeger span context; otshim uses it to
// nest its spans under jaeger spans it is handed as references
// (opentracing.ChildOf(jaegerSpan.Context())).
func (b *Backend) ContextWithOpenTracingParent(ctx context.Context, sc opentracing.SpanContext) (context.Context, bool) {
	jc, ok := sc.(jaeger.SpanContext)
	if !ok || !jc.IsValid() {
		return ctx, false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return &parentNode{Context: ctx, jc: jc, sc: facadeContext(jc, "", false, false)}, true
}

var _ interface {
	tracing.Backend
	tracing.Propagator
	tracing.Flusher
	tracing.Summarizer
	tracing.StatsReporter
	tracing.ExportReporter
} = (*Backend)(nil)
