module github.com/polytrace/polytrace/middleware/tracechi

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/polytrace/polytrace v0.1.0
	go.uber.org/goleak v1.3.0
)

replace github.com/polytrace/polytrace => ../..
