// Package grpc holds the end-to-end tests of tracegrpc on the vendor
// backends (the module of tracegrpc must not require their SDKs): real
// gRPC calls over TCP, each backend read back through the decoder of what
// it really sent (OTLP, Datadog msgpack, Jaeger thrift), checked against
// the mapping of RPC conventions each backend documents; and one trace
// across tracegrpc and each vendor's own gRPC instrumentation — otelgrpc,
// dd-trace-go's gRPC contrib, opentracing-contrib/go-grpc — in both
// directions. It has no code of its own.
package grpc
