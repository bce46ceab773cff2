package ddbackend_test

import (
	"context"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// grpcSpans starts a backend sending to a fresh fake agent, runs f with
// its tracer, shuts it down and returns the spans the agent decoded.
func grpcSpans(t *testing.T, want int, f func(tr *tracing.Tracer)) []ddtest.Span {
	t.Helper()
	a := ddtest.Start(ddtest.Config{})
	defer a.Close()
	b, err := ddbackend.New(ddbackend.WithAgentURL(a.URL()), ddbackend.WithServiceName("grpcmap"), withDDLog())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	f(tr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	spans := a.WaitSpans(want, 5*time.Second)
	if len(spans) != want {
		t.Fatalf("%d spans, want %d: %+v", len(spans), want, spans)
	}
	if errs := a.Errors(); len(errs) > 0 {
		t.Fatalf("payloads the agent could not decode: %v", errs)
	}
	return spans
}

// rpcAttrs are what tracegrpc gives a call's span at start.
var rpcAttrs = tracing.WithAttrs(
	tracing.String("rpc.system", "grpc"),
	tracing.String("rpc.service", "grpc.testing.TestService"),
	tracing.String("rpc.method", "UnaryCall"))

// endAttrs are what tracegrpc sets when a call ends.
var endAttrs = []tracing.Attr{
	tracing.Int("rpc.grpc.status_code", 5),
	tracing.String("server.address", "calendar.internal"),
	tracing.Int("server.port", 9091),
	tracing.String("network.peer.address", "10.1.2.3"),
	tracing.Int("network.peer.port", 50051),
}

func meta(t *testing.T, s ddtest.Span, key, want string) {
	t.Helper()
	if got, ok := s.Meta[key]; !ok || got != want {
		t.Errorf("%s span: meta %s = %q (present %v), want %q; meta %v", s.Name, key, got, ok, want, s.Meta)
	}
}

func noTag(t *testing.T, s ddtest.Span, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := s.Meta[k]; ok {
			t.Errorf("%s span: meta %s = %q, want none", s.Name, k, v)
		}
		if v, ok := s.Metrics[k]; ok {
			t.Errorf("%s span: metric %s = %v, want none", s.Name, k, v)
		}
	}
}

// gRPC spans look as dd-trace-go's gRPC contrib makes them: operations
// grpc.server and grpc.client, the resource "/pkg.Service/Method", type
// rpc, grpc.code with the code's name, grpc.method.name and
// rpc.grpc.full_method; on clients the target host as peer.hostname and
// the address connected to as out.host and out.port (a string).
func TestGRPCMapping(t *testing.T) {
	spans := grpcSpans(t, 2, func(tr *tracing.Tracer) {
		ctx, srv := tr.Start(context.Background(), "grpc.testing.TestService/UnaryCall", tracing.WithKind(tracing.SpanKindServer), rpcAttrs)
		_, cli := tr.Start(ctx, "grpc.testing.TestService/UnaryCall", tracing.WithKind(tracing.SpanKindClient), rpcAttrs)
		cli.SetName("renamed") // the resource stays the method
		cli.SetAttrs(endAttrs...)
		cli.End()
		srv.SetAttrs(endAttrs...)
		srv.End()
	})
	byName := map[string]ddtest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	for _, op := range []string{"grpc.server", "grpc.client"} {
		s, ok := byName[op]
		if !ok {
			t.Fatalf("no %s span: %+v", op, spans)
		}
		if s.Resource != "/grpc.testing.TestService/UnaryCall" || s.Type != "rpc" || s.Service != "grpcmap" {
			t.Errorf("%s: resource %q type %q service %q, want /grpc.testing.TestService/UnaryCall, rpc, grpcmap", op, s.Resource, s.Type, s.Service)
		}
		meta(t, s, "rpc.system", "grpc")
		meta(t, s, "rpc.service", "grpc.testing.TestService")
		meta(t, s, "rpc.method", "UnaryCall")
		meta(t, s, "grpc.method.name", "/grpc.testing.TestService/UnaryCall")
		meta(t, s, "rpc.grpc.full_method", "/grpc.testing.TestService/UnaryCall")
		meta(t, s, "grpc.code", "NotFound")
		noTag(t, s, "rpc.grpc.status_code", "http.host", "http.url", "http.method")
	}
	srv, cli := byName["grpc.server"], byName["grpc.client"]
	meta(t, srv, "span.kind", "server")
	meta(t, cli, "span.kind", "client")
	meta(t, srv, "server.address", "calendar.internal")
	meta(t, srv, "network.peer.address", "10.1.2.3")
	if srv.Metrics["server.port"] != 9091 || srv.Metrics["network.peer.port"] != 50051 {
		t.Errorf("server span metrics %v, want server.port 9091 and network.peer.port 50051", srv.Metrics)
	}
	meta(t, cli, "peer.hostname", "calendar.internal")
	meta(t, cli, "out.host", "10.1.2.3")
	meta(t, cli, "out.port", "50051")
	if cli.Metrics["network.destination.port"] != 9091 {
		t.Errorf("client span metrics %v, want network.destination.port 9091", cli.Metrics)
	}
	noTag(t, cli, "server.address", "network.peer.address", "network.peer.port", "network.destination.name")
	if cli.ParentID != srv.SpanID {
		t.Errorf("client span's parent %d, want the server span %d", cli.ParentID, srv.SpanID)
	}
}

// Under naming schema v1 the operations are grpc.server.request and
// grpc.client.request; rpc.system set after start still makes a gRPC span
// (its resource then stays the name); codes gRPC does not know are named
// as codes.Code names them; other RPC systems and internal spans are not
// gRPC spans.
func TestGRPCMappingVariants(t *testing.T) {
	t.Setenv("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA", "v1")
	spans := grpcSpans(t, 4, func(tr *tracing.Tracer) {
		_, s := tr.Start(context.Background(), "v1.Server/M", tracing.WithKind(tracing.SpanKindServer), rpcAttrs)
		s.End()
		_, c := tr.Start(context.Background(), "late.Client/M", tracing.WithKind(tracing.SpanKindClient))
		c.SetAttrs(tracing.String("rpc.system", "grpc"), tracing.Int("rpc.grpc.status_code", 42))
		c.End()
		_, o := tr.Start(context.Background(), "other/M", tracing.WithKind(tracing.SpanKindClient),
			tracing.WithAttrs(tracing.String("rpc.system", "connect_rpc")))
		o.End()
		_, i := tr.Start(context.Background(), "internal", rpcAttrs)
		i.End()
	})
	want := map[string]struct{ op, resource, typ string }{
		"/grpc.testing.TestService/UnaryCall": {"grpc.server.request", "/grpc.testing.TestService/UnaryCall", "rpc"},
		"late.Client/M":                       {"grpc.client.request", "late.Client/M", "rpc"},
		"other/M":                             {"other/M", "other/M", ""},
		"internal":                            {"internal", "internal", ""},
	}
	for _, s := range spans {
		w, ok := want[s.Resource]
		if !ok {
			t.Errorf("unexpected span %s (resource %q)", s.Name, s.Resource)
			continue
		}
		if s.Name != w.op || s.Type != w.typ {
			t.Errorf("resource %q: operation %q type %q, want %q %q", s.Resource, s.Name, s.Type, w.op, w.typ)
		}
		if s.Resource == "late.Client/M" {
			meta(t, s, "grpc.code", "Code(42)")
		}
	}
}
