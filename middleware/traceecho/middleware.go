package traceecho

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/polytrace/polytrace/middleware/httpkit"
)

// Middleware returns echo middleware that traces every request: one server
// span per request, continuing the caller's trace, named by the route echo
// matched ("GET /notes/:id", Context.Path; "GET" alone when none did).
// Install it with Use (not Pre: the route is known after routing):
//
//	e := echo.New()
//	e.Use(traceecho.Middleware())
//
// The error a handler returns is recorded and returned unchanged for
// echo's error handler. The status it will produce is taken from an
// *echo.HTTPError's code (500 for other errors), as echo's default error
// handler does, since the span ends before the error handler runs.
func Middleware(opts ...Option) echo.MiddlewareFunc {
	srv := httpkit.NewServer(opts)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			r := c.Request()
			if srv.Skip(r) {
				return next(c)
			}
			ctx, ss := srv.Start(r, c.Path())
			if name, id := ss.TraceIDHeader(); name != "" {
				c.Response().Header()[name] = []string{id}
			}
			if !ss.Recording() {
				if ctx != r.Context() {
					c.SetRequest(r.WithContext(ctx))
				}
				return next(c)
			}
			c.SetRequest(r.WithContext(ctx))
			defer func() {
				resp := c.Response()
				o := httpkit.Outcome{Route: c.Path()}
				if resp.Committed {
					o.Status = resp.Status
					o.RespBodySize = resp.Size
				} else if err != nil {
					o.Status = errorStatus(err)
				}
				if ss.CapturesResponseHeaders() {
					o.RespHeader = resp.Header()
				}
				if v := recover(); v != nil {
					ss.EndPanic(v, o)
					panic(v)
				}
				ss.End(o, handlerError(err))
			}()
			return next(c)
		}
	}
}

// errorStatus is the status echo's default error handler answers err with.
func errorStatus(err error) int {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code != 0 {
		return he.Code
	}
	return http.StatusInternalServerError
}

// handlerError is the error to record: the cause behind an *echo.HTTPError
// when it has one ("code=500, message=…, internal=…" says less than the
// cause's own type and message).
func handlerError(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal != nil {
		return he.Internal
	}
	return err
}
