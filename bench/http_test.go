package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	gintrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/gin-gonic/gin"
	chitrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/go-chi/chi.v5"
	echotrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/labstack/echo.v4"
	ddhttp "gopkg.in/DataDog/dd-trace-go.v1/contrib/net/http"
	v1tracer "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"

	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func note(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":42,"description":"buy milk"}`)
}

// serve runs requests for GET /notes/42 through h, with no trace headers
// (a new trace per request).
func serve(b *testing.B, h http.Handler) {
	b.Helper()
	w := &discardWriter{h: http.Header{}}
	r := httptest.NewRequest("GET", "http://notes.internal:8080/notes/42", nil)
	r.Header.Set("User-Agent", "bench/1.0")
	r.RemoteAddr = "10.0.0.7:51234"
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

var w3cProp = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// A tracer is one of the polytrace configurations the middleware runs on.
type polytrace struct {
	name string
	new  func(b *testing.B) *tracing.Tracer
}

var polytraces = []polytrace{
	{"polytrace-none", func(*testing.B) *tracing.Tracer { return tracing.New(tracing.NoopBackend()) }},
	// A backend whose spans never record and cost nothing: what
	// polytrace's own code allocates for an unsampled request.
	{"polytrace-unsampled", func(*testing.B) *tracing.Tracer { return tracing.New(unsampledBackend{}) }},
	{"polytrace-otel", func(b *testing.B) *tracing.Tracer { return newOTelBackend(b, true) }},
	{"polytrace-datadog", func(b *testing.B) *tracing.Tracer { return newDDBackend(b, true) }},
}

// unsampledBackend decides not to sample every span and keeps the
// caller's context: no allocation of its own.
type unsampledBackend struct{}

var unsampledSpan = tracing.NonRecordingSpan(tracing.NewSpanContext(tracing.SpanContextConfig{
	TraceID: tracing.TraceIDFromUint64s(1, 2), SpanID: tracing.SpanIDFromUint64(3)}))

func (unsampledBackend) Start(ctx context.Context, _ string, _ tracing.SpanConfig) (context.Context, tracing.Span) {
	return ctx, tracing.NewSpan(unsampledSpan)
}
func (unsampledBackend) Shutdown(context.Context) error { return nil }

// BenchmarkServer: GET /notes/{id} through each framework bare
// (impl=bare), under polytrace's middleware on each configuration, and
// under the vendors' own instrumentation on the same SDK set-up
// (impl=otelhttp/otelgin on an OpenTelemetry SDK with the sampler,
// batch processor and discarding exporter of polytrace-otel;
// impl=ddcontrib on the dd-trace-go tracer that polytrace-datadog's
// backend starts, with the same loopback agent).
//
//	benchstat -col /impl
func BenchmarkServer(b *testing.B) {
	mux := func(mw func(http.Handler) http.Handler) http.Handler {
		m := http.NewServeMux()
		m.HandleFunc("GET /notes/{id}", note)
		if mw != nil {
			return mw(m)
		}
		return m
	}
	chiRouter := func(mw ...func(http.Handler) http.Handler) http.Handler {
		r := chi.NewRouter()
		r.Use(mw...)
		r.Get("/notes/{id}", note)
		return r
	}
	ginEngine := func(mw ...gin.HandlerFunc) http.Handler {
		e := gin.New()
		e.Use(mw...)
		e.GET("/notes/:id", gin.WrapF(note))
		return e
	}
	echoServer := func(mw ...echo.MiddlewareFunc) http.Handler {
		e := echo.New()
		e.Use(mw...)
		e.GET("/notes/:id", echo.WrapHandler(http.HandlerFunc(note)))
		return e
	}
	otelHandler := func(h http.Handler) func(b *testing.B) http.Handler {
		return func(b *testing.B) http.Handler {
			return otelhttp.NewHandler(h, "notes", otelhttp.WithTracerProvider(newOTelProvider(b, true)), otelhttp.WithPropagators(w3cProp))
		}
	}

	type variant struct {
		name string
		h    func(b *testing.B) http.Handler
	}
	frameworks := []struct {
		name     string
		variants []variant
	}{
		{"nethttp", []variant{
			{"bare", func(*testing.B) http.Handler { return mux(nil) }},
			{"polytrace", nil},
			{"otelhttp", otelHandler(mux(nil))},
			// The OpenTelemetry SDK calls that polytrace-otel's server span
			// comes down to, made directly with nothing computed: the
			// floor that the SDK sets for a span with these attributes.
			{"otel-floor", func(b *testing.B) http.Handler { return otelFloor(newOTelProvider(b, true), mux(nil)) }},
			{"ddcontrib", func(b *testing.B) http.Handler {
				newDDBackend(b, true)
				return ddhttp.WrapHandler(mux(nil), "notes", "GET /notes/{id}")
			}},
		}},
		{"chi", []variant{
			{"bare", func(*testing.B) http.Handler { return chiRouter() }},
			{"polytrace", nil},
			// OpenTelemetry has no chi instrumentation of its own;
			// otelhttp around the router is what its users deploy.
			{"otelhttp", otelHandler(chiRouter())},
			{"ddcontrib", func(b *testing.B) http.Handler {
				newDDBackend(b, true)
				return chiRouter(chitrace.Middleware())
			}},
		}},
		{"gin", []variant{
			{"bare", func(*testing.B) http.Handler { return ginEngine() }},
			{"polytrace", nil},
			{"otelgin", func(b *testing.B) http.Handler {
				return ginEngine(otelgin.Middleware("notes", otelgin.WithTracerProvider(newOTelProvider(b, true)), otelgin.WithPropagators(w3cProp)))
			}},
			{"ddcontrib", func(b *testing.B) http.Handler {
				newDDBackend(b, true)
				return ginEngine(gintrace.Middleware("notes"))
			}},
		}},
		{"echo", []variant{
			{"bare", func(*testing.B) http.Handler { return echoServer() }},
			{"polytrace", nil},
			// otelecho is not among the pinned modules; otelhttp around
			// the echo server stands in for it.
			{"otelhttp", otelHandler(echoServer())},
			{"ddcontrib", func(b *testing.B) http.Handler {
				newDDBackend(b, true)
				return echoServer(echotrace.Middleware())
			}},
		}},
	}
	polytraceHandler := func(fw string, tr *tracing.Tracer) http.Handler {
		switch fw {
		case "nethttp":
			return tracehttp.Handler(mux(nil), tracehttp.WithTracer(tr))
		case "chi":
			return chiRouter(tracechi.Middleware(tracechi.WithTracer(tr)))
		case "gin":
			return ginEngine(tracegin.Middleware(tracegin.WithTracer(tr)))
		default:
			return echoServer(traceecho.Middleware(traceecho.WithTracer(tr)))
		}
	}
	for _, f := range frameworks {
		for _, v := range f.variants {
			if v.h != nil {
				b.Run("fw="+f.name+"/impl="+v.name, func(b *testing.B) { serve(b, v.h(b)) })
				continue
			}
			for _, p := range polytraces {
				b.Run("fw="+f.name+"/impl="+p.name, func(b *testing.B) { serve(b, polytraceHandler(f.name, p.new(b))) })
			}
		}
	}
}

// otelFloor makes, for each request, the OpenTelemetry SDK calls behind
// polytrace-otel's server span for GET /notes/42, with the same span name,
// kind and attributes (nine at start, including the resource and span type
// the facade records; five with the outcome) and W3C extraction, and
// nothing else: no response wrapper, no attribute computed from the
// request.
func otelFloor(tp *sdktrace.TracerProvider, next http.Handler) http.Handler {
	tracer := tp.Tracer("bench")
	method, scheme, path, host, client, ua := "GET", "http", "/notes/42", "notes.internal", "10.0.0.7", "bench/1.0"
	name, route, resource, port, status, size := "GET /notes/{id}", "/notes/{id}", "GET", 8080, 200, 34
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := w3cProp.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, sp := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
			attribute.String("http.request.method", method), attribute.String("url.scheme", scheme),
			attribute.String("url.path", path), attribute.String("server.address", host), attribute.Int("server.port", port),
			attribute.String("client.address", client), attribute.String("user_agent.original", ua),
			attribute.String("resource.name", resource), attribute.String("span.type", "web")))
		next.ServeHTTP(w, r.WithContext(ctx))
		sp.SetName(name)
		sp.SetAttributes(attribute.String("network.protocol.version", "1.1"), attribute.String("resource.name", name),
			attribute.String("http.route", route), attribute.Int("http.response.status_code", status),
			attribute.Int("http.response.body.size", size))
		sp.End()
	})
}

// stubTransport answers every request at once, with an empty body.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody, Request: r, Header: http.Header{}}, nil
}

// BenchmarkClient: GET http://calendar.internal:9090/calendar through a
// transport that answers at once, bare, wrapped by tracehttp.Transport on
// each configuration, and wrapped by otelhttp.NewTransport and dd's
// WrapRoundTripper on the matching SDK set-up, each under a parent span.
//
//	benchstat -col /impl
func BenchmarkClient(b *testing.B) {
	run := func(b *testing.B, rt http.RoundTripper, newParent func() (context.Context, func())) {
		loop(b, newParent, func(ctx context.Context) {
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://calendar.internal:9090/calendar?day=1", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_ = resp.Body.Close()
		})
	}
	b.Run("impl=bare", func(b *testing.B) { run(b, stubTransport{}, nil) })
	for _, p := range polytraces {
		b.Run("impl="+p.name, func(b *testing.B) {
			tr := p.new(b)
			newParent, _ := facadeOps(tr)
			run(b, tracehttp.Transport(stubTransport{}, tracehttp.WithTracer(tr)), newParent)
		})
	}
	b.Run("impl=otelhttp", func(b *testing.B) {
		tp := newOTelProvider(b, true)
		newParent, _ := otelOps(tp.Tracer("bench"))
		run(b, otelhttp.NewTransport(stubTransport{}, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3cProp)), newParent)
	})
	b.Run("impl=ddcontrib", func(b *testing.B) {
		newDDBackend(b, true)
		run(b, ddhttp.WrapRoundTripper(stubTransport{}), func() (context.Context, func()) {
			p, ctx := v1tracer.StartSpanFromContext(context.Background(), "parent")
			return ctx, func() { p.Finish() }
		})
	})
}
