module example.com/svc

go 1.26.0

replace (
	github.com/polytrace/polytrace => ../../../../..
	github.com/polytrace/polytrace/tracing/jaegerbackend => ../../../../../tracing/jaegerbackend
	github.com/polytrace/polytrace/tracing/otshim => ../../../../../tracing/otshim
)

require (
	github.com/opentracing-contrib/go-grpc v0.1.4
	github.com/opentracing-contrib/go-stdlib v1.1.0
	github.com/opentracing/opentracing-go v1.2.0
	github.com/polytrace/polytrace v0.1.0
	github.com/polytrace/polytrace/tracing/jaegerbackend v0.1.0
	github.com/polytrace/polytrace/tracing/otshim v0.1.0
	github.com/uber/jaeger-client-go v2.30.0+incompatible
	github.com/uber/jaeger-lib v2.4.1+incompatible
	google.golang.org/grpc v1.84.0
)

require (
	github.com/pkg/errors v0.9.1 // indirect
	github.com/polytrace/polytrace/middleware/tracegrpc v0.1.0
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.40.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260706201446-f0a921348800 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace github.com/polytrace/polytrace/middleware/tracegrpc => ../../../../../middleware/tracegrpc
