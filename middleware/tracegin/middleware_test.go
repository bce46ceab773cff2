package tracegin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/tracing"
)

func init() { gin.SetMode(gin.ReleaseMode) }

var param = regexp.MustCompile(`\{(\w+)\}`)

func ginPath(p string) string { return param.ReplaceAllString(p, ":$1") }

func engine(routes []httpkittest.Route, mw gin.HandlerFunc) *gin.Engine {
	e := gin.New()
	if mw != nil {
		e.Use(mw)
	}
	for _, rt := range routes {
		e.Handle(rt.Method, ginPath(rt.Path), gin.WrapF(rt.Handler))
	}
	return e
}

var adapter = httpkittest.Adapter{
	New: func(routes []httpkittest.Route, opts ...tracegin.Option) http.Handler {
		return engine(routes, tracegin.Middleware(opts...))
	},
	Bare:  func(routes []httpkittest.Route) http.Handler { return engine(routes, nil) },
	Route: ginPath,
}

func TestServer(t *testing.T) { httpkittest.RunServerSuite(t, adapter) }

var errNotFound = errors.New("note 7 not found")

type dbError struct{ msg string }

func (e *dbError) Error() string { return e.msg }

// Errors attached with c.Error are recorded; only a failing status fails
// the span.
func TestGinErrors(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		r := gin.New()
		r.Use(tracegin.Middleware(tracegin.WithTracer(e.Tracer)))
		r.GET("/missing", func(c *gin.Context) {
			_ = c.Error(errNotFound)
			c.String(http.StatusNotFound, "no such note")
		})
		r.GET("/broken", func(c *gin.Context) {
			_ = c.Error(&dbError{"database is locked"})
			c.AbortWithStatus(http.StatusServiceUnavailable)
		})
		for _, p := range []string{"/missing", "/broken"} {
			r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
		}
		spans := e.SpansExactly(t, 2)
		missing, broken := httpkittest.Named(t, spans, "GET /missing"), httpkittest.Named(t, spans, "GET /broken")
		if typ, msg, _ := httpkittest.Exception(missing); missing.Status != tracing.StatusUnset || msg != "note 7 not found" || typ != "*errors.errorString" {
			t.Errorf("404 with error: status %v, exception %q %q; want unset with the error as an event", missing.Status, typ, msg)
		}
		e.WantAttr(t, missing, httpkit.KeyStatusCode, tracing.Int64Value(404))
		if broken.Status != tracing.StatusError || broken.ErrorType != "*tracegin_test.dbError" || broken.StatusMsg != "database is locked" {
			t.Errorf("503 with error: status %v %q, error type %q", broken.Status, broken.StatusMsg, broken.ErrorType)
		}
		e.WantAttr(t, broken, httpkit.KeyErrorType, tracing.StringValue("*tracegin_test.dbError"))
		e.WantAttr(t, broken, httpkit.KeyStatusCode, tracing.Int64Value(503))
	})
}

// With gin's Recovery before the middleware, a panic is recorded and
// Recovery still answers 500.
func TestRecoveryStillWorks(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		r := gin.New()
		r.Use(gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, _ any) { c.AbortWithStatus(http.StatusInternalServerError) }),
			tracegin.Middleware(tracegin.WithTracer(e.Tracer)))
		r.GET("/panic", gin.WrapF(httpkittest.PanicHandler))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))
		if w.Code != 500 {
			t.Fatalf("Recovery answered %d", w.Code)
		}
		sp := e.SpansExactly(t, 1)[0]
		if sp.Status != tracing.StatusError || sp.ErrorMessage != "boom" {
			t.Errorf("status %v error %q", sp.Status, sp.ErrorMessage)
		}
	})
}

// The handler's c.Request carries the server span.
func TestHandlerSeesSpan(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		r := gin.New()
		r.Use(tracegin.Middleware(tracegin.WithTracer(e.Tracer)))
		r.GET("/x", func(c *gin.Context) {
			_, child := e.Tracer.Start(c.Request.Context(), "child")
			child.End()
			c.Status(http.StatusNoContent)
		})
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
		spans := e.SpansExactly(t, 2)
		srv, child := httpkittest.One(t, spans, tracing.SpanKindServer), httpkittest.One(t, spans, tracing.SpanKindInternal)
		if child.ParentID != srv.SpanID || child.TraceID != srv.TraceID {
			t.Errorf("child not under the server span")
		}
		e.WantAttr(t, srv, httpkit.KeyStatusCode, tracing.Int64Value(204))
	})
}
