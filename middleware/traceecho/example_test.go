package traceecho_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
	"github.com/polytrace/polytrace/middleware/traceecho"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleMiddleware() {
	rec := tracingtest.NewRecorder() // any backend; the recorder keeps spans in memory
	e := echo.New()
	e.Use(traceecho.Middleware(traceecho.WithTracer(rec.Tracer())))
	e.GET("/notes/:id", func(c echo.Context) error {
		if c.Param("id") == "0" {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "database is locked")
		}
		return c.JSON(http.StatusOK, map[string]string{"id": c.Param("id")})
	})

	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes/7", nil))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes/0", nil))
	for _, s := range rec.Spans() {
		fmt.Printf("%s | status=%s %s\n", s.Name, s.AttrString("http.response.status_code"), s.Status)
	}
	// Output:
	// GET /notes/:id | status=200 unset
	// GET /notes/:id | status=503 error
}
