package mixedfleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/otshim"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) {
	ddtest.Quiet()
	goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
}

// service is one member of the fleet: a tracer over one backend, and how
// to read back what that backend sent.
type service struct {
	name   string
	tracer *tracing.Tracer
	spans  func(t testing.TB, want int) []tracingtest.SpanData
}

func jaegerService(t *testing.T, name string) service {
	a := jaegertest.StartAgent(t)
	b, err := jaegerbackend.New(jaegerbackend.WithServiceName(name), jaegerbackend.WithSampler(jaeger.NewConstSampler(true)),
		jaegerbackend.WithConfig(func(c *config.Configuration) {
			c.Reporter = &config.ReporterConfig{LocalAgentHostPort: a.Addr(), QueueSize: 1000}
		}))
	if err != nil {
		t.Fatal(err)
	}
	return service{name, tracing.New(b), func(t testing.TB, want int) []tracingtest.SpanData { return a.SpanData(t, want, 5*time.Second) }}
}

func otelService(t *testing.T, name string) service {
	r := otlptest.Start(t)
	b, err := otelbackend.New(otelbackend.WithEndpointURL(r.HTTPURL), otelbackend.WithProtocol(otelbackend.ProtocolHTTPProtobuf),
		otelbackend.WithoutGlobal(), otelbackend.WithServiceName(name))
	if err != nil {
		t.Fatal(err)
	}
	return service{name, tracing.New(b), r.Spans}
}

func datadogService(t *testing.T, name string) service {
	a := ddtest.Start(ddtest.Config{})
	t.Cleanup(a.Close)
	b, err := ddbackend.New(ddbackend.WithAgentURL(a.URL()), ddbackend.WithServiceName(name))
	if err != nil {
		t.Fatal(err)
	}
	return service{name, tracing.New(b), func(t testing.TB, want int) []tracingtest.SpanData { return a.SpanData(t, want, 5*time.Second) }}
}

// answer is what the last service of a chain reports back.
type answer struct {
	TraceID string `json:"trace_id"`
	Tenant  string `json:"tenant"`
}

// start serves svc: GET /hop runs some legacy OpenTracing code (through
// otshim, over the service's own tracer) and, inside it, calls next (if
// any) with the traced HTTP client; the last service answers with the
// trace id and the baggage it sees.
func start(t *testing.T, svc service, next string) *httptest.Server {
	legacy := otshim.New(otshim.WithTracer(svc.tracer))
	client := tracehttp.WrapClient(&http.Client{Timeout: 10 * time.Second}, tracehttp.WithTracer(svc.tracer))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hop", func(w http.ResponseWriter, r *http.Request) {
		sp, ctx := opentracing.StartSpanFromContextWithTracer(r.Context(), legacy, "legacy-work")
		defer sp.Finish()
		sp.SetTag("service", svc.name)
		if next == "" {
			tenant, _ := tracing.BaggageFromContext(ctx).Get("tenant")
			json.NewEncoder(w).Encode(answer{TraceID: tracing.SpanFromContext(ctx).SpanContext().TraceID().String(), Tenant: tenant})
			return
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, next+"/hop", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	ts := httptest.NewServer(tracehttp.Handler(mux, tracehttp.WithTracer(svc.tracer)))
	t.Cleanup(ts.Close)
	return ts
}

// hop is what one service exported for the request.
type hop struct {
	server, legacy, client tracingtest.SpanData
}

func TestOneTraceAcrossAMixedFleet(t *testing.T) {
	chains := [][]func(*testing.T, string) service{
		// The chain: a legacy Jaeger service calls an OTel one, which
		// calls a Datadog one, which calls another Jaeger one.
		{jaegerService, otelService, datadogService, jaegerService},
		// The trace starts on Datadog and goes through OTel and Jaeger and
		// back to OTel.
		{datadogService, otelService, jaegerService, otelService},
	}
	for ci, chain := range chains {
		var names []string
		svcs := make([]service, len(chain))
		for i, open := range chain {
			svcs[i] = open(t, fmt.Sprintf("svc%d", i))
		}
		for i := range svcs {
			names = append(names, backendName(svcs[i].tracer))
		}
		t.Run(strings.Join(names, "→"), func(t *testing.T) {
			// Start from the end so each service knows the next one's URL.
			next := ""
			for i := len(svcs) - 1; i >= 0; i-- {
				next = start(t, svcs[i], next).URL
			}
			req, _ := http.NewRequest(http.MethodGet, next+"/hop", nil)
			req.Header.Set("baggage", "tenant=acme%20corp")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got answer
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if resp.StatusCode != 200 || err != nil {
				t.Fatalf("chain answered %s (%v)", resp.Status, err)
			}
			if got.Tenant != "acme corp" {
				t.Errorf("baggage at the last service: tenant=%q, want %q", got.Tenant, "acme corp")
			}

			hops := make([]hop, len(svcs))
			for i, svc := range svcs {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := svc.tracer.Shutdown(ctx); err != nil {
					t.Errorf("%s shutdown: %v", svc.name, err)
				}
				cancel()
				want := 3
				if i == len(svcs)-1 {
					want = 2 // the last service makes no call
				}
				spans := svc.spans(t, want)
				hops[i] = hop{
					server: only(t, svc, spans, func(s tracingtest.SpanData) bool { return s.Kind == tracing.SpanKindServer }),
					legacy: only(t, svc, spans, func(s tracingtest.SpanData) bool { return s.Name == "legacy-work" }),
				}
				if i < len(svcs)-1 {
					hops[i].client = only(t, svc, spans, func(s tracingtest.SpanData) bool { return s.Kind == tracing.SpanKindClient })
				}
			}

			tid := hops[0].server.TraceID
			if tid.High64() == 0 {
				t.Errorf("trace id %s is not 128-bit", tid)
			}
			if got.TraceID != tid.String() {
				t.Errorf("the last service saw trace %s, the first started %s", got.TraceID, tid)
			}
			if !hops[0].server.IsRoot() {
				t.Errorf("the first server span has a parent %s", hops[0].server.ParentID)
			}
			for i, h := range hops {
				who := fmt.Sprintf("service %d (%s)", i, names[i])
				for _, s := range []tracingtest.SpanData{h.server, h.legacy, h.client} {
					if s.SpanID.IsValid() && s.TraceID != tid {
						t.Errorf("%s: %s in trace %s, want %s", who, s.Name, s.TraceID, tid)
					}
				}
				if i > 0 && h.server.ParentID != hops[i-1].client.SpanID {
					t.Errorf("%s: server span's parent %s, want the caller's client span %s", who, h.server.ParentID, hops[i-1].client.SpanID)
				}
				if h.legacy.ParentID != h.server.SpanID {
					t.Errorf("%s: the OpenTracing span's parent %s, want the server span %s", who, h.legacy.ParentID, h.server.SpanID)
				}
				if i < len(hops)-1 && h.client.ParentID != h.legacy.SpanID {
					t.Errorf("%s: the client span's parent %s, want the OpenTracing span %s", who, h.client.ParentID, h.legacy.SpanID)
				}
			}
			t.Logf("chain %d: one trace %s through %s", ci, tid, strings.Join(names, " → "))
		})
	}
}

func backendName(t *tracing.Tracer) string { return t.Summary().Backend }

func only(t *testing.T, svc service, spans []tracingtest.SpanData, keep func(tracingtest.SpanData) bool) tracingtest.SpanData {
	t.Helper()
	found := tracingtest.Filter(spans, keep)
	if len(found) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, fmt.Sprintf("%s(%s)", s.Name, s.Kind))
		}
		t.Fatalf("%s: want one matching span, got %d among %v", svc.name, len(found), names)
	}
	return found[0]
}
