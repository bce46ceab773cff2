package grpc_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/polytrace/polytrace/e2e/vendors"
	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// rpcMapping is how a backend records tracegrpc's spans, as its vendor's
// own gRPC instrumentation records them (tracegrpc's package
// documentation has the table).
type rpcMapping struct {
	// op is the vendor operation of server and client spans ("": the
	// span name), resource whether the resource is "/pkg.Service/Method",
	// typ the span type.
	op       map[tracing.SpanKind]string
	resource bool
	typ      string
	// system is the tag (and value) that says gRPC.
	systemKey, systemValue string
	// code is the status code's tag, and whether it holds the code's name
	// (else the number).
	codeKey   string
	codeNamed bool
	// The keys of server.address, server.port, network.peer.address and
	// network.peer.port on client spans, and whether the peer port is a
	// string.
	clientServer, clientServerPort, clientPeer, clientPeerPort string
	peerPortString                                             bool
	// extra tags every gRPC span has.
	extra map[string]func(fullMethod string) string
	// absent keys must not be on gRPC spans: other vendors' names.
	absent []string
}

var mappings = map[string]rpcMapping{
	"otel": {
		systemKey: "rpc.system", systemValue: "grpc", codeKey: "rpc.grpc.status_code",
		clientServer: "server.address", clientServerPort: "server.port", clientPeer: "network.peer.address", clientPeerPort: "network.peer.port",
		absent: []string{"grpc.code", "component", "response_code", "peer.hostname", "out.host"},
	},
	"datadog": {
		op:       map[tracing.SpanKind]string{tracing.SpanKindServer: "grpc.server", tracing.SpanKindClient: "grpc.client"},
		resource: true, typ: "rpc",
		systemKey: "rpc.system", systemValue: "grpc", codeKey: "grpc.code", codeNamed: true,
		clientServer: "peer.hostname", clientServerPort: "network.destination.port", clientPeer: "out.host", clientPeerPort: "out.port", peerPortString: true,
		extra: map[string]func(string) string{
			"grpc.method.name":     func(m string) string { return m },
			"rpc.grpc.full_method": func(m string) string { return m },
			"rpc.service":          func(m string) string { return tracegrpctest.Service },
		},
		absent: []string{"rpc.grpc.status_code", "component", "response_code", "http.host", "http.url", "http.method"},
	},
	"jaeger": {
		systemKey: "component", systemValue: "gRPC", codeKey: "response_code", codeNamed: true,
		clientServer: "peer.hostname", clientServerPort: "peer.port", clientPeer: "peer.address", clientPeerPort: "peer.port",
		absent: []string{"rpc.system", "rpc.grpc.status_code", "grpc.code", "network.peer.address", "out.host"},
	},
}

// nameOf returns the facade name of a gRPC span read back: on Datadog,
// whose operation is grpc.server or grpc.client, the resource without its
// leading slash.
func nameOf(m rpcMapping, s tracingtest.SpanData) string {
	if m.resource && (s.Kind == tracing.SpanKindServer || s.Kind == tracing.SpanKindClient) && strings.HasPrefix(s.Resource, "/") {
		return s.Resource[1:]
	}
	return s.Name
}

func tag(t *testing.T, e *httpkittest.Env, s tracingtest.SpanData, key string, want tracing.Value) {
	t.Helper()
	got, ok := s.Attr(key)
	if !ok || !e.Equal(want, got) {
		t.Errorf("%s: %v span %q: %s = %v (%v, present %v), want %v", e.Name, s.Kind, s.Name, key, got, got.Kind(), ok, want)
	}
}

// check checks one gRPC span against the backend's mapping.
func check(t *testing.T, e *httpkittest.Env, m rpcMapping, s tracingtest.SpanData, fullMethod string, code codes.Code, port int) {
	t.Helper()
	if op := m.op[s.Kind]; op != "" {
		if got := e.Operation(s); got != op {
			t.Errorf("%s: %v span operation %q, want %q", e.Name, s.Kind, got, op)
		}
	}
	if m.resource && s.Resource != fullMethod {
		t.Errorf("%s: %v span resource %q, want %q", e.Name, s.Kind, s.Resource, fullMethod)
	}
	if s.Type != m.typ {
		t.Errorf("%s: %v span type %q, want %q", e.Name, s.Kind, s.Type, m.typ)
	}
	tag(t, e, s, m.systemKey, tracing.StringValue(m.systemValue))
	if m.systemKey != "rpc.service" {
		tag(t, e, s, "rpc.service", tracing.StringValue(tracegrpctest.Service))
	}
	tag(t, e, s, "rpc.method", tracing.StringValue(fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]))
	if m.codeNamed {
		tag(t, e, s, m.codeKey, tracing.StringValue(code.String()))
	} else {
		tag(t, e, s, m.codeKey, tracing.Int64Value(int64(code)))
	}
	for k, f := range m.extra {
		tag(t, e, s, k, tracing.StringValue(f(fullMethod)))
	}
	for _, k := range m.absent {
		if v, ok := s.Attr(k); ok {
			t.Errorf("%s: %v span has %s = %v, another vendor's key", e.Name, s.Kind, k, v)
		}
	}
	if s.Kind == tracing.SpanKindClient {
		tag(t, e, s, m.clientServer, tracing.StringValue("127.0.0.1"))
		tag(t, e, s, m.clientServerPort, tracing.Int64Value(int64(port)))
		tag(t, e, s, m.clientPeer, tracing.StringValue("127.0.0.1"))
		if m.peerPortString {
			tag(t, e, s, m.clientPeerPort, tracing.StringValue(strconv.Itoa(port)))
		} else {
			tag(t, e, s, m.clientPeerPort, tracing.Int64Value(int64(port)))
		}
	}
}

// Every shape of call, two failing calls and a canceled stream, over TCP,
// on every vendor backend with both the stats handlers and the
// interceptors: what each backend sent has the spans of one trace per
// call with the right parents, in the backend's own names, failed by the
// rules (client: any code but OK; server: OpenTelemetry's list), each
// span once.
func TestVendorMapping(t *testing.T) {
	for _, interceptors := range []bool{false, true} {
		mode := "stats"
		if interceptors {
			mode = "interceptors"
		}
		t.Run(mode, func(t *testing.T) {
			httpkittest.EachOf(t, vendors.Vendors(), func(t *testing.T, e *httpkittest.Env) {
				m := mappings[e.Name]
				opts := []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}
				r := tracegrpctest.Start(t, tracegrpctest.Config{TCP: true, Interceptors: interceptors, Tracer: e.Tracer, Server: opts, Client: opts})
				port, _ := strconv.Atoi(r.Addr[strings.LastIndexByte(r.Addr, ':')+1:])
				ctx, cancel := context.WithTimeout(context.Background(), tracegrpctest.Timeout)
				defer cancel()

				type want struct {
					method string
					code   codes.Code
				}
				var wants []want
				for _, c := range tracegrpctest.Calls {
					if err := c.Do(ctx, r.Client); err != nil {
						t.Fatalf("%s: %v", c.Name, err)
					}
					wants = append(wants, want{"/" + c.Name, codes.OK})
				}
				for _, c := range []codes.Code{codes.NotFound, codes.Internal} {
					_, err := r.Client.UnaryCall(ctx, &testgrpc.SimpleRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(c), Message: "no"}})
					if status.Code(err) != c {
						t.Fatalf("UnaryCall: %v, want %v", err, c)
					}
				}
				// A bidirectional stream canceled after one exchange.
				sctx, scancel := context.WithCancel(ctx)
				st, err := r.Client.FullDuplexCall(sctx)
				if err != nil {
					t.Fatal(err)
				}
				_ = st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 1}}})
				if _, err := st.Recv(); err != nil {
					t.Fatal(err)
				}
				scancel()
				if _, err := st.Recv(); status.Code(err) != codes.Canceled {
					t.Fatalf("canceled stream: %v", err)
				}

				// Per call: client, server and the handler's span.
				n := 3 * (len(tracegrpctest.Calls) + 3)
				spans := e.SpansExactly(t, n)
				servers := map[tracing.SpanID]tracingtest.SpanData{}
				var clients []tracingtest.SpanData
				works := 0
				for _, s := range spans {
					switch s.Kind {
					case tracing.SpanKindServer:
						servers[s.ParentID] = s
					case tracing.SpanKindClient:
						clients = append(clients, s)
					default:
						if s.Name != tracegrpctest.WorkSpan {
							t.Errorf("unexpected span %q", s.Name)
						}
						works++
					}
				}
				if len(clients) != len(tracegrpctest.Calls)+3 || works != len(clients) {
					t.Fatalf("%d client spans, %d handler spans, want %d of each", len(clients), works, len(tracegrpctest.Calls)+3)
				}
				seen := map[string]int{}
				for _, cli := range clients {
					srv, ok := servers[cli.SpanID]
					if !ok || srv.TraceID != cli.TraceID || !cli.IsRoot() {
						t.Errorf("%s: client span %s (%s) has no server span under it in its trace", e.Name, cli.SpanID, nameOf(m, cli))
						continue
					}
					name := nameOf(m, cli)
					if nameOf(m, srv) != name {
						t.Errorf("%s: client %q, server %q", e.Name, name, nameOf(m, srv))
					}
					code, _ := cli.Attr(m.codeKey)
					var c codes.Code
					switch code.String() {
					case "NotFound":
						c = codes.NotFound
					case "Internal":
						c = codes.Internal
					case "Canceled":
						c = codes.Canceled
					default:
						if m.codeNamed || code.String() == "0" {
							c = codes.OK
						} else {
							n, _ := strconv.Atoi(code.String())
							c = codes.Code(n)
						}
					}
					seen[name+" "+c.String()]++
					check(t, e, m, cli, "/"+name, c, port)
					if c == codes.Canceled {
						// The server may see the cancellation before or after
						// its handler's Recv; either way the status is
						// Canceled and the span not failed.
						tag(t, e, srv, m.codeKey, codeValue(m, codes.Canceled))
					} else {
						check(t, e, m, srv, "/"+name, c, port)
					}
					if failed := cli.Status == tracing.StatusError; failed != (c != codes.OK) {
						t.Errorf("%s: client span %s code %v: failed=%v", e.Name, name, c, failed)
					}
					if failed := srv.Status == tracing.StatusError; failed != (c == codes.Internal) {
						t.Errorf("%s: server span %s code %v: failed=%v", e.Name, name, c, failed)
					}
				}
				for _, w := range wants {
					if seen[w.method[1:]+" OK"] != 1 {
						t.Errorf("%s: %s: %d successful calls read back, want 1 (%v)", e.Name, w.method, seen[w.method[1:]+" OK"], seen)
					}
				}
				for _, k := range []string{"grpc.testing.TestService/UnaryCall NotFound", "grpc.testing.TestService/UnaryCall Internal",
					"grpc.testing.TestService/FullDuplexCall Canceled"} {
					if seen[k] != 1 {
						t.Errorf("%s: %q read back %d times, want once (%v)", e.Name, k, seen[k], seen)
					}
				}
			})
		})
	}
}

func codeValue(m rpcMapping, c codes.Code) tracing.Value {
	if m.codeNamed {
		return tracing.StringValue(c.String())
	}
	return tracing.Int64Value(int64(c))
}
