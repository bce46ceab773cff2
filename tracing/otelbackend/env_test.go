package otelbackend_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestBadEnvironment: each bad value is a clear error from the factory,
// naming the variable, so that tracing.FromEnv returns it (with a no-op
// tracer) instead of running with a silent default.
func TestBadEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string // in the error
	}{
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin"`},
		{"exporter list", map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console"}, "only one exporter"},
		{"endpoint without scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4317"}, `OTEL_EXPORTER_OTLP_ENDPOINT="localhost:4317"`},
		{"endpoint without host", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"endpoint bad scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://collector:21"}, "http:// or https://"},
		{"endpoint bad port", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:99999"}, "bad port"},
		{"endpoint unparsable", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://[::1"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"protocol unknown", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, `OTEL_EXPORTER_OTLP_PROTOCOL="thrift"`},
		{"protocol json", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{"headers without value", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key"}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"headers bad key", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "bad key=v"}, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"},
		{"headers bad escape", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "k=%zz"}, "OTEL_EXPORTER_OTLP_HEADERS"},
		{"timeout with unit", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, `OTEL_EXPORTER_OTLP_TIMEOUT="10s"`},
		{"timeout negative", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "-1"}, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"},
		{"insecure not a boolean", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "yes"}, `OTEL_EXPORTER_OTLP_INSECURE="yes"`},
		{"insecure 1", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_INSECURE": "1"}, "want true or false"},
		{"compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, `OTEL_EXPORTER_OTLP_COMPRESSION="zstd"`},
		{"unknown sampler", map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"}, `OTEL_TRACES_SAMPLER="sometimes"`},
		{"unsupported sampler", map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "not supported"},
		{"ratio above 1", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, `OTEL_TRACES_SAMPLER_ARG="1.5"`},
		{"ratio negative", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "-0.1"}, "OTEL_TRACES_SAMPLER_ARG"},
		{"ratio not a number", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG"},
		{"ratio NaN", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "NaN"}, "OTEL_TRACES_SAMPLER_ARG"},
		{"unknown propagator", map[string]string{"OTEL_PROPAGATORS": "tracecontext,w3c"}, `unknown propagators ["w3c"]`},
		{"queue size zero", map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "0"}, "OTEL_BSP_MAX_QUEUE_SIZE"},
		{"batch over queue", map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "200"}, "must not exceed the queue size 100"},
		{"batch over default queue", map[string]string{"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "20000"}, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"},
		{"schedule delay", map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "5s"}, "OTEL_BSP_SCHEDULE_DELAY"},
		{"export timeout", map[string]string{"OTEL_BSP_EXPORT_TIMEOUT": "-1"}, "OTEL_BSP_EXPORT_TIMEOUT"},
		{"attribute count limit", map[string]string{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "ten"}, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT"},
		{"value length limit", map[string]string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "-5"}, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"},
		{"event count limit", map[string]string{"OTEL_SPAN_EVENT_COUNT_LIMIT": "1.5"}, "OTEL_SPAN_EVENT_COUNT_LIMIT"},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED"},
		{"resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "team"}, "OTEL_RESOURCE_ATTRIBUTES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			t.Setenv(tracing.EnvBackend, "otel")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var summary bytes.Buffer
			tr, err := tracing.FromEnv(context.Background(), tracing.WithSummary(&summary))
			if err == nil {
				tracingtest.Shutdown(t, tr.Backend())
				t.Fatalf("FromEnv with %v succeeded (summary %q)", tc.env, summary.String())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tr == nil || tr.Summary().Backend != "none" {
				t.Errorf("FromEnv did not return a no-op tracer with its error")
			}
			if summary.Len() != 0 {
				t.Errorf("a summary was written for a failed configuration: %q", summary.String())
			}
		})
	}
}

func TestBadValuesReportedTogether(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_TRACES_SAMPLER", "sometimes")
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "soon")
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "lots")
	_, err := otelbackend.New(otelbackend.WithoutGlobal())
	if err == nil {
		t.Fatal("New succeeded")
	}
	for _, v := range []string{"OTEL_TRACES_SAMPLER", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not mention %s: %v", v, err)
		}
	}
}

func TestBadCodeOptions(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	for _, opt := range []otelbackend.Option{otelbackend.WithEndpointURL("collector:4317"), otelbackend.WithProtocol("http/json")} {
		if b, err := otelbackend.New(opt, otelbackend.WithoutGlobal()); err == nil {
			tracingtest.Shutdown(t, b)
			t.Errorf("New accepted a bad option")
		}
	}
}

// TestSummary checks the startup summary for the main configurations.
func TestSummary(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		opts []tracing.Option
		want tracing.Summary
	}{
		{"defaults", nil, nil, tracing.Summary{Destination: "otlp http/protobuf http://localhost:4318/v1/traces", Sampler: "every trace, continued ones as the caller decided (parentbased_always_on)"}},
		{"grpc default", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, nil, tracing.Summary{Destination: "otlp grpc http://localhost:4317"}},
		{"go default with insecure=false", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "false"}, nil,
			tracing.Summary{Destination: "otlp http/protobuf https://localhost:4318/v1/traces"}},
		{"generic endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/base"}, nil,
			tracing.Summary{Destination: "otlp http/protobuf http://collector:4318/base/v1/traces"}},
		{"per-signal endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector/traces"}, nil,
			tracing.Summary{Destination: "otlp http/protobuf https://collector/traces"}},
		{"grpc insecure", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_INSECURE": "true"}, nil,
			tracing.Summary{Destination: "otlp grpc http://localhost:4317"}},
		{"grpc per-signal protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, nil,
			tracing.Summary{Destination: "otlp grpc http://collector:4317"}},
		{"console", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, nil, tracing.Summary{Destination: "console (stdout)"}},
		{"none", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, nil, tracing.Summary{Destination: "none"}},
		{"disabled", map[string]string{"OTEL_SDK_DISABLED": "TRUE"}, nil, tracing.Summary{Destination: "none (OTEL_SDK_DISABLED=true)", Sampler: "-"}},
		{"ratio", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}, nil,
			tracing.Summary{Sampler: "25% of new traces, continued ones as the caller decided (parentbased_traceidratio:0.25)"}},
		{"ratio default arg", map[string]string{"OTEL_TRACES_SAMPLER": "TraceIdRatio"}, nil,
			tracing.Summary{Sampler: "100% of new traces, whatever the caller decided (traceidratio:1)"}},
		{"propagators", map[string]string{"OTEL_PROPAGATORS": " b3multi , jaeger,datadog"}, nil,
			tracing.Summary{Propagators: []string{"b3multi", "jaeger", "datadog(extract)"}}},
		{"default propagators", nil, nil, tracing.Summary{Propagators: []string{"tracecontext", "baggage", "jaeger(extract)", "datadog(extract)"}}},
		{"otel identity", map[string]string{"OTEL_SERVICE_NAME": "notes", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,service.version=2.0",
			"DD_SERVICE": "dd-notes", "DD_ENV": "dd-env", "DD_VERSION": "dd-v"}, nil,
			tracing.Summary{Service: "notes", Environment: "prod", Version: "2.0"}},
		{"datadog identity", map[string]string{"DD_SERVICE": "dd-notes", "DD_ENV": "staging", "DD_VERSION": "1.0"}, nil,
			tracing.Summary{Service: "dd-notes", Environment: "staging", Version: "1.0"}},
		{"jaeger identity", map[string]string{"JAEGER_SERVICE_NAME": "j-notes"}, nil, tracing.Summary{Service: "j-notes"}},
		{"code identity", map[string]string{"OTEL_SERVICE_NAME": "notes"}, []tracing.Option{tracing.WithServiceName("calendar"), tracing.WithEnvironment("dev")},
			tracing.Summary{Service: "calendar", Environment: "dev"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			opts := append([]tracing.Option{tracing.WithBackendOptions(otelbackend.WithoutGlobal())}, tc.opts...)
			tr, err := tracing.Open(context.Background(), "otel", opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer tracingtest.Shutdown(t, tr.Backend())
			got := tr.Summary()
			if got.Backend != "otel" {
				t.Errorf("backend %q", got.Backend)
			}
			w := tc.want
			check := func(field, got, want string) {
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("destination", got.Destination, w.Destination)
			check("sampler", got.Sampler, w.Sampler)
			check("service", got.Service, w.Service)
			check("environment", got.Environment, w.Environment)
			check("version", got.Version, w.Version)
			if w.Propagators != nil && strings.Join(got.Propagators, ",") != strings.Join(w.Propagators, ",") {
				t.Errorf("propagators %q, want %q", got.Propagators, w.Propagators)
			}
			t.Log(got.String())
		})
	}
}

// TestIdentityFallbackInResource: with only Datadog's variables set, the
// exported resource carries their identity under OpenTelemetry's names.
func TestIdentityFallbackInResource(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("DD_SERVICE", "billing")
	t.Setenv("DD_ENV", "prod")
	t.Setenv("DD_VERSION", "4.5.6")
	r := otlptest.Start(t)
	b := newBackend(t, r, otelbackend.ProtocolHTTPProtobuf)
	_, sp := b.Start(context.Background(), "op", tracing.SpanConfig{})
	sp.End()
	tracingtest.Flush(t, b)
	raw := r.Raw(1)
	if len(raw) != 1 {
		t.Fatalf("got %d spans", len(raw))
	}
	for k, want := range map[string]string{"service.name": "billing", "deployment.environment.name": "prod", "service.version": "4.5.6"} {
		if got := raw[0].ResourceAttr(k); got != want {
			t.Errorf("resource %s = %q, want %q", k, got, want)
		}
	}
}

// TestSpanLimitsFromEnv: the SDK reads the limit variables; they apply to
// what is sent.
func TestSpanLimitsFromEnv(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")
	t.Setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2")
	t.Setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "1")
	r := otlptest.Start(t)
	tr := tracing.New(newBackend(t, r, otelbackend.ProtocolGRPC))
	_, sp := tr.Start(context.Background(), "limited", tracing.WithAttrs(tracing.String("long", "abcdefghij")))
	sp.SetAttrs(tracing.Int("two", 2), tracing.Int("three", 3))
	sp.AddEvent("first")
	sp.AddEvent("second")
	sp.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw := r.Raw(1)
	if len(raw) != 1 {
		t.Fatalf("got %d spans", len(raw))
	}
	s := raw[0].Span
	if n := len(s.GetAttributes()); n != 2 || s.GetDroppedAttributesCount() != 1 {
		t.Errorf("%d attributes (%d dropped), want 2 (1 dropped): %v", n, s.GetDroppedAttributesCount(), s.GetAttributes())
	}
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == "long" && kv.GetValue().GetStringValue() != "abcde" {
			t.Errorf("long = %q, want it cut to 5 bytes", kv.GetValue().GetStringValue())
		}
	}
	if n := len(s.GetEvents()); n != 1 || s.GetDroppedEventsCount() != 1 {
		t.Errorf("%d events (%d dropped), want 1 (1 dropped)", n, s.GetDroppedEventsCount())
	}
}

// TestBatchFromEnv: OTEL_BSP_* configure the batch processor: a short
// delay exports without a flush, in batches of the configured size.
func TestBatchFromEnv(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "1")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2")
	r := otlptest.Start(t)
	tr := tracing.New(newBackend(t, r, otelbackend.ProtocolHTTPProtobuf))
	for range 5 {
		_, sp := tr.Start(context.Background(), "batched")
		sp.End()
	}
	if got := r.Raw(5); len(got) != 5 {
		t.Fatalf("got %d spans without a flush, want 5", len(got))
	}
	headers, _ := r.Requests()
	if len(headers) < 3 {
		t.Errorf("5 spans arrived in %d requests, want at least 3 with batches of 2", len(headers))
	}
}

// TestSamplerFromEnv: OTEL_TRACES_SAMPLER applies (always_off: nothing is
// recorded, but the trace still propagates).
func TestSamplerFromEnv(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	exp := tracetest.NewInMemoryExporter()
	b, err := otelbackend.New(otelbackend.WithExporter(exp), otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	tr := tracing.New(b)
	ctx, sp := tr.Start(context.Background(), "dropped")
	if sp.IsRecording() || sp.SpanContext().IsSampled() || !sp.SpanContext().IsValid() {
		t.Errorf("always_off span: recording %v, context %v", sp.IsRecording(), sp.SpanContext())
	}
	h := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(h))
	if !strings.HasSuffix(h.Get("traceparent"), "-02") {
		t.Errorf("traceparent %q, want the unsampled flag (and the random one: a new trace)", h.Get("traceparent"))
	}
	sp.End()
	tracingtest.Flush(t, b)
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans exported with always_off", n)
	}
}

// TestSDKDisabled: nothing is recorded or exported, and a trace passing
// through continues with the caller's ids.
func TestSDKDisabled(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	t.Setenv("OTEL_SDK_DISABLED", "true")
	b, err := otelbackend.New(otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	tr := tracing.New(b)
	in := http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	ctx, sp := tr.Start(tr.Extract(context.Background(), tracing.HeaderCarrier(in)), "handler")
	if sp.IsRecording() {
		t.Error("span recording with the SDK disabled")
	}
	out := http.Header{}
	tr.Inject(ctx, tracing.HeaderCarrier(out))
	if !strings.Contains(out.Get("traceparent"), "4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("traceparent %q does not continue the caller's trace", out.Get("traceparent"))
	}
	sp.End()
}

// TestConsoleExporter: OTEL_TRACES_EXPORTER=console writes spans to
// standard output (autoexport's stdouttrace, which takes os.Stdout when its
// package initialises: hence a child process).
func TestConsoleExporter(t *testing.T) {
	if os.Getenv("OTELBACKEND_CONSOLE_CHILD") == "1" {
		b, err := otelbackend.New(otelbackend.WithoutGlobal())
		if err != nil {
			t.Fatal(err)
		}
		_, sp := b.Start(context.Background(), "printed-span", tracing.SpanConfig{})
		sp.End()
		tracingtest.Shutdown(t, b)
		return
	}
	tracingtest.IsolateEnv(t, nil)
	cmd := exec.Command(os.Args[0], "-test.run=^TestConsoleExporter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "OTELBACKEND_CONSOLE_CHILD=1", "OTEL_TRACES_EXPORTER=console")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"Name":"printed-span"`) {
		t.Errorf("console exporter wrote %q", out)
	}
}
