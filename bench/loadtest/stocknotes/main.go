// Command stocknotes is the notes service of examples/notes rebuilt on each
// vendor's own instrumentation instead of polytrace, for bench/loadtest's
// side-by-side comparison: the same routes (GET /notes/{id}, POST
// /notes?desc=…&add_date=y), the same chi router behind the same ServeMux,
// the same in-memory SQLite store and the same HTTP call to the calendar
// service, with the spans each vendor's stock stack makes for them.
//
//	STOCK_STACK=bare     no tracing at all (the floor every variant is measured against)
//	STOCK_STACK=otel     otelhttp (server and client) + XSAM/otelsql (one span per query) +
//	                     the SDK's batch span processor + otlptracehttp
//	STOCK_STACK=datadog  dd-trace-go v2 and its contrib for chi, net/http (client) and database/sql
//	STOCK_STACK=jaeger   jaeger-client-go + opentracing-contrib/go-stdlib's nethttp (server and
//	                     client) + SQL spans by hand
//
// Each vendor reads its own environment (OTEL_EXPORTER_OTLP_*, DD_*,
// JAEGER_*). STOCK_JAEGER_CLIENTTRACE=off turns nethttp's httptrace events
// off. NOTES_ADDR and CALENDAR_URL are as for examples/notes;
// LOADTEST_DEBUG_ADDR serves the process's allocation counters (see
// serveDebug). SIGTERM shuts it down and flushes the spans.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	sqltrace "github.com/DataDog/dd-trace-go/contrib/database/sql/v2"
	chitrace "github.com/DataDog/dd-trace-go/contrib/go-chi/chi.v5/v2"
	ddhttptrace "github.com/DataDog/dd-trace-go/contrib/net/http/v2"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	ddtracer "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"github.com/XSAM/otelsql"
	"github.com/go-chi/chi/v5"
	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	otext "github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	jaegercfg "github.com/uber/jaeger-client-go/config"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "stocknotes:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// stack is one vendor's instrumentation of the service.
type stack struct {
	// server wraps the router (or is used as chi middleware when
	// chiMiddleware is set).
	server        func(http.Handler) http.Handler
	chiMiddleware bool
	// span starts the handler's custom span; setAttr sets an int attribute
	// on it; fail records an error on it.
	span    func(ctx context.Context, name string) (context.Context, handlerSpan)
	current func(ctx context.Context) handlerSpan
	// openDB opens the database; sqlSpan, if set, wraps each query in a
	// span made by hand.
	openDB  func() (*sql.DB, error)
	sqlSpan func(ctx context.Context, op, query string) (context.Context, func(error))
	// client is the calendar client; clientRequest, if set, prepares each
	// request (jaeger's nethttp.TraceRequest).
	client        *http.Client
	clientRequest func(*http.Request) (*http.Request, func())
	shutdown      func(context.Context) error
}

type handlerSpan interface {
	SetInt(key string, v int64)
	SetString(key, v string)
	Fail(err error)
	End()
}

type noSpan struct{}

func (noSpan) SetInt(string, int64)     {}
func (noSpan) SetString(string, string) {}
func (noSpan) Fail(error)               {}
func (noSpan) End()                     {}

const calendarTimeout = 2 * time.Second

func run() error {
	ctx := context.Background()
	var (
		st  *stack
		err error
	)
	switch name := env("STOCK_STACK", "bare"); name {
	case "bare":
		st = bareStack()
	case "otel":
		st, err = otelStack(ctx)
	case "datadog":
		st, err = ddStack()
	case "jaeger":
		st, err = jaegerStack()
	default:
		return fmt.Errorf("STOCK_STACK=%q: want bare, otel, datadog or jaeger", name)
	}
	if err != nil {
		return err
	}
	db, err := st.openDB()
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, `CREATE TABLE notes(id INTEGER PRIMARY KEY AUTOINCREMENT, description TEXT NOT NULL)`); err != nil {
		return err
	}
	s := &server{st: st, db: db, calendarURL: env("CALENDAR_URL", "http://localhost:9090/calendar")}

	r := chi.NewRouter()
	if st.chiMiddleware {
		r.Use(st.server)
	}
	r.Post("/notes", s.traced("CreateNote", s.createNote))
	r.Get("/notes/{id}", s.traced("GetNote", s.getNote))
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	var h http.Handler = r
	if !st.chiMiddleware {
		h = st.server(r)
	}
	// As examples/notes: a ServeMux in front for GET /metrics.
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", http.NotFoundHandler())
	mux.Handle("/", h)

	serveDebug()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", env("NOTES_ADDR", ":8080"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	sctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-sctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(dctx)
	db.Close()
	return st.shutdown(dctx)
}

// serveDebug serves GET / on LOADTEST_DEBUG_ADDR, if set, with the
// process's heap allocation counters, as bench/loadtest reads them.
func serveDebug() {
	addr := os.Getenv("LOADTEST_DEBUG_ADDR")
	if addr == "" {
		return
	}
	go func() {
		_ = http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/allocs" {
				// The allocation profile (exact with GODEBUG=memprofilerate=1).
				runtime.GC()
				_ = pprof.Lookup("allocs").WriteTo(w, 0)
				return
			}
			s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
			metrics.Read(s)
			fmt.Fprintf(w, "%d %d %d\n", s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64())
		}))
	}()
}

// --- the application, as examples/internal/notes ---

type server struct {
	st          *stack
	db          *sql.DB
	calendarURL string
}

type note struct {
	ID          int64  `json:"id"`
	Description string `json:"description"`
}

type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(msg string) error { return &apiError{http.StatusBadRequest, msg} }

var (
	errNotFound = errors.New("note not found")
	errCalendar = errors.New("calendar unavailable")
)

func (s *server) traced(name string, h func(r *http.Request) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		span := handlerSpan(noSpan{})
		if s.st.span != nil {
			var ctx context.Context
			ctx, span = s.st.span(r.Context(), name)
			defer span.End()
			r = r.WithContext(ctx)
		}
		status, body, err := h(r)
		if err != nil {
			status = http.StatusInternalServerError
			var ae *apiError
			switch {
			case errors.As(err, &ae):
				status = ae.status
			case errors.Is(err, errNotFound):
				status = http.StatusNotFound
			case errors.Is(err, errCalendar):
				status = http.StatusBadGateway
			}
			if status >= 500 {
				span.Fail(err)
			}
			body = map[string]string{"error": err.Error()}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

func (s *server) getNote(r *http.Request) (int, any, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, badRequest("note id must be a positive integer")
	}
	ctx := r.Context()
	spanOf(ctx, s.st).SetInt("note.id", id)
	n := note{ID: id}
	const q = `SELECT description FROM notes WHERE id = ?`
	end := s.sqlSpan(&ctx, "query", q)
	err = s.db.QueryRowContext(ctx, q, id).Scan(&n.Description)
	end(err)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, errNotFound
	}
	return http.StatusOK, n, err
}

func (s *server) createNote(r *http.Request) (int, any, error) {
	ctx := r.Context()
	desc := strings.TrimSpace(r.URL.Query().Get("desc"))
	switch {
	case desc == "":
		return 0, nil, badRequest("desc is required")
	case !utf8.ValidString(desc):
		return 0, nil, badRequest("desc must be UTF-8 text")
	case utf8.RuneCountInString(desc) > 1000:
		return 0, nil, badRequest("desc is longer than 1000 characters")
	}
	span := spanOf(ctx, s.st)
	switch v := r.URL.Query().Get("add_date"); {
	case strings.EqualFold(v, "y"):
		date, err := s.date(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %w", errCalendar, err)
		}
		desc += " with date " + date
		span.SetString("note.date", date)
	case v != "" && !strings.EqualFold(v, "n"):
		return 0, nil, badRequest("add_date must be y or n")
	}
	const q = `INSERT INTO notes(description) VALUES (?)`
	end := s.sqlSpan(&ctx, "exec", q)
	res, err := s.db.ExecContext(ctx, q, desc)
	end(err)
	if err != nil {
		return 0, nil, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, nil, err
	}
	span.SetInt("note.id", id)
	return http.StatusCreated, note{ID: id, Description: desc}, nil
}

// sqlSpan starts the hand-made SQL span of stacks without a database/sql
// integration; it returns the function that ends it.
func (s *server) sqlSpan(ctx *context.Context, op, query string) func(error) {
	if s.st.sqlSpan == nil {
		return func(error) {}
	}
	c, end := s.st.sqlSpan(*ctx, op, query)
	*ctx = c
	return end
}

// date asks the calendar service for a date, as notes.CalendarClient.Date.
func (s *server) date(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.calendarURL, nil)
	if err != nil {
		return "", err
	}
	if s.st.clientRequest != nil {
		var finish func()
		req, finish = s.st.clientRequest(req)
		defer finish()
	}
	resp, err := s.st.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", s.calendarURL, resp.Status)
	}
	var date string
	if err := json.Unmarshal(body, &date); err != nil {
		return "", fmt.Errorf("answer is not a JSON string: %w", err)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return "", fmt.Errorf("answer %q is not a date", date)
	}
	return date, nil
}

// spanOf returns the handler's span from ctx, in the stack's API.
func spanOf(ctx context.Context, st *stack) handlerSpan {
	if st.current == nil {
		return noSpan{}
	}
	return st.current(ctx)
}

// --- bare ---

func bareStack() *stack {
	return &stack{
		server: func(h http.Handler) http.Handler { return h },
		openDB: func() (*sql.DB, error) { return sql.Open("sqlite", ":memory:") },
		client: &http.Client{Timeout: calendarTimeout},
		shutdown: func(context.Context) error {
			return nil
		},
	}
}

// --- OpenTelemetry ---

type otelSpan struct{ s trace.Span }

func (o otelSpan) SetInt(k string, v int64)     { o.s.SetAttributes(attribute.Int64(k, v)) }
func (o otelSpan) SetString(k string, v string) { o.s.SetAttributes(attribute.String(k, v)) }
func (o otelSpan) Fail(err error) {
	o.s.RecordError(err)
	o.s.SetStatus(codes.Error, err.Error())
}
func (o otelSpan) End() { o.s.End() }

func otelStack(ctx context.Context) (*stack, error) {
	exp, err := otlptracehttp.New(ctx) // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT etc.
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(env("OTEL_SERVICE_NAME", "notes"))))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tracer := tp.Tracer("notes")
	return &stack{
		server: func(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "notes") },
		span: func(ctx context.Context, name string) (context.Context, handlerSpan) {
			ctx, sp := tracer.Start(ctx, name)
			return ctx, otelSpan{sp}
		},
		current: func(ctx context.Context) handlerSpan { return otelSpan{trace.SpanFromContext(ctx)} },
		openDB: func() (*sql.DB, error) {
			return otelsql.Open("sqlite", ":memory:",
				otelsql.WithAttributes(semconv.DBSystemSqlite),
				otelsql.WithSpanOptions(otelsql.SpanOptions{
					OmitConnResetSession: true, OmitConnPrepare: true, OmitRows: true, OmitConnectorConnect: true,
				}))
		},
		client:   &http.Client{Timeout: calendarTimeout, Transport: otelhttp.NewTransport(http.DefaultTransport)},
		shutdown: tp.Shutdown,
	}, nil
}

// --- Datadog ---

type ddSpan struct{ s *ddtracer.Span }

func (d ddSpan) SetInt(k string, v int64)     { d.s.SetTag(k, v) }
func (d ddSpan) SetString(k string, v string) { d.s.SetTag(k, v) }
func (d ddSpan) Fail(err error)               { d.s.SetTag(ext.Error, err) }
func (d ddSpan) End()                         { d.s.Finish() }

func ddStack() (*stack, error) {
	if err := ddtracer.Start(ddtracer.WithService(env("DD_SERVICE", "notes"))); err != nil {
		return nil, err
	}
	sqltrace.Register("sqlite", &sqlite.Driver{}, sqltrace.WithService("db"))
	return &stack{
		server:        chitrace.Middleware(),
		chiMiddleware: true,
		span: func(ctx context.Context, name string) (context.Context, handlerSpan) {
			sp, ctx := ddtracer.StartSpanFromContext(ctx, name)
			return ctx, ddSpan{sp}
		},
		current: func(ctx context.Context) handlerSpan {
			if sp, ok := ddtracer.SpanFromContext(ctx); ok {
				return ddSpan{sp}
			}
			return noSpan{}
		},
		openDB: func() (*sql.DB, error) {
			return sqltrace.Open("sqlite", ":memory:", sqltrace.WithChildSpansOnly())
		},
		client: ddhttptrace.WrapClient(&http.Client{Timeout: calendarTimeout}),
		shutdown: func(context.Context) error {
			ddtracer.Stop()
			return nil
		},
	}, nil
}

// --- Jaeger ---

type otSpan struct{ s opentracing.Span }

func (o otSpan) SetInt(k string, v int64)     { o.s.SetTag(k, v) }
func (o otSpan) SetString(k string, v string) { o.s.SetTag(k, v) }
func (o otSpan) Fail(err error) {
	otext.LogError(o.s, err)
}
func (o otSpan) End() { o.s.Finish() }

func jaegerStack() (*stack, error) {
	cfg, err := jaegercfg.FromEnv() // JAEGER_AGENT_HOST, JAEGER_SAMPLER_TYPE, …
	if err != nil {
		return nil, err
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "notes"
	}
	tr, closer, err := cfg.NewTracer()
	if err != nil {
		return nil, err
	}
	opentracing.SetGlobalTracer(tr)
	clientTrace := os.Getenv("STOCK_JAEGER_CLIENTTRACE") != "off"
	return &stack{
		server: func(h http.Handler) http.Handler { return nethttp.Middleware(tr, h) },
		span: func(ctx context.Context, name string) (context.Context, handlerSpan) {
			sp, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, name)
			return ctx, otSpan{sp}
		},
		current: func(ctx context.Context) handlerSpan {
			if sp := opentracing.SpanFromContext(ctx); sp != nil {
				return otSpan{sp}
			}
			return noSpan{}
		},
		openDB: func() (*sql.DB, error) { return sql.Open("sqlite", ":memory:") },
		sqlSpan: func(ctx context.Context, op, query string) (context.Context, func(error)) {
			sp, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tr, "sql."+op)
			otext.SpanKindRPCClient.Set(sp)
			otext.DBType.Set(sp, "sql")
			otext.DBInstance.Set(sp, ":memory:")
			otext.DBStatement.Set(sp, query)
			otext.PeerService.Set(sp, "sqlite")
			return ctx, func(err error) {
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					otext.Error.Set(sp, true)
					sp.LogFields(otlog.Error(err))
				}
				sp.Finish()
			}
		},
		client: &http.Client{Timeout: calendarTimeout, Transport: &nethttp.Transport{}},
		clientRequest: func(req *http.Request) (*http.Request, func()) {
			req, ht := nethttp.TraceRequest(tr, req, nethttp.ClientTrace(clientTrace))
			return req, ht.Finish
		},
		shutdown: func(context.Context) error { return closer.Close() },
	}, nil
}
