// Package grpcsvc traces gRPC with opentracing-contrib's interceptors. // want package:"uses OpenTracing"
package grpcsvc

import (
	otgrpc "github.com/opentracing-contrib/go-grpc"
	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
)

type server struct{ tracer opentracing.Tracer } // want `rewrite plumbing: field tracer: opentracing\.Tracer → \*tracing\.Tracer`

func (s *server) options() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.UnaryInterceptor(otgrpc.OpenTracingServerInterceptor(s.tracer)),        // want `rewrite otgrpc: otgrpc\.OpenTracingServerInterceptor → tracegrpc\.UnaryServerInterceptor \(span names kept`
		grpc.StreamInterceptor(otgrpc.OpenTracingStreamServerInterceptor(s.tracer)), // want `rewrite otgrpc: otgrpc\.OpenTracingStreamServerInterceptor → tracegrpc\.StreamServerInterceptor \(span names kept`
	}
}

func (s *server) work() {
	span := s.tracer.StartSpan("work") // want `rewrite span-start: tracer\.StartSpan → tracer\.Start`
	span.Finish()                      // want `rewrite span: Finish → End`
}

func dial(target string) (*grpc.ClientConn, error) {
	return grpc.NewClient(target, grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(opentracing.GlobalTracer())), // want `rewrite otgrpc: otgrpc\.OpenTracingClientInterceptor → tracegrpc\.UnaryClientInterceptor \(span names kept`
		grpc.WithStreamInterceptor(otgrpc.OpenTracingStreamClientInterceptor(opentracing.GlobalTracer()))) // want `rewrite otgrpc: otgrpc\.OpenTracingStreamClientInterceptor → tracegrpc\.StreamClientInterceptor \(span names kept`
}

// With payload logging the interceptor stays on OpenTracing: tracegrpc
// never records payloads.
func dialLogged(target string) (*grpc.ClientConn, error) {
	return grpc.NewClient(target, grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(opentracing.GlobalTracer(), otgrpc.LogPayloads()))) // want `left on otshim: otgrpc\.OpenTracingClientInterceptor stays on OpenTraci`
}
