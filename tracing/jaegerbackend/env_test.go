package jaegerbackend_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/uber/jaeger-lib/metrics/metricstest"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestConfigErrors: bad values are errors that name the variable, never
// panics (config.FromEnv itself panics on some JAEGER_TAGS values) nor
// silently ignored.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"JAEGER_ENDPOINT": "localhost:14268/api/traces"}, "JAEGER_ENDPOINT"},
		{map[string]string{"JAEGER_ENDPOINT": "ftp://collector/api/traces"}, "JAEGER_ENDPOINT"},
		{map[string]string{"JAEGER_ENDPOINT": "http://[::1"}, "JAEGER_ENDPOINT"},
		{map[string]string{"JAEGER_ENDPOINT": "http://c:14268", "JAEGER_USER": "u"}, "JAEGER_PASSWORD"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "1.5"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "probabilistic", "JAEGER_SAMPLER_PARAM": "NaN"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0.5"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "ratelimiting", "JAEGER_SAMPLER_PARAM": "-1"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "remote", "JAEGER_SAMPLER_PARAM": "2"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_PARAM": "half"}, "JAEGER_SAMPLER_PARAM"},
		{map[string]string{"JAEGER_SAMPLER_TYPE": "adaptive"}, "JAEGER_SAMPLER_TYPE"},
		{map[string]string{"JAEGER_SAMPLING_ENDPOINT": "jaeger-agent:5778"}, "JAEGER_SAMPLING_ENDPOINT"},
		{map[string]string{"JAEGER_AGENT_PORT": "70000"}, "JAEGER_AGENT_PORT"},
		{map[string]string{"JAEGER_AGENT_PORT": "six"}, "JAEGER_AGENT_PORT"},
		{map[string]string{"JAEGER_TAGS": "team"}, "JAEGER_TAGS"},
		{map[string]string{"JAEGER_TAGS": "a=b,"}, "JAEGER_TAGS"},
		{map[string]string{"JAEGER_TAGS": "region=${REGION}"}, "JAEGER_TAGS"},
		{map[string]string{"JAEGER_DISABLED": "maybe"}, "JAEGER_DISABLED"},
		{map[string]string{"JAEGER_REPORTER_MAX_QUEUE_SIZE": "-5"}, "JAEGER_REPORTER_MAX_QUEUE_SIZE"},
		{map[string]string{"JAEGER_REPORTER_FLUSH_INTERVAL": "soon"}, "JAEGER_REPORTER_FLUSH_INTERVAL"},
		{map[string]string{"JAEGER_REPORTER_FLUSH_INTERVAL": "-1s"}, "JAEGER_REPORTER_FLUSH_INTERVAL"},
		{map[string]string{jaegerbackend.EnvPropagation: "b3"}, jaegerbackend.EnvPropagation},
		{map[string]string{jaegerbackend.EnvPropagation: "jaeger,zipkin"}, jaegerbackend.EnvPropagation},
		{map[string]string{jaegerbackend.EnvPropagation: " , "}, jaegerbackend.EnvPropagation},
	} {
		t.Run(c.want, func(t *testing.T) {
			vars := map[string]string{"JAEGER_SERVICE_NAME": "x"}
			for k, v := range c.vars {
				vars[k] = v
			}
			tracingtest.IsolateEnv(t, vars)
			b, err := jaegerbackend.New()
			if err == nil {
				_ = b.Shutdown(context.Background())
				t.Fatalf("%v accepted", c.vars)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %q does not name %s", c.vars, err, c.want)
			}
			// Through the registry the error is also returned, with a
			// working no-op tracer.
			t.Setenv(tracing.EnvBackend, "jaeger")
			tr, err := tracing.FromEnv(context.Background(), tracing.WithoutSummary())
			if err == nil || tr == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("FromEnv: %v, %v", tr, err)
			}
		})
	}
	t.Run("WithPropagation()", func(t *testing.T) {
		tracingtest.IsolateEnv(t, nil)
		if _, err := jaegerbackend.New(jaegerbackend.WithPropagation()); err == nil {
			t.Error("no propagation format accepted")
		}
	})
}

// TestRegisteredAndSummary opens the backend by name, with settings and
// backend options as a service would, and checks the startup summary and
// the identity on the wire.
func TestRegisteredAndSummary(t *testing.T) {
	a := jaegertest.StartAgent(t)
	agentEnv(t, a, map[string]string{"JAEGER_SERVICE_NAME": "", tracing.EnvBackend: "jaeger"})
	var out bytes.Buffer
	tr, err := tracing.FromEnv(context.Background(), tracing.WithServiceName("notes"), tracing.WithEnvironment("staging"),
		tracing.WithVersion("2.0.1"), tracing.WithSummary(&out),
		tracing.WithBackendOptions(jaegerbackend.WithPropagation(jaegerbackend.FormatW3C)))
	if err != nil {
		t.Fatal(err)
	}
	host, port := a.HostPort()
	want := "polytrace: backend=jaeger service=notes env=staging version=2.0.1 destination=udp://" + host + ":" + port +
		` sampler="every trace (const 1)" propagators=tracecontext,baggage` + "\n"
	if out.String() != want {
		t.Errorf("summary\n %q\nwant\n %q", out.String(), want)
	}
	ctx, sp := tr.Start(context.Background(), "x")
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	if h.Get("uber-trace-id") != "" || h.Get("traceparent") == "" {
		t.Errorf("backend option WithPropagation not applied: %v", h)
	}
	sp.End()
	_ = tr.Shutdown(context.Background())
	a.Spans(t, 1, wait)
	batches, _ := a.Batches()
	pt := jaegertest.ProcessTags(batches[0])
	if batches[0].Process.ServiceName != "notes" || pt[jaegerbackend.TagEnvironment].String() != "staging" || pt[jaegerbackend.TagVersion].String() != "2.0.1" {
		t.Errorf("process %s %v", batches[0].Process.ServiceName, pt)
	}
}

func TestDefaultSampler(t *testing.T) {
	tracingtest.IsolateEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "x", "JAEGER_AGENT_HOST": "127.0.0.1"})
	b, err := jaegerbackend.New()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())
	s := b.Summary()
	if s.Sampler != "0.1% of new traces until the agent's strategy arrives (remote, initial=0.001, http://127.0.0.1:5778/sampling)" {
		t.Errorf("default sampler %q, want jaeger's remote sampler starting at 0.001 from the agent's host", s.Sampler)
	}
	// The first run explains itself: the note says that almost nothing
	// is recorded, and which variables change that.
	if !strings.Contains(s.Note, "records almost nothing until its agent answers") || !strings.Contains(s.Note, "JAEGER_SAMPLER_TYPE=const JAEGER_SAMPLER_PARAM=1") ||
		!strings.Contains(s.String(), ` note="jaeger's default remote sampler`) {
		t.Errorf("summary note %q (line %s)", s.Note, s)
	}
}

// TestDisabled: JAEGER_DISABLED=true records nothing, yet forwards the
// context it extracted in both formats, as the none backend forwards W3C.
func TestDisabled(t *testing.T) {
	tracingtest.IsolateEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "x", "JAEGER_DISABLED": "true"})
	b, err := jaegerbackend.New()
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	defer tr.Shutdown(context.Background())
	if d := tr.Summary().Destination; !strings.Contains(d, "disabled") {
		t.Errorf("summary destination %q", d)
	}
	in := http.Header{}
	in.Set("uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
	ctx := tr.Extract(context.Background(), tracing.HeaderCarrier(in))
	ctx, sp := tr.Start(ctx, "x")
	if sp.IsRecording() {
		t.Error("a disabled backend records")
	}
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	if !strings.HasPrefix(out.Get("uber-trace-id"), "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:") ||
		out.Get("traceparent") != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Errorf("forwarded %v", out)
	}
	if b.OpenTracingTracer() == nil {
		t.Error("no OpenTracing tracer")
	}
}

// TestLoggerAndMetrics: WithLogger receives jaeger's logging reporter
// (JAEGER_REPORTER_LOG_SPANS), WithMetricsFactory jaeger's metrics.
func TestLoggerAndMetrics(t *testing.T) {
	var logs bytes.Buffer
	mf := metricstest.NewFactory(0)
	b, _ := newAgentBackend(t, map[string]string{"JAEGER_REPORTER_LOG_SPANS": "true"},
		jaegerbackend.WithLogger(jaegerbackend.NewSlogLogger(slog.New(slog.NewTextHandler(&logs, nil)))),
		jaegerbackend.WithMetricsFactory(mf))
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "logged")
	sp.End()
	_ = tr.Shutdown(context.Background())
	if !strings.Contains(logs.String(), "Reporting span") || !strings.Contains(logs.String(), "component=jaeger") {
		t.Errorf("logs %q", logs.String())
	}
	counters, _ := mf.Snapshot()
	if counters["jaeger.tracer.started_spans|sampled=y"] != 1 || counters["jaeger.tracer.reporter_spans|result=ok"] != 1 {
		t.Errorf("metrics %v", counters)
	}
}
