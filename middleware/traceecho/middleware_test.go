package traceecho_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/tracing"
)

var param = regexp.MustCompile(`\{(\w+)\}`)

func echoPath(p string) string { return param.ReplaceAllString(p, ":$1") }

func newEcho(routes []httpkittest.Route, mw echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if mw != nil {
		e.Use(mw)
	}
	for _, rt := range routes {
		e.Add(rt.Method, echoPath(rt.Path), echo.WrapHandler(rt.Handler))
	}
	return e
}

var adapter = httpkittest.Adapter{
	New: func(routes []httpkittest.Route, opts ...traceecho.Option) http.Handler {
		return newEcho(routes, traceecho.Middleware(opts...))
	},
	// Echo applies middleware per request, which allocates the closure
	// any middleware returns: the baseline has a pass-through middleware,
	// so that the allocation test counts what this middleware does.
	Bare: func(routes []httpkittest.Route) http.Handler {
		return newEcho(routes, func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error { return next(c) }
		})
	},
	Route: echoPath,
}

func TestServer(t *testing.T) { httpkittest.RunServerSuite(t, adapter) }

type dbError struct{ msg string }

func (e *dbError) Error() string { return e.msg }

// The errors handlers return are recorded; their status decides whether
// the span fails; they reach echo's error handler unchanged.
func TestReturnedErrors(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, env *httpkittest.Env) {
		e := newEcho(nil, traceecho.Middleware(traceecho.WithTracer(env.Tracer)))
		db := &dbError{"database is locked"}
		var seen []error
		e.HTTPErrorHandler = func(err error, c echo.Context) {
			seen = append(seen, err)
			e.DefaultHTTPErrorHandler(err, c)
		}
		e.GET("/plain", func(echo.Context) error { return db })
		e.GET("/missing", func(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound, "no such note") })
		e.GET("/wrapped", func(echo.Context) error {
			return echo.NewHTTPError(http.StatusBadGateway, "upstream").SetInternal(db)
		})
		e.GET("/written", func(c echo.Context) error {
			_ = c.String(http.StatusOK, "partial")
			return errors.New("failed after writing")
		})
		want := []int{500, 404, 502, 200}
		for i, p := range []string{"/plain", "/missing", "/wrapped", "/written"} {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
			if w.Code != want[i] {
				t.Fatalf("%s: echo answered %d, want %d", p, w.Code, want[i])
			}
		}
		if len(seen) != 4 || seen[0] != error(db) { //nolint:errorlint // identity is the point
			t.Errorf("error handler saw %v", seen)
		}
		spans := env.SpansExactly(t, 4)
		plain, missing := httpkittest.Named(t, spans, "GET /plain"), httpkittest.Named(t, spans, "GET /missing")
		wrapped, written := httpkittest.Named(t, spans, "GET /wrapped"), httpkittest.Named(t, spans, "GET /written")
		if plain.Status != tracing.StatusError || plain.ErrorType != "*traceecho_test.dbError" {
			t.Errorf("plain error: status %v type %q", plain.Status, plain.ErrorType)
		}
		env.WantAttr(t, plain, httpkit.KeyStatusCode, tracing.Int64Value(500))
		if typ, _, _ := httpkittest.Exception(missing); missing.Status != tracing.StatusUnset || typ != "*echo.HTTPError" {
			t.Errorf("404: status %v, exception %q; want unset with an exception event", missing.Status, typ)
		}
		env.WantAttr(t, missing, httpkit.KeyStatusCode, tracing.Int64Value(404))
		if wrapped.Status != tracing.StatusError || wrapped.ErrorMessage != "database is locked" {
			t.Errorf("HTTPError with internal: status %v error %q", wrapped.Status, wrapped.ErrorMessage)
		}
		env.WantAttr(t, wrapped, httpkit.KeyStatusCode, tracing.Int64Value(502))
		env.WantAttr(t, written, httpkit.KeyStatusCode, tracing.Int64Value(200))
		if _, msg, _ := httpkittest.Exception(written); written.Status != tracing.StatusUnset || msg != "failed after writing" {
			t.Errorf("error after a 200 was written: status %v exception %q", written.Status, msg)
		}
	})
}

func TestHandlerSeesSpan(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, env *httpkittest.Env) {
		e := newEcho(nil, traceecho.Middleware(traceecho.WithTracer(env.Tracer)))
		e.GET("/x", func(c echo.Context) error {
			_, child := env.Tracer.Start(c.Request().Context(), "child")
			child.End()
			return c.NoContent(http.StatusNoContent)
		})
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
		spans := env.SpansExactly(t, 2)
		srv, child := httpkittest.One(t, spans, tracing.SpanKindServer), httpkittest.One(t, spans, tracing.SpanKindInternal)
		if child.ParentID != srv.SpanID || child.TraceID != srv.TraceID {
			t.Errorf("child not under the server span")
		}
	})
}
