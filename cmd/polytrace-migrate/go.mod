module github.com/polytrace/polytrace/cmd/polytrace-migrate

go 1.26.0

require (
	github.com/polytrace/polytrace v0.1.0
	github.com/polytrace/polytrace/tracing/jaegerbackend v0.1.0
	github.com/uber/jaeger-client-go v2.30.0+incompatible
	golang.org/x/tools v0.52.0
)

require (
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)

replace (
	github.com/polytrace/polytrace => ../..
	github.com/polytrace/polytrace/tracing/jaegerbackend => ../../tracing/jaegerbackend
)
