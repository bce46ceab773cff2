module example.com/shop

go 1.26.0

require (
	github.com/opentracing-contrib/go-stdlib v1.1.0
	github.com/opentracing/opentracing-go v1.2.0
	github.com/polytrace/polytrace v0.1.0
	github.com/polytrace/polytrace/tracing/jaegerbackend v0.1.0
	github.com/polytrace/polytrace/tracing/otshim v0.1.0
	github.com/uber/jaeger-client-go v2.30.0+incompatible
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	github.com/uber/jaeger-lib v2.4.1+incompatible // indirect
	go.uber.org/atomic v1.12.0 // indirect
)

replace (
	github.com/polytrace/polytrace => ../../../..
	github.com/polytrace/polytrace/tracing/jaegerbackend => ../../../../tracing/jaegerbackend
	github.com/polytrace/polytrace/tracing/otshim => ../../../../tracing/otshim
)
