package otelbackend

import (
	"context"
	"fmt"
	"net/url"
	"path"

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
	var headers map[string]string
	if c.headers != nil {
		headers = map[string]string{}
		for k, v := range oe.headers {
			headers[k] = v
		}
		for k, v := range c.headers {
			headers[k] = v
		}
	}
	if !c.sdkExporter {
		// The backend's own OTLP exporter, configured as the SDK's would be.
		cfg := resolveOTLPConfig(proto, codeEndpoint, headers)
		plan.create = func(context.Context) (sdktrace.SpanExporter, error) { return newOTLPExporter(cfg) }
		return plan, nil
	}
	if codeEndpoint == "" && c.protocol == "" && c.headers == nil {
		plan.create = autoexportCreate
		return plan, nil
	}
	if headers == nil {
		headers = oe.headers
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

// Stats implements tracing.StatsReporter, from the backend's batching
// processor, which counts every span as it happens: Ended the sampled
// spans it took (with WithTracerProvider: the spans the facade ended,
// which count as exported: the application's provider decides what
// becomes of them), Exported the spans in exports that succeeded,
// Dropped those lost (DroppedBy says why: queue full, export failed, too
// large, ended after Shutdown, abandoned at Shutdown's deadline) and
// Pending those queued or being exported.
func (b *Backend) Stats() tracing.Stats { return b.stats.Stats() }

// ExportStats implements tracing.ExportReporter: the export requests of
// the batching processor (one per batch, the exporter's retries
// included) and how long they took.
func (b *Backend) ExportStats() tracing.ExportStats { return b.stats.ExportStats() }

// noteEnd counts a facade span about to end outside the batching
// processor: with the application's provider (delivered to it), or after
// Shutdown (dropped).
func (b *Backend) noteEnd(os trace.Span) {
	if !os.IsRecording() || !os.SpanContext().IsSampled() {
		return
	}
	if b.owned {
		b.stats.AddDropped(backendkit.DropAfterShutdown, 1)
	} else {
		b.stats.AddEnded(1)
		b.stats.AddExported(1)
	}
}
