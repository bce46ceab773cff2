package tracegin_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/polytrace/polytrace/middleware/tracegin"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func ExampleMiddleware() {
	gin.SetMode(gin.ReleaseMode)
	rec := tracingtest.NewRecorder() // any backend; the recorder keeps spans in memory
	r := gin.New()
	r.Use(gin.Recovery(), tracegin.Middleware(tracegin.WithTracer(rec.Tracer())))
	r.GET("/notes/:id", func(c *gin.Context) {
		if c.Param("id") == "0" {
			_ = c.Error(errors.New("no note 0"))
			c.String(http.StatusNotFound, "not found")
			return
		}
		c.JSON(http.StatusOK, gin.H{"id": c.Param("id")})
	})

	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes/7", nil))
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/notes/0", nil))
	for _, s := range rec.Spans() {
		fmt.Printf("%s | status=%s failed=%v error=%q\n", s.Name, s.AttrString("http.response.status_code"), s.Status.String() == "error", s.ErrorMessage)
	}
	// Output:
	// GET /notes/:id | status=200 failed=false error=""
	// GET /notes/:id | status=404 failed=false error="no note 0"
}
