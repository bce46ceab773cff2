package otelbackend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// ScopeName is the instrumentation scope of the spans the facade starts.
const ScopeName = "github.com/polytrace/polytrace/tracing"

// Backend is the OpenTelemetry backend. Besides tracing.Backend it
// implements tracing.Propagator, tracing.Flusher, tracing.Summarizer and
// tracing.StatsReporter.
type Backend struct {
	tp      trace.TracerProvider     // where spans start
	sdk     *sdktrace.TracerProvider // the provider the backend built, or nil
	owned   bool                     // sdk is set and the backend shuts it down
	tracer  trace.Tracer
	prop    *propagator
	interop *interopProvider
	summary tracing.Summary

	closed   atomic.Bool
	stats    backendkit.Counters
	bsp      *batcher // the batching processor, when the backend built the provider with an exporter
	meter    *selfMetrics
	valueLen int // the attribute value length limit (-1: none), for what the SDK does not truncate
}

var (
	_ tracing.Backend        = (*Backend)(nil)
	_ tracing.Propagator     = (*Backend)(nil)
	_ tracing.Flusher        = (*Backend)(nil)
	_ tracing.Summarizer     = (*Backend)(nil)
	_ tracing.StatsReporter  = (*Backend)(nil)
	_ tracing.ExportReporter = (*Backend)(nil)
)

func init() {
	tracing.Register("otel", func(ctx context.Context, s tracing.Settings) (tracing.Backend, error) {
		return newBackend(ctx, s, backendkit.Options[Option](s))
	})
}

// New returns a backend configured from the OpenTelemetry environment
// variables (see the package documentation) and opts, which override them.
// A bad value in either is an error.
func New(opts ...Option) (*Backend, error) {
	b, err := newBackend(context.Background(), tracing.Settings{}, opts)
	if err != nil {
		return nil, fmt.Errorf("otelbackend: %w", err)
	}
	return b, nil
}

func newBackend(ctx context.Context, s tracing.Settings, opts []Option) (*Backend, error) {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	// Identity given as backend options wins, as tracing's own options do.
	s = backendkit.OverrideIdentity(s, c.service, c.environment, c.version)
	b, err := build(ctx, s, &c)
	if err != nil {
		return nil, err
	}
	b.interop = &interopProvider{b: b}
	b.tracer = b.tp.Tracer(ScopeName)
	if c.meterProvider != nil {
		if b.meter, err = newSelfMetrics(b, c.meterProvider); err != nil {
			_ = b.Shutdown(context.Background())
			return nil, err
		}
	}
	if !c.noGlobal {
		otel.SetTracerProvider(b.interop)
		otel.SetTextMapPropagator(b.prop)
	}
	return b, nil
}

// build validates the configuration and makes the pipeline. Every check
// runs before anything is started, and all errors are reported together.
func build(ctx context.Context, s tracing.Settings, c *config) (*Backend, error) {
	var errs []error
	b := &Backend{valueLen: -1}

	// Propagation applies whatever provides the spans.
	switch {
	case c.propagator != nil:
		b.prop = &propagator{inject: c.propagator, extract: c.propagator, names: []string{"custom"}}
	default:
		p, names, err := propagatorsFromEnv()
		if err != nil {
			errs = append(errs, err)
			b.prop = &propagator{} // not used: build fails
		} else if p != nil {
			b.prop = &propagator{inject: p, extract: p, names: names}
		} else {
			b.prop = defaultPropagator()
		}
	}

	id := backendkit.ResolveIdentity(backendkit.VendorOTel, s)
	b.summary = tracing.Summary{Backend: "otel", Service: id.Service, Environment: id.Environment,
		Version: id.Version, Propagators: b.prop.names}

	if c.provider != nil {
		b.tp = c.provider
		b.summary.Destination = fmt.Sprintf("application's TracerProvider (%T)", c.provider)
		b.summary.Sampler = "-"
		return b, errors.Join(errs...)
	}

	disabled, _, err := otelBool(envSDKDisabled)
	if err != nil {
		errs = append(errs, err)
	}
	if disabled {
		b.tp = noop.NewTracerProvider()
		b.summary.Destination = "none (" + envSDKDisabled + "=true)"
		b.summary.Sampler = "-"
		return b, errors.Join(errs...)
	}

	if _, err := backendkit.ResourceAttributes(); err != nil {
		errs = append(errs, err)
	}
	sampler, samplerDesc := c.sampler, ""
	if sampler != nil {
		samplerDesc = sampler.Description()
	} else {
		sampler, samplerDesc, err = samplerFromEnv()
		if err != nil {
			errs = append(errs, err)
		}
		if sampler == nil {
			sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
		}
	}
	b.summary.Sampler = describeSampler(samplerDesc)
	if err := checkBatchAndLimits(); err != nil {
		errs = append(errs, err)
	}
	plan, err := planExporter(c)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	res, err := buildResource(ctx, id, c.resource)
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if plan.create != nil {
		if exp, err = plan.create(ctx); err != nil {
			return nil, err
		}
	}
	b.summary.Destination = plan.destination
	limits := spanLimits(c.limits)
	b.valueLen = limits.AttributeValueLengthLimit
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler),
		sdktrace.WithRawSpanLimits(limits)}
	if exp != nil {
		b.bsp = newBatcher(exp, batchSettings(c.batch), &b.stats)
		b.stats.WarnDrops(backendkit.NewWarnings("otel", nil), plan.destination)
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(b.bsp))
	}
	b.sdk = sdktrace.NewTracerProvider(tpOpts...)
	b.tp, b.owned = b.sdk, true
	return b, nil
}

// describeSampler says in plain words what a sampler described by its
// OTEL_TRACES_SAMPLER name (and ":ratio") records, with that name in
// parentheses.
func describeSampler(desc string) string {
	name, arg, _ := strings.Cut(desc, ":")
	ratio := arg + " of new traces"
	if r, err := strconv.ParseFloat(arg, 64); err == nil {
		ratio = strconv.FormatFloat(r*100, 'g', 4, 64) + "% of new traces"
	}
	var words string
	switch name {
	case "parentbased_always_on":
		words = "every trace, continued ones as the caller decided"
	case "always_on":
		words = "every span"
	case "always_off":
		words = "no span"
	case "parentbased_always_off":
		words = "no new trace; continued ones as the caller decided"
	case "traceidratio":
		words = ratio + ", whatever the caller decided"
	case "parentbased_traceidratio":
		words = ratio + ", continued ones as the caller decided"
	default:
		return desc
	}
	return words + " (" + desc + ")"
}

// buildResource describes the service: the host and the SDK, then
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, then the identity
// resolved across vendors (which differs from the OTel variables only where
// they are unset or code overrode them), then attributes set in code.
func buildResource(ctx context.Context, id backendkit.Identity, extra []attribute.KeyValue) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", id.Service)}
	if id.Environment != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", id.Environment))
	}
	if id.Version != "" {
		attrs = append(attrs, attribute.String("service.version", id.Version))
	}
	attrs = append(attrs, extra...)
	r, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv(),
		resource.WithAttributes(attrs...))
	if r == nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	// A partial resource (a detector failed, for example the host name)
	// is still worth sending; OTEL_RESOURCE_ATTRIBUTES was checked before.
	return r, nil
}

// Shutdown implements tracing.Backend. With a provider the backend built,
// it flushes and shuts it down, by ctx's deadline: exports still running
// then are aborted. With the application's own provider (WithTracerProvider)
// it only flushes it. Spans ended afterwards are dropped and counted in
// Stats. Calls after the first do nothing.
func (b *Backend) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !b.closed.CompareAndSwap(false, true) {
		// Later calls wait for the first to be over: the exports it
		// abandoned at its deadline to end, and the exporter to close.
		if b.bsp != nil {
			return b.bsp.wait(ctx)
		}
		return nil
	}
	if !b.owned {
		return b.flushProvider(ctx)
	}
	return b.sdk.Shutdown(ctx)
}

// ForceFlush implements tracing.Flusher: it exports the spans that have
// ended, by ctx's deadline.
func (b *Backend) ForceFlush(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !b.owned {
		return b.flushProvider(ctx)
	}
	return b.sdk.ForceFlush(ctx)
}

func (b *Backend) flushProvider(ctx context.Context) error {
	if f, ok := b.tp.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

// Summary implements tracing.Summarizer.
func (b *Backend) Summary() tracing.Summary {
	s := b.summary
	s.Propagators = append([]string(nil), s.Propagators...)
	return s
}

// TracerProvider returns an OpenTelemetry TracerProvider whose spans are
// also facade spans: tracing.SpanFromContext sees them in the contexts its
// tracers return. The backend installs it as the global provider unless
// WithoutGlobal is given; pass it to instrumentation configured explicitly
// (for example otelhttp.WithTracerProvider).
func (b *Backend) TracerProvider() trace.TracerProvider { return b.interop }
