package tracegin

import (
	"github.com/gin-gonic/gin"
	"github.com/polytrace/polytrace/middleware/httpkit"
)

// Middleware returns gin middleware that traces every request: one server
// span per request, continuing the caller's trace, named by the route gin
// matched ("GET /notes/:id", Context.FullPath; "GET" alone when none
// did). Install it on the engine, after gin's Recovery if you use it:
//
//	r := gin.New()
//	r.Use(gin.Recovery(), tracegin.Middleware())
//
// Errors handlers attach with Context.Error are recorded: they fail the
// span when the status does (5xx by default) and are recorded as
// exception events otherwise.
func Middleware(opts ...Option) gin.HandlerFunc {
	srv := httpkit.NewServer(opts)
	return func(c *gin.Context) {
		r := c.Request
		if srv.Skip(r) {
			c.Next()
			return
		}
		ctx, ss := srv.Start(r, c.FullPath())
		if name, id := ss.TraceIDHeader(); name != "" {
			c.Writer.Header()[name] = []string{id}
		}
		if !ss.Recording() {
			if ctx != r.Context() {
				c.Request = r.WithContext(ctx)
			}
			c.Next()
			return
		}
		c.Request = r.WithContext(ctx)
		defer func() {
			o := httpkit.Outcome{Route: c.FullPath()}
			if c.Writer.Written() {
				o.Status = c.Writer.Status()
				o.RespBodySize = int64(c.Writer.Size())
			} else if v := c.Writer.Status(); v != 200 {
				// Set with WriteHeader but not yet sent: gin sends it
				// when the handlers return.
				o.Status = v
			}
			if ss.CapturesResponseHeaders() {
				o.RespHeader = c.Writer.Header()
			}
			if v := recover(); v != nil {
				ss.EndPanic(v, o)
				panic(v)
			}
			ss.End(o, ginErrors(c)...)
		}()
		c.Next()
	}
}

// ginErrors returns the errors handlers attached to c (nil if none, so
// that the common case allocates nothing).
func ginErrors(c *gin.Context) []error {
	if len(c.Errors) == 0 {
		return nil
	}
	errs := make([]error, 0, len(c.Errors))
	for _, e := range c.Errors {
		if e != nil && e.Err != nil {
			errs = append(errs, e.Err)
		}
	}
	return errs
}
