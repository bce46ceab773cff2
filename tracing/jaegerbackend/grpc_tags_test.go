package jaegerbackend

import (
	"testing"

	"github.com/polytrace/polytrace/tracing"
)

// The RPC conventions become the tags opentracing-contrib/go-grpc (otgrpc)
// writes: component=gRPC and response_code, the status code's name (what
// jaeger-client-go records for otgrpc's codes.Code tag); the peer keys
// become OpenTracing's peer tags on client spans; the others are kept.
func TestGRPCTags(t *testing.T) {
	for _, c := range []struct {
		kind  tracing.SpanKind
		attr  tracing.Attr
		key   string
		value any
	}{
		{tracing.SpanKindClient, tracing.String("rpc.system", "grpc"), "component", "gRPC"},
		{tracing.SpanKindServer, tracing.String("rpc.system", "grpc"), "component", "gRPC"},
		{tracing.SpanKindServer, tracing.String("rpc.system", "connect_rpc"), "component", "connect_rpc"},
		{tracing.SpanKindServer, tracing.Int("rpc.grpc.status_code", 0), "response_code", "OK"},
		{tracing.SpanKindClient, tracing.Int("rpc.grpc.status_code", 14), "response_code", "Unavailable"},
		{tracing.SpanKindClient, tracing.Int("rpc.grpc.status_code", 16), "response_code", "Unauthenticated"},
		{tracing.SpanKindClient, tracing.Int("rpc.grpc.status_code", 42), "response_code", "Code(42)"},
		{tracing.SpanKindClient, tracing.Int("rpc.grpc.status_code", -1), "response_code", "Code(-1)"},
		{tracing.SpanKindClient, tracing.String("rpc.grpc.status_code", "odd"), "response_code", "odd"},
		{tracing.SpanKindServer, tracing.String("rpc.service", "pkg.Service"), "rpc.service", "pkg.Service"},
		{tracing.SpanKindServer, tracing.String("rpc.method", "Method"), "rpc.method", "Method"},
		{tracing.SpanKindClient, tracing.String("server.address", "calendar"), "peer.hostname", "calendar"},
		{tracing.SpanKindClient, tracing.Int("server.port", 9091), "peer.port", int64(9091)},
		{tracing.SpanKindServer, tracing.String("server.address", "calendar"), "server.address", "calendar"},
		{tracing.SpanKindServer, tracing.String("network.peer.address", "10.0.0.7"), "peer.address", "10.0.0.7"},
		{tracing.SpanKindClient, tracing.Int("network.peer.port", 50051), "peer.port", int64(50051)},
	} {
		key := tagKey(c.attr.Key, c.kind)
		value := tagValue(c.attr.Key, c.attr.Value)
		if key != c.key || value != c.value {
			t.Errorf("%v span, %s: tag %s=%#v, want %s=%#v", c.kind, c.attr, key, value, c.key, c.value)
		}
	}
}
