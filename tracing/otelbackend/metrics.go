package otelbackend

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// WithMeterProvider publishes the backend's own metrics through mp (an
// OpenTelemetry MeterProvider, for example the application's metrics SDK
// provider or otel.GetMeterProvider()), under the meter named ScopeName:
//
//	polytrace.spans.ended      counter  spans ended (Stats.Ended)
//	polytrace.spans.exported   counter  spans the collector accepted
//	polytrace.spans.dropped    counter  spans lost, by reason ("queue_full",
//	                                    "export_failed", "too_large",
//	                                    "after_shutdown", "shutdown_deadline")
//	polytrace.spans.pending    gauge    spans queued or being exported
//	polytrace.exports          counter  export requests, by outcome
//	                                    ("success", "failure")
//	polytrace.export.duration  histogram (s) how long export requests took
//
// The counts are observed from Stats when the provider collects; the
// durations are recorded as each export ends. They stay registered after
// Shutdown, so that the final counts (what Shutdown abandoned included)
// reach the application's metrics pipeline, which shuts down after
// tracing.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meterProvider = mp }
}

// selfMetrics are the backend's instruments.
type selfMetrics struct {
	duration metric.Float64Histogram
}

var (
	outcomeSuccess = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "success")))
	outcomeFailure = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "failure")))
	dropReasonAttr = func() (out [len(backendkit.DropReasons)]metric.ObserveOption) {
		for i, r := range backendkit.DropReasons {
			out[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r.String())))
		}
		return out
	}()
)

func newSelfMetrics(b *Backend, mp metric.MeterProvider) (*selfMetrics, error) {
	m := mp.Meter(ScopeName)
	ended, err := m.Int64ObservableCounter("polytrace.spans.ended", metric.WithUnit("{span}"),
		metric.WithDescription("Spans ended and handed to the tracing backend."))
	if err != nil {
		return nil, err
	}
	exported, err := m.Int64ObservableCounter("polytrace.spans.exported", metric.WithUnit("{span}"),
		metric.WithDescription("Spans the collector accepted."))
	if err != nil {
		return nil, err
	}
	dropped, err := m.Int64ObservableCounter("polytrace.spans.dropped", metric.WithUnit("{span}"),
		metric.WithDescription("Spans lost, by reason."))
	if err != nil {
		return nil, err
	}
	pending, err := m.Int64ObservableGauge("polytrace.spans.pending", metric.WithUnit("{span}"),
		metric.WithDescription("Spans queued or being exported."))
	if err != nil {
		return nil, err
	}
	exports, err := m.Int64ObservableCounter("polytrace.exports", metric.WithUnit("{request}"),
		metric.WithDescription("Export requests that finished, by outcome."))
	if err != nil {
		return nil, err
	}
	sm := &selfMetrics{}
	sm.duration, err = m.Float64Histogram("polytrace.export.duration", metric.WithUnit("s"),
		metric.WithDescription("How long export requests took."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	if err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := b.Stats()
		o.ObserveInt64(ended, int64(st.Ended))
		o.ObserveInt64(exported, int64(st.Exported))
		for i, r := range backendkit.DropReasons {
			o.ObserveInt64(dropped, int64(r.Count(st.DroppedBy)), dropReasonAttr[i])
		}
		o.ObserveInt64(pending, int64(st.Pending))
		es := b.ExportStats()
		o.ObserveInt64(exports, int64(es.Requests-es.Failed), outcomeSuccess)
		o.ObserveInt64(exports, int64(es.Failed), outcomeFailure)
		return nil
	}, ended, exported, dropped, pending, exports)
	if err != nil {
		return nil, err
	}
	if b.bsp != nil {
		rec := sm.record
		b.bsp.observe.Store(&rec)
	}
	return sm, nil
}

// record records an export's duration.
func (sm *selfMetrics) record(d time.Duration, failed bool) {
	opt := outcomeSuccess
	if failed {
		opt = outcomeFailure
	}
	sm.duration.Record(context.Background(), d.Seconds(), opt)
}
