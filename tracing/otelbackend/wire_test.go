package otelbackend_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestWire configures the backend from the environment, as a deployment
// would, exports over each OTLP transport to an in-process receiver, and
// checks the decoded protobuf: resource, scope, ids and parents,
// attributes, events, links, status, headers and compression.
func TestWire(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			r := otlptest.Start(t)
			endpoint := r.HTTPURL // per-signal URLs are used as they are
			if proto == "grpc" {
				endpoint = r.GRPCURL
			}
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", proto)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cr%3Dt,x-team=core")
			t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
			t.Setenv("OTEL_SERVICE_NAME", "notes")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging,team=core%20platform")
			t.Setenv("DD_VERSION", "9.9.9") // overridden in code below

			tr, err := tracing.Open(context.Background(), "otel", tracing.WithVersion("1.2.3"),
				tracing.WithBackendOptions(otelbackend.WithoutGlobal()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tracingtest.Shutdown(t, tr.Backend()) })
			if got, want := tr.Summary().Destination, "otlp "+proto+" "+endpoint; got != want {
				t.Errorf("summary destination %q, want %q", got, want)
			}

			link := tracing.NewSpanContext(tracing.SpanContextConfig{
				TraceID: tracing.TraceIDFromUint64s(0xaaaa, 0xbbbb), SpanID: tracing.SpanIDFromUint64(0xcccc), TraceFlags: tracing.FlagsSampled,
			})
			ctx, root := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
				tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("http.response.status_code", 500)),
				tracing.WithResource("GET /notes/{id}"), tracing.WithSpanType(tracing.TypeWeb),
				tracing.WithLinks(tracing.Link{SpanContext: link, Attrs: []tracing.Attr{tracing.String("why", "retry")}}))
			_, db := tr.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"),
				tracing.WithAttrs(tracing.Float64("ratio", 0.5), tracing.StringSlice("tables", []string{"notes", "tags"})))
			db.AddEvent("rows", tracing.Int("count", 3))
			db.RecordError(errors.New("database is locked"))
			db.End()
			root.SetStatus(tracing.StatusError, "internal error")
			root.End()
			ctxFlush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tr.ForceFlush(ctxFlush); err != nil {
				t.Fatal(err)
			}

			raw := r.Raw(2)
			if len(raw) != 2 {
				t.Fatalf("receiver got %d spans, want 2", len(raw))
			}
			for _, s := range raw {
				for key, want := range map[string]string{
					"service.name": "notes", "service.version": "1.2.3", "deployment.environment.name": "staging",
					"team": "core platform", "telemetry.sdk.language": "go",
				} {
					if got := s.ResourceAttr(key); got != want {
						t.Errorf("resource %s = %q, want %q", key, got, want)
					}
				}
				if s.ResourceAttr("host.name") == "" {
					t.Error("resource has no host.name")
				}
				if s.Scope.GetName() != otelbackend.ScopeName {
					t.Errorf("scope %q, want %q", s.Scope.GetName(), otelbackend.ScopeName)
				}
			}
			spans := r.Spans(t, 2)
			rd, dd := tracingtest.One(t, spans, "GET /notes/{id}"), tracingtest.One(t, spans, "SELECT notes")
			if rsc := root.SpanContext(); rd.TraceID != rsc.TraceID() || rd.SpanID != rsc.SpanID() || !rd.IsRoot() || !rd.Sampled {
				t.Errorf("root exported as %s/%s parent %s sampled %v, want %v as a sampled root", rd.TraceID, rd.SpanID, rd.ParentID, rd.Sampled, rsc)
			}
			if dd.TraceID != rd.TraceID || dd.ParentID != rd.SpanID {
				t.Errorf("db span in trace %s under %s, want trace %s under %s", dd.TraceID, dd.ParentID, rd.TraceID, rd.SpanID)
			}
			if rd.Kind != tracing.SpanKindServer || dd.Kind != tracing.SpanKindClient {
				t.Errorf("kinds %v, %v", rd.Kind, dd.Kind)
			}
			if rd.AttrString("http.request.method") != "GET" || rd.AttrString("http.response.status_code") != "500" ||
				rd.Resource != "GET /notes/{id}" || rd.Type != "web" {
				t.Errorf("root attributes %v", rd.Attrs)
			}
			if v, _ := rd.Attr("http.response.status_code"); v.Kind() != tracing.KindInt64 {
				t.Errorf("status code sent as %v, want an int", v.Kind())
			}
			if dd.Service != "db" || dd.AttrString("ratio") != "0.5" || dd.AttrString("tables") != "[notes tags]" {
				t.Errorf("db attributes %v", dd.Attrs)
			}
			if rd.Status != tracing.StatusError || rd.StatusMsg != "internal error" {
				t.Errorf("root status %v %q", rd.Status, rd.StatusMsg)
			}
			if dd.Status != tracing.StatusError || dd.StatusMsg != "database is locked" || dd.ErrorType != "*errors.errorString" ||
				dd.ErrorMessage != "database is locked" || dd.ErrorStack != "" || dd.AttrString("error.type") != "*errors.errorString" {
				t.Errorf("db error recorded as status %v %q, exception %q %q stack %q, error.type %q",
					dd.Status, dd.StatusMsg, dd.ErrorType, dd.ErrorMessage, dd.ErrorStack, dd.AttrString("error.type"))
			}
			if e, ok := dd.Event("rows"); !ok || e.Attrs[0].String() != "count=3" || e.Time.Before(dd.Start) || e.Time.After(dd.End) {
				t.Errorf("event rows: %+v (span %v…%v)", e, dd.Start, dd.End)
			}
			if len(rd.Links) != 1 || rd.Links[0].TraceID != link.TraceID() || rd.Links[0].SpanID != link.SpanID() ||
				len(rd.Links[0].Attrs) != 1 || rd.Links[0].Attrs[0].String() != "why=retry" {
				t.Errorf("links %+v", rd.Links)
			}

			if proto == "grpc" {
				if c := r.GRPCCompressions(); len(c) == 0 || c[0] != "gzip" {
					t.Errorf("gRPC requests compressed with %q, want gzip", c)
				}
			}
			headers, paths := r.Requests()
			for i, h := range headers {
				if got := first(h, "x-api-key"); got != "s3cr=t" {
					t.Errorf("request %d: x-api-key %q, want the decoded header value", i, got)
				}
				if enc := first(h, "Content-Encoding"); proto != "grpc" && enc != "gzip" {
					t.Errorf("request %d: encoding %q, want gzip", i, enc)
				}
				if want := "/v1/traces"; proto != "grpc" && paths[i] != want {
					t.Errorf("request %d: path %q, want %q", i, paths[i], want)
				}
			}
		})
	}
}

func first(h map[string][]string, key string) string {
	for k, v := range h {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// TestExporters sends the same spans through the backend's own OTLP
// exporter and through the SDK's (WithSDKExporter), over each transport,
// and checks that the receiver gets the same spans and the same request
// headers from both.
func TestExporters(t *testing.T) {
	for _, proto := range protocols {
		t.Run(string(proto), func(t *testing.T) {
			tracingtest.IsolateEnv(t, nil)
			got := map[bool][]tracingtest.SpanData{}
			agents := map[bool]string{}
			for _, sdk := range []bool{false, true} {
				r := otlptest.Start(t)
				var opts []otelbackend.Option
				if sdk {
					opts = append(opts, otelbackend.WithSDKExporter())
				}
				opts = append(opts, otelbackend.WithHeaders(map[string]string{"x-team": "core"}))
				tr := tracing.New(newBackend(t, r, proto, opts...))
				ctx, root := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
					tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("http.response.status_code", 200)))
				_, child := tr.Start(ctx, "SELECT notes", tracing.WithAttrs(tracing.StringSlice("tables", []string{"notes"})))
				child.AddEvent("rows", tracing.Int("count", 1))
				child.End()
				root.End()
				if err := tr.ForceFlush(context.Background()); err != nil {
					t.Fatal(err)
				}
				got[sdk] = r.Spans(t, 2)
				headers, _ := r.Requests()
				if len(headers) == 0 || first(headers[0], "x-team") != "core" {
					t.Errorf("sdk=%v: request headers %v, want x-team: core", sdk, headers)
				}
				agents[sdk] = first(headers[0], "user-agent")
			}
			if len(got[false]) != 2 || len(got[true]) != 2 {
				t.Fatalf("spans: %d through the backend's exporter, %d through the SDK's", len(got[false]), len(got[true]))
			}
			for i := range 2 {
				a, b := got[false][i], got[true][i]
				if a.Name != b.Name || a.Kind != b.Kind || len(a.Attrs) != len(b.Attrs) || len(a.Events) != len(b.Events) {
					t.Errorf("span %d: %+v\nthrough the SDK's exporter: %+v", i, a, b)
				}
			}
			if !strings.HasPrefix(agents[false], "OTel OTLP Exporter Go/") || !strings.HasPrefix(agents[true], "OTel OTLP Exporter Go/") {
				t.Errorf("user agents %q and %q, want the OTLP exporters' own", agents[false], agents[true])
			}
		})
	}
}
