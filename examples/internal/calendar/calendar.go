// Package calendar is the calendar service of the examples: GET /calendar
// answers a random date in the coming year as a JSON string. It runs on
// echo (the default), gin or the standard library's ServeMux, each
// instrumented by its polytrace adapter.
package calendar

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"

	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/middleware/tracehttp"
	"github.com/polytrace/polytrace/tracing"
)

// Server answers GET /calendar.
type Server struct {
	// Tracer traces requests and GetDate; nil means the default.
	Tracer *tracing.Tracer
	// Service, if set, overrides the service name of calendar's spans
	// (the demo runs notes and calendar on one tracer).
	Service string
	// Now returns the current time (default time.Now); Days picks how
	// many days ahead the date is (default: uniformly 0–364).
	Now  func() time.Time
	Days func() int
}

// Routers are the routers Handler accepts.
var Routers = []string{"echo", "gin", "http"}

// Handler returns the service on router "echo", "gin" or "http".
func (s *Server) Handler(router string) (http.Handler, error) {
	switch router {
	case "", "echo":
		return s.Echo(), nil
	case "gin":
		return s.Gin(), nil
	case "http":
		return s.Mux(), nil
	}
	return nil, fmt.Errorf("unknown router %q (want echo, gin or http)", router)
}

func (s *Server) tracer() *tracing.Tracer {
	if s.Tracer != nil {
		return s.Tracer
	}
	return tracing.Default()
}

// options are the middleware options, the same for every router: the
// adapters share one option type.
func (s *Server) options() []tracehttp.Option {
	var opts []tracehttp.Option
	if s.Tracer != nil {
		opts = append(opts, tracehttp.WithTracer(s.Tracer))
	}
	if s.Service != "" {
		opts = append(opts, tracehttp.WithService(s.Service))
	}
	return opts
}

// date picks the date, in a span of its own as in the tutorial.
func (s *Server) date(ctx context.Context) string {
	var opts []tracing.StartOption
	if s.Service != "" {
		opts = append(opts, tracing.WithService(s.Service))
	}
	_, span := s.tracer().Start(ctx, "GetDate", opts...)
	defer span.End()
	now, days := time.Now, func() int { return rand.IntN(365) }
	if s.Now != nil {
		now = s.Now
	}
	if s.Days != nil {
		days = s.Days
	}
	d := now().AddDate(0, 0, days()).Format(time.DateOnly)
	span.SetAttrs(tracing.String("calendar.date", d))
	return d
}

// Echo returns the service on echo.
func (s *Server) Echo() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.Use(traceecho.Middleware(s.options()...))
	e.GET("/calendar", func(c echo.Context) error {
		return c.JSON(http.StatusOK, s.date(c.Request().Context()))
	})
	return e
}

// Gin returns the service on gin.
func (s *Server) Gin() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	g.Use(gin.Recovery(), tracegin.Middleware(s.options()...))
	g.GET("/calendar", func(c *gin.Context) {
		c.JSON(http.StatusOK, s.date(c.Request.Context()))
	})
	return g
}

// Mux returns the service on the standard library's ServeMux, wrapped by
// tracehttp.
func (s *Server) Mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /calendar", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.date(r.Context()))
	})
	return tracehttp.Handler(mux, s.options()...)
}
