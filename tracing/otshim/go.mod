module github.com/polytrace/polytrace/tracing/otshim

go 1.26.0

require (
	github.com/opentracing/opentracing-go v1.2.0
	github.com/polytrace/polytrace v0.1.0
	go.uber.org/goleak v1.3.0
)

replace github.com/polytrace/polytrace => ../..
