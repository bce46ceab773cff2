package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	v2tracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
	gintrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/gin-gonic/gin"
	chitrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/go-chi/chi.v5"
	echotrace "gopkg.in/DataDog/dd-trace-go.v1/contrib/labstack/echo.v4"
	ddhttp "gopkg.in/DataDog/dd-trace-go.v1/contrib/net/http"
	"gopkg.in/DataDog/dd-trace-go.v1/ddtrace/mocktracer"
	v1tracer "gopkg.in/DataDog/dd-trace-go.v1/ddtrace/tracer"

	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestMain re-runs the test binary with dd-trace-go's telemetry and side
// services off, as every package that starts the Datadog backend does
// (see ddtest.Quiet).
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	ddtest.Quiet()
	goleak.VerifyTestMain(m, ddtest.IgnoreLeaks()...)
}

// resetEvery bounds the memory of the in-memory backends (recorder, dd's
// mocktracer): they are emptied every so many requests.
const resetEvery = 4096

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (w *discard) Header() http.Header         { return w.h }
func (w *discard) Write(b []byte) (int, error) { return len(b), nil }
func (w *discard) WriteHeader(int)             {}

func note(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":42,"description":"buy milk"}`)
}

// serve runs b.N requests through h; reset, if not nil, empties the
// backend now and then.
func serve(b *testing.B, h http.Handler, reset func()) {
	b.Helper()
	w := &discard{h: http.Header{}}
	r := httptest.NewRequest("GET", "http://notes.internal:8080/notes/42", nil)
	r.Header.Set("User-Agent", "bench/1.0")
	r.RemoteAddr = "10.0.0.7:51234"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, r)
		if reset != nil && i%resetEvery == resetEvery-1 {
			b.StopTimer()
			reset()
			b.StartTimer()
		}
	}
}

// backend is a polytrace backend variant.
type backend struct {
	name string
	new  func(b *testing.B) (*tracing.Tracer, func())
}

var backends = []backend{
	{"polytrace-none", func(*testing.B) (*tracing.Tracer, func()) { return tracing.New(tracing.NoopBackend()), nil }},
	{"polytrace-recorder", func(*testing.B) (*tracing.Tracer, func()) {
		r := tracingtest.NewRecorder()
		return r.Tracer(), r.Reset
	}},
	// The OpenTelemetry backend on the same SDK pipeline as the otelhttp
	// and otelgin variants (otelProvider): sampler, batch processor and
	// discarding exporter.
	{"polytrace-otel", func(b *testing.B) (*tracing.Tracer, func()) {
		be, err := otelbackend.New(otelbackend.WithTracerProvider(otelProvider(b)), otelbackend.WithoutGlobal())
		if err != nil {
			b.Fatal(err)
		}
		return tracing.New(be), nil
	}},
	// The Datadog backend; the ddcontrib variants run on the very
	// dd-trace-go tracer it starts (ddTracer), with the same loopback
	// agent.
	{"polytrace-datadog", func(b *testing.B) (*tracing.Tracer, func()) { return ddTracer(b), nil }},
}

// otelProvider is an OpenTelemetry SDK TracerProvider that samples every
// span and hands it to a batch processor (blocking when full, so that
// every span is exported whatever the scheduling) with a discarding
// exporter.
func otelProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter(), sdktrace.WithBlocking()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

// quietLogger drops dd-trace-go's log lines.
type quietLogger struct{}

func (quietLogger) Log(string) {}

// ddTracer starts the Datadog backend, and so dd-trace-go's global tracer,
// sending to a loopback agent that discards what it gets; both stop when
// the benchmark ends. dd-trace-go's contrib packages use that tracer.
func ddTracer(b *testing.B) *tracing.Tracer {
	agent := ddtest.Start(ddtest.Config{Discard: true})
	be, err := ddbackend.New(ddbackend.WithAgentURL(agent.URL()), ddbackend.WithSampleRate(1),
		ddbackend.WithStartOptions(v2tracer.WithLogger(quietLogger{})))
	if err != nil {
		agent.Close()
		b.Fatal(err)
	}
	tr := tracing.New(be)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		agent.Close()
	})
	return tr
}

var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// ddMock starts dd's mock tracer (the global dd tracer, in memory) for one
// benchmark: the ddcontrib-mocktracer variants, to compare with
// polytrace-recorder.
func ddMock(b *testing.B) func() {
	mt := mocktracer.Start()
	b.Cleanup(mt.Stop)
	return mt.Reset
}

func BenchmarkServer(b *testing.B) {
	b.Run("fw=nethttp", func(b *testing.B) {
		mux := func() *http.ServeMux {
			m := http.NewServeMux()
			m.HandleFunc("GET /notes/{id}", note)
			return m
		}
		b.Run("impl=bare", func(b *testing.B) { serve(b, mux(), nil) })
		for _, be := range backends {
			b.Run("impl="+be.name, func(b *testing.B) {
				tr, reset := be.new(b)
				serve(b, tracehttp.Handler(mux(), tracehttp.WithTracer(tr)), reset)
			})
		}
		b.Run("impl=otelhttp", func(b *testing.B) {
			serve(b, otelhttp.NewHandler(mux(), "notes", otelhttp.WithTracerProvider(otelProvider(b)), otelhttp.WithPropagators(w3c)), nil)
		})
		b.Run("impl=ddcontrib-mocktracer", func(b *testing.B) {
			reset := ddMock(b)
			serve(b, ddhttp.WrapHandler(mux(), "notes", "GET /notes/{id}"), reset)
		})
		b.Run("impl=ddcontrib", func(b *testing.B) {
			ddTracer(b)
			serve(b, ddhttp.WrapHandler(mux(), "notes", "GET /notes/{id}"), nil)
		})
	})

	b.Run("fw=chi", func(b *testing.B) {
		router := func(mw ...func(http.Handler) http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(mw...)
			r.Get("/notes/{id}", note)
			return r
		}
		b.Run("impl=bare", func(b *testing.B) { serve(b, router(), nil) })
		for _, be := range backends {
			b.Run("impl="+be.name, func(b *testing.B) {
				tr, reset := be.new(b)
				serve(b, router(tracechi.Middleware(tracechi.WithTracer(tr))), reset)
			})
		}
		// OpenTelemetry has no chi instrumentation of its own; otelhttp
		// around the router is what its users deploy.
		b.Run("impl=otelhttp", func(b *testing.B) {
			serve(b, otelhttp.NewHandler(router(), "notes", otelhttp.WithTracerProvider(otelProvider(b)), otelhttp.WithPropagators(w3c)), nil)
		})
		b.Run("impl=ddcontrib-mocktracer", func(b *testing.B) {
			reset := ddMock(b)
			serve(b, router(chitrace.Middleware()), reset)
		})
		b.Run("impl=ddcontrib", func(b *testing.B) {
			ddTracer(b)
			serve(b, router(chitrace.Middleware()), nil)
		})
	})

	b.Run("fw=gin", func(b *testing.B) {
		engine := func(mw ...gin.HandlerFunc) http.Handler {
			e := gin.New()
			e.Use(mw...)
			e.GET("/notes/:id", gin.WrapF(note))
			return e
		}
		b.Run("impl=bare", func(b *testing.B) { serve(b, engine(), nil) })
		for _, be := range backends {
			b.Run("impl="+be.name, func(b *testing.B) {
				tr, reset := be.new(b)
				serve(b, engine(tracegin.Middleware(tracegin.WithTracer(tr))), reset)
			})
		}
		b.Run("impl=otelgin", func(b *testing.B) {
			serve(b, engine(otelgin.Middleware("notes", otelgin.WithTracerProvider(otelProvider(b)), otelgin.WithPropagators(w3c))), nil)
		})
		b.Run("impl=ddcontrib-mocktracer", func(b *testing.B) {
			reset := ddMock(b)
			serve(b, engine(gintrace.Middleware("notes")), reset)
		})
		b.Run("impl=ddcontrib", func(b *testing.B) {
			ddTracer(b)
			serve(b, engine(gintrace.Middleware("notes")), nil)
		})
	})

	b.Run("fw=echo", func(b *testing.B) {
		newEcho := func(mw ...echo.MiddlewareFunc) http.Handler {
			e := echo.New()
			e.Use(mw...)
			e.GET("/notes/:id", echo.WrapHandler(http.HandlerFunc(note)))
			return e
		}
		b.Run("impl=bare", func(b *testing.B) { serve(b, newEcho(), nil) })
		for _, be := range backends {
			b.Run("impl="+be.name, func(b *testing.B) {
				tr, reset := be.new(b)
				serve(b, newEcho(traceecho.Middleware(traceecho.WithTracer(tr))), reset)
			})
		}
		// otelecho is not among the pinned modules; otelhttp around the
		// echo server stands in for it.
		b.Run("impl=otelhttp", func(b *testing.B) {
			serve(b, otelhttp.NewHandler(newEcho(), "notes", otelhttp.WithTracerProvider(otelProvider(b)), otelhttp.WithPropagators(w3c)), nil)
		})
		b.Run("impl=ddcontrib-mocktracer", func(b *testing.B) {
			reset := ddMock(b)
			serve(b, newEcho(echotrace.Middleware()), reset)
		})
		b.Run("impl=ddcontrib", func(b *testing.B) {
			ddTracer(b)
			serve(b, newEcho(echotrace.Middleware()), nil)
		})
	})
}

// stub answers every request at once, with an empty body.
type stub struct{}

func (stub) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody, Request: r, Header: http.Header{}}, nil
}

func BenchmarkClient(b *testing.B) {
	run := func(b *testing.B, rt http.RoundTripper, ctx context.Context, reset func()) {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://calendar.internal:9090/calendar?day=1", nil)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if reset != nil && i%resetEvery == resetEvery-1 {
				b.StopTimer()
				reset()
				b.StartTimer()
			}
		}
	}
	b.Run("impl=bare", func(b *testing.B) { run(b, stub{}, context.Background(), nil) })
	for _, be := range backends {
		b.Run("impl="+be.name, func(b *testing.B) {
			tr, reset := be.new(b)
			ctx, parent := tr.Start(context.Background(), "parent")
			defer parent.End()
			run(b, tracehttp.Transport(stub{}, tracehttp.WithTracer(tr)), ctx, reset)
		})
	}
	b.Run("impl=otelhttp", func(b *testing.B) {
		tp := otelProvider(b)
		ctx, parent := tp.Tracer("bench").Start(context.Background(), "parent")
		defer parent.End()
		run(b, otelhttp.NewTransport(stub{}, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c)), ctx, nil)
	})
	b.Run("impl=ddcontrib-mocktracer", func(b *testing.B) {
		reset := ddMock(b)
		run(b, ddhttp.WrapRoundTripper(stub{}), context.Background(), reset)
	})
	b.Run("impl=ddcontrib", func(b *testing.B) {
		ddTracer(b)
		parent, ctx := v1tracer.StartSpanFromContext(context.Background(), "parent")
		defer parent.Finish()
		run(b, ddhttp.WrapRoundTripper(stub{}), ctx, nil)
	})
}
