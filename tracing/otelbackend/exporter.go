package otelbackend

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"sync/atomic"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// exporterPlan is a validated choice of exporter, made before anything is
// started.
type exporterPlan struct {
	destination string
	create      func(context.Context) (sdktrace.SpanExporter, error) // nil: no exporter
}

// planExporter chooses the exporter: the one given in code, else the one
// OTEL_TRACES_EXPORTER names, built by autoexport unless code options
// change the OTLP endpoint, protocol or headers (autoexport reads only the
// environment).
func planExporter(c *config) (exporterPlan, error) {
	if c.exporter != nil {
		e := c.exporter
		return exporterPlan{
			destination: fmt.Sprintf("exporter %T", e),
			create:      func(context.Context) (sdktrace.SpanExporter, error) { return e, nil },
		}, nil
	}
	name, err := checkExporterName()
	if err != nil {
		return exporterPlan{}, err
	}
	switch name {
	case "none":
		return exporterPlan{destination: "none"}, nil
	case "console":
		return exporterPlan{destination: "console (stdout)", create: autoexportCreate}, nil
	case "otlp":
	default:
		// Possibly registered with autoexport.RegisterSpanExporter; its
		// error says otherwise.
		return exporterPlan{destination: name, create: autoexportCreate}, nil
	}

	oe, err := readOTLPEnv()
	if err != nil {
		return exporterPlan{}, err
	}
	proto := oe.protocol
	if c.protocol != "" {
		if c.protocol != ProtocolGRPC && c.protocol != ProtocolHTTPProtobuf {
			return exporterPlan{}, fmt.Errorf("WithProtocol(%q): want grpc or http/protobuf", c.protocol)
		}
		proto = c.protocol
	}
	endpoint, perSignal := oe.endpoint, oe.perSignal
	codeEndpoint := c.endpoint
	if codeEndpoint != "" {
		if err := checkEndpoint("WithEndpointURL", codeEndpoint); err != nil {
			return exporterPlan{}, err
		}
	} else if endpoint == "" && !oe.insecureSet {
		// The specification's default is plain HTTP/2 or HTTP to
		// localhost; the Go exporters default to TLS there, which no
		// local collector speaks out of the box.
		codeEndpoint = defaultEndpoints[proto]
	}
	if codeEndpoint != "" {
		endpoint, perSignal = codeEndpoint, true
	}
	plan := exporterPlan{destination: "otlp " + string(proto) + " " + otlpURL(proto, endpoint, perSignal, oe, codeEndpoint != "")}
	if codeEndpoint == "" && c.protocol == "" && c.headers == nil {
		plan.create = autoexportCreate
		return plan, nil
	}
	headers := oe.headers
	if c.headers != nil {
		merged := map[string]string{}
		for k, v := range oe.headers {
			merged[k] = v
		}
		for k, v := range c.headers {
			merged[k] = v
		}
		headers = merged
	}
	plan.create = func(ctx context.Context) (sdktrace.SpanExporter, error) {
		if proto == ProtocolGRPC {
			var opts []otlptracegrpc.Option
			if codeEndpoint != "" {
				opts = append(opts, otlptracegrpc.WithEndpointURL(codeEndpoint))
			}
			if headers != nil {
				opts = append(opts, otlptracegrpc.WithHeaders(headers))
			}
			return otlptracegrpc.New(ctx, opts...)
		}
		var opts []otlptracehttp.Option
		if codeEndpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpointURL(codeEndpoint))
		}
		if headers != nil {
			opts = append(opts, otlptracehttp.WithHeaders(headers))
		}
		return otlptracehttp.New(ctx, opts...)
	}
	return plan, nil
}

// defaultEndpoints are the specification's default OTLP endpoints.
var defaultEndpoints = map[Protocol]string{
	ProtocolGRPC:         "http://localhost:4317",
	ProtocolHTTPProtobuf: "http://localhost:4318/v1/traces",
}

func autoexportCreate(ctx context.Context) (sdktrace.SpanExporter, error) {
	e, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w (want otlp, console or none)", envExporter, raw(envExporter), err)
	}
	return e, nil
}

// otlpURL describes where the OTLP exporter sends, as the exporters work it
// out: a per-signal (or code) URL as is, a generic one plus /v1/traces for
// HTTP; TLS unless the scheme is http, which OTEL_EXPORTER_OTLP_INSECURE
// overrides for environment URLs; the Go exporters' defaults otherwise
// (note: TLS to localhost, unlike other SDKs).
func otlpURL(proto Protocol, endpoint string, perSignal bool, oe otlpEnv, fromCode bool) string {
	scheme, host, p := "https", "localhost:4318", "/v1/traces"
	if proto == ProtocolGRPC {
		host, p = "localhost:4317", ""
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil {
			return endpoint
		}
		scheme, host = u.Scheme, u.Host
		switch {
		case proto == ProtocolGRPC:
			p = ""
		case perSignal:
			p = u.Path
			if p == "" {
				p = "/"
			}
		default:
			p = path.Join(u.Path, "/v1/traces")
		}
	}
	if oe.insecureSet && !fromCode {
		scheme = "https"
		if oe.insecure {
			scheme = "http"
		}
	}
	return scheme + "://" + host + p
}

// stats counts spans for tracing.StatsReporter, from a span processor in
// front of the batch processor and an exporter behind it.
type stats struct {
	// Ended: sampled spans handed to the batch processor; Exported:
	// spans in exports that succeeded; dropped: DropExportFailed the
	// spans in exports that failed, DropAfterShutdown those ended after
	// Shutdown.
	backendkit.Counters
	// lost is a lower bound of the spans the batch processor dropped
	// (queue full) without telling, settled after each ForceFlush; once
	// the processor has drained (drained), ended-exported-failed is exact.
	lost    atomic.Uint64
	drained atomic.Bool
}

// settle updates lost after a successful flush that began when ended
// spans had ended: all of them have been exported, failed, or dropped.
func (s *stats) settle(ended uint64) {
	done := s.Exported() + s.Dropped(backendkit.DropExportFailed)
	if ended <= done {
		return
	}
	for {
		old := s.lost.Load()
		if ended-done <= old || s.lost.CompareAndSwap(old, ended-done) {
			return
		}
	}
}

// Stats implements tracing.StatsReporter. Ended counts sampled spans
// handed to the exporter's batch processor (with WithTracerProvider: spans
// the facade ended), Exported the spans in exports that succeeded, and
// Dropped the spans in exports that failed, those ended after Shutdown,
// and those the batch processor dropped because its queue was full: the
// SDK does not report these, so they are counted at each ForceFlush (a
// lower bound while spans keep ending) and exactly once Shutdown has
// drained the processor.
func (b *Backend) Stats() tracing.Stats {
	s := &b.stats
	drained := s.drained.Load()
	ended, exported, failed := s.Ended(), s.Exported(), s.Dropped(backendkit.DropExportFailed)
	// Spans neither exported nor failed are queued, being exported, or
	// were dropped from the full queue: lost is a lower bound of the
	// latter while the processor runs, and all of them once it has
	// drained.
	var unaccounted uint64
	if ended > exported+failed {
		unaccounted = ended - exported - failed
	}
	lost := min(s.lost.Load(), unaccounted)
	if drained {
		lost = unaccounted
	}
	return tracing.Stats{Ended: ended, Exported: exported, Dropped: failed + lost + s.Dropped(backendkit.DropAfterShutdown)}
}

// noteEnd counts a span about to end outside the counting processor: with
// the application's provider, or after Shutdown.
func (b *Backend) noteEnd(os trace.Span) {
	if !os.IsRecording() || !os.SpanContext().IsSampled() {
		return
	}
	if b.owned {
		b.stats.AddDropped(backendkit.DropAfterShutdown, 1)
	} else {
		b.stats.AddEnded(1)
	}
}

// countingProcessor counts the spans it hands to the batch processor.
type countingProcessor struct {
	sdktrace.SpanProcessor
	st *stats
}

func (p *countingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		p.st.AddEnded(1)
	}
	p.SpanProcessor.OnEnd(s)
}

// countingExporter counts export outcomes, and aborts exports when the
// backend's Shutdown has returned (stop is done): the batch processor
// keeps exporting in the background after its Shutdown gave up at the
// caller's deadline, with a context of its own, for up to its export
// timeout per batch, against a collector that never answers.
type countingExporter struct {
	next sdktrace.SpanExporter
	st   *stats
	stop context.Context
}

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(e.stop, cancel)
	err := e.next.ExportSpans(ctx, spans)
	unhook()
	cancel()
	if err != nil {
		e.st.AddDropped(backendkit.DropExportFailed, uint64(len(spans)))
	} else {
		e.st.AddExported(uint64(len(spans)))
	}
	return err
}

func (e *countingExporter) Shutdown(ctx context.Context) error {
	err := e.next.Shutdown(ctx)
	e.st.drained.Store(true)
	return err
}
