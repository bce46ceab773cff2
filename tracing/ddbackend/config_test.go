package ddbackend_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestBadSettings: values dd-trace-go would warn about and replace by a
// default are errors here, naming the variable.
func TestBadSettings(t *testing.T) {
	rulesFile := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rulesFile, []byte(`[{"sample_rate": "lots"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env  map[string]string
		opts []ddbackend.Option
		want string
	}{
		{env: map[string]string{"DD_TRACE_AGENT_URL": "localhost:8126"}, want: `DD_TRACE_AGENT_URL="localhost:8126": unsupported scheme`},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "//agent:8126"}, want: "has no scheme"},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "ftp://agent"}, want: `unsupported scheme "ftp"`},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "http://"}, want: "has no host"},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "http://agent:99999"}, want: "not between 1 and 65535"},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "http://agent:8126/v0.4/traces"}, want: "only a scheme, host and port"},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "unix://"}, want: "want unix:///path"},
		{env: map[string]string{"DD_TRACE_AGENT_URL": "http://a b"}, want: "not a URL"},
		{opts: []ddbackend.Option{ddbackend.WithAgentURL("agent")}, want: "WithAgentURL"},
		{env: map[string]string{"DD_TRACE_AGENT_PORT": "eighty"}, want: "DD_TRACE_AGENT_PORT"},
		{env: map[string]string{"DD_AGENT_HOST": "http://agent"}, want: "DD_AGENT_HOST"},
		{env: map[string]string{"DD_AGENT_HOST": "agent:8126"}, want: "DD_AGENT_HOST"},
		{env: map[string]string{"DD_TRACE_SAMPLE_RATE": "1.5"}, want: "DD_TRACE_SAMPLE_RATE"},
		{env: map[string]string{"DD_TRACE_SAMPLE_RATE": "half"}, want: "DD_TRACE_SAMPLE_RATE"},
		{opts: []ddbackend.Option{ddbackend.WithSampleRate(-0.1)}, want: "WithSampleRate"},
		{env: map[string]string{"DD_TRACE_SAMPLING_RULES": `[{"service":"notes"`}, want: "DD_TRACE_SAMPLING_RULES: unparsable"},
		{env: map[string]string{"DD_TRACE_SAMPLING_RULES": `[{"sample_rate": 2}]`}, want: "out of [0.0, 1.0] range"},
		{env: map[string]string{"DD_TRACE_SAMPLING_RULES_FILE": rulesFile}, want: "DD_TRACE_SAMPLING_RULES_FILE"},
		{env: map[string]string{"DD_TRACE_SAMPLING_RULES_FILE": rulesFile + ".missing"}, want: "DD_TRACE_SAMPLING_RULES_FILE"},
		{env: map[string]string{"DD_SPAN_SAMPLING_RULES": `{}`}, want: "DD_SPAN_SAMPLING_RULES"},
		{env: map[string]string{"DD_TRACE_PROPAGATION_STYLE": "w3c"}, want: `unknown propagation style "w3c"`},
		{env: map[string]string{"DD_TRACE_PROPAGATION_STYLE": "datadog, tracecontext"}, want: `unknown propagation style " tracecontext"`},
		{env: map[string]string{"DD_TRACE_PROPAGATION_STYLE_EXTRACT": "datadog,none"}, want: "none cannot be combined"},
		{env: map[string]string{"DD_TRACE_DEBUG": "maybe"}, want: "DD_TRACE_DEBUG"},
		{env: map[string]string{"DD_TRACE_ENABLED": "nope"}, want: "DD_TRACE_ENABLED"},
		{env: map[string]string{"DD_TRACE_SPAN_ATTRIBUTE_SCHEMA": "v2"}, want: "DD_TRACE_SPAN_ATTRIBUTE_SCHEMA"},
		{env: map[string]string{"DD_TRACE_RATE_LIMIT": "-1"}, want: "DD_TRACE_RATE_LIMIT"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			b, err := ddbackend.New(c.opts...)
			if err == nil {
				tracingtest.Shutdown(t, b)
				t.Fatalf("New accepted %v", c.env)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// TestSeveralErrors: every bad value is reported at once.
func TestSeveralErrors(t *testing.T) {
	t.Setenv("DD_TRACE_SAMPLE_RATE", "2")
	t.Setenv("DD_TRACE_PROPAGATION_STYLE", "zipkin")
	_, err := ddbackend.New()
	if err == nil || !strings.Contains(err.Error(), "DD_TRACE_SAMPLE_RATE") || !strings.Contains(err.Error(), "zipkin") {
		t.Errorf("error %v", err)
	}
}

// TestSummaryAndRegistry: the backend is registered as datadog and dd,
// takes its options through tracing.WithBackendOptions, and FromEnv
// prints its summary.
func TestSummaryAndRegistry(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	t.Setenv("DD_SERVICE", "notes")
	t.Setenv("DD_ENV", "prod")
	t.Setenv("DD_VERSION", "1.2.3")
	t.Setenv("DD_TRACE_SAMPLING_RULES", `[{"service":"notes","sample_rate":0.5}]`)
	t.Setenv("DD_TRACE_SAMPLE_RATE", "0.25")
	t.Setenv(tracing.EnvBackend, "dd")
	var out bytes.Buffer
	tr, err := tracing.FromEnv(bg(), tracing.WithSummary(&out),
		tracing.WithBackendOptions(ddbackend.WithAgentURL(a.URL()), ddbackend.WithStartOptions(v2tracer.WithLogger(ddLog))))
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, tr.Backend().(*ddbackend.Backend))
	want := "polytrace: backend=datadog service=notes env=prod version=1.2.3 destination=" + a.URL() +
		` sampler="by the sampling rules, at most 100 traces a second (datadog rules=1,rate=0.25,limit=100/s)" propagators=datadog,tracecontext,baggage` + "\n"
	if out.String() != want {
		t.Errorf("summary\n got %q\nwant %q", out.String(), want)
	}
	if !slices.Contains(tracing.Backends(), "datadog") || !slices.Contains(tracing.Backends(), "dd") {
		t.Errorf("registered backends %v", tracing.Backends())
	}
}

// TestIdentityFallback: without DD_SERVICE, DD_ENV and DD_VERSION the
// identity comes from the OpenTelemetry (or Jaeger) variables, and reaches
// the spans.
func TestIdentityFallback(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "notes-otel")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,service.version=2.0.0")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	if s := b.Summary(); s.Service != "notes-otel" || s.Environment != "staging" || s.Version != "2.0.0" {
		t.Errorf("summary %+v", s)
	}
	_, sp := tracing.New(b).Start(bg(), "x")
	sp.End()
	tracingtest.Shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "x")
	if s.Service != "notes-otel" || s.Meta["env"] != "staging" || s.Meta["version"] != "2.0.0" {
		t.Errorf("span service %q env %q version %q", s.Service, s.Meta["env"], s.Meta["version"])
	}

	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("JAEGER_SERVICE_NAME", "notes-jaeger")
	a2 := newAgent(t, ddtest.Config{})
	tr, err := tracing.Open(bg(), "datadog", tracing.WithEnvironment("code-env"),
		tracing.WithBackendOptions(ddbackend.WithAgentURL(a2.URL())))
	if err != nil {
		t.Fatal(err)
	}
	if s := tr.Summary(); s.Service != "notes-jaeger" || s.Environment != "code-env" {
		t.Errorf("summary %+v", s)
	}
	tracingtest.Shutdown(t, tr.Backend().(*ddbackend.Backend))
}

// TestOneActiveBackend: dd-trace-go's tracer is process-global, so a
// second backend is refused until the first is shut down, and a tracer
// started with dd-trace-go's own tracer.Start is not silently replaced.
func TestOneActiveBackend(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	if _, err := ddbackend.New(ddbackend.WithAgentURL(a.URL())); !errors.Is(err, ddbackend.ErrActive) {
		t.Errorf("second New: %v, want ErrActive", err)
	}
	if _, err := tracing.Open(bg(), "datadog", tracing.WithBackendOptions(ddbackend.WithAgentURL(a.URL()))); !errors.Is(err, ddbackend.ErrActive) {
		t.Errorf("Open while active: %v, want ErrActive", err)
	}
	tracingtest.Shutdown(t, b)
	b2 := newBackend(t, a)
	tracingtest.Shutdown(t, b2)

	if err := v2tracer.Start(v2tracer.WithAgentURL(a.URL()), v2tracer.WithLogger(ddLog)); err != nil {
		t.Fatal(err)
	}
	_, err := ddbackend.New(ddbackend.WithAgentURL(a.URL()))
	v2tracer.Stop()
	if !errors.Is(err, ddbackend.ErrForeignTracer) {
		t.Errorf("New over a running dd tracer: %v, want ErrForeignTracer", err)
	}
}

// TestFormatIDs: Datadog log correlation ids.
func TestFormatIDs(t *testing.T) {
	sc := tracing.NewSpanContext(tracing.SpanContextConfig{
		TraceID: tracing.TraceIDFromUint64s(0x6b01fd4300000000, 42), SpanID: tracing.SpanIDFromUint64(7),
	})
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	if tid, sid := b.FormatIDs(sc); tid != "42" || sid != "7" {
		t.Errorf("FormatIDs = %s, %s; want 42, 7", tid, sid)
	}
	if tid, sid := b.FormatIDs(tracing.SpanContext{}); tid != "" || sid != "" {
		t.Errorf("FormatIDs of an invalid context = %q, %q", tid, sid)
	}
	tracingtest.Shutdown(t, b)
	t.Setenv("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", "true")
	b = newBackend(t, a)
	if tid, _ := b.FormatIDs(sc); tid != "6b01fd4300000000000000000000002a" {
		t.Errorf("FormatIDs with 128-bit logging = %s", tid)
	}
}

// TestDisabled: with DD_TRACE_ENABLED=false nothing is recorded, but an
// extracted context still propagates.
func TestDisabled(t *testing.T) {
	t.Setenv("DD_TRACE_ENABLED", "false")
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a)
	tr := tracing.New(b)
	if s := tr.Summary(); s.Sampler != "nothing: tracing disabled (DD_TRACE_ENABLED=false)" {
		t.Errorf("sampler %q", s.Sampler)
	}
	_, sp := tr.Start(bg(), "nothing")
	if sp.IsRecording() || sp.SpanContext().IsValid() {
		t.Error("disabled backend recorded a span")
	}
	sp.End()
	h := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	ctx, child := tr.Start(tr.Extract(bg(), tracing.MapCarrier(h)), "child")
	out := tracing.MapCarrier{}
	tr.Inject(ctx, out)
	child.End()
	if out["traceparent"] != h["traceparent"] {
		t.Errorf("disabled backend injected %v, want the extracted context forwarded", out)
	}
	tracingtest.Shutdown(t, b)
	if n := len(a.Spans()); n != 0 {
		t.Errorf("%d spans sent while disabled", n)
	}
}
