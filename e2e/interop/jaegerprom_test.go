package interop_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	jprom "github.com/uber/jaeger-lib/metrics/prometheus"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

// TestPrometheusMetrics: the seed service's Prometheus metrics keep
// working through jaeger-lib's Prometheus factory (jaeger_tracer_*).
func TestPrometheusMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := jaegertest.StartAgent(t)
	host, port := a.HostPort()
	for k, v := range map[string]string{"JAEGER_SERVICE_NAME": "prom", "JAEGER_AGENT_HOST": host, "JAEGER_AGENT_PORT": port,
		"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "1"} {
		t.Setenv(k, v)
	}
	b, err := jaegerbackend.New(jaegerbackend.WithMetricsFactory(jprom.New(jprom.WithRegisterer(reg))))
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "counted")
	sp.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if c := m.GetCounter(); c != nil {
				labels := ""
				for _, l := range m.GetLabel() {
					labels += "," + l.GetName() + "=" + l.GetValue()
				}
				got[f.GetName()+labels] += c.GetValue()
			}
		}
	}
	if got["jaeger_tracer_started_spans_total,sampled=y"] != 1 || got["jaeger_tracer_reporter_spans_total,result=ok"] != 1 {
		t.Errorf("prometheus counters %v", got)
	}
}
