package tracegrpc_test

import (
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Every shape of call makes one client span and one server span in the
// caller's trace, the server span (and the handler's own span under it)
// the client span's child, both named "pkg.Service/Method" with the RPC
// conventions; over TCP with the addresses of both ends.
func TestCallShapes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
				r := rig(t, e, m.tcp, m.interceptors, nil, nil)
				for _, c := range tracegrpctest.Calls {
					ctx, root := e.Tracer.Start(callCtx(t), "root "+c.Name)
					if err := c.Do(ctx, r.Client); err != nil {
						t.Fatalf("%s: %v", c.Name, err)
					}
					root.End()
				}
				spans := e.SpansExactly(t, 4*len(tracegrpctest.Calls))
				for _, c := range tracegrpctest.Calls {
					root := httpkittest.Named(t, spans, "root "+c.Name)
					cli := kindOf(t, spans, c.Name, tracing.SpanKindClient)
					srv := kindOf(t, spans, c.Name, tracing.SpanKindServer)
					var work tracingtest.SpanData
					for _, s := range tracingtest.Named(spans, tracegrpctest.WorkSpan) {
						if s.ParentID == srv.SpanID {
							work = s
						}
					}
					if cli.TraceID != root.TraceID || srv.TraceID != root.TraceID || work.TraceID != root.TraceID ||
						cli.ParentID != root.SpanID || srv.ParentID != cli.SpanID || work.ParentID != srv.SpanID {
						t.Errorf("%s: root %s → client %s (parent %s) → server %s (parent %s) → work %s (parent %s): not one chain",
							c.Name, root.SpanID, cli.SpanID, cli.ParentID, srv.SpanID, srv.ParentID, work.SpanID, work.ParentID)
					}
					method := c.Name[strings.IndexByte(c.Name, '/')+1:]
					for _, s := range []tracingtest.SpanData{cli, srv} {
						wantStr(t, e, s, tracegrpc.KeyRPCSystem, "grpc")
						wantStr(t, e, s, tracegrpc.KeyRPCService, tracegrpctest.Service)
						wantStr(t, e, s, tracegrpc.KeyRPCMethod, method)
						wantInt(t, e, s, tracegrpc.KeyStatusCode, 0)
						if s.Status != tracing.StatusUnset {
							t.Errorf("%v span %s: status %v, want unset", s.Kind, s.Name, s.Status)
						}
						if len(s.Events) > 0 {
							t.Errorf("%v span %s has events %v (message events are off by default)", s.Kind, s.Name, s.Events)
						}
					}
					if !m.tcp {
						continue
					}
					_, p, _ := strings.Cut(r.Addr, ":")
					port, _ := strconv.Atoi(p)
					wantStr(t, e, cli, tracegrpc.KeyServerAddress, "127.0.0.1")
					wantInt(t, e, cli, tracegrpc.KeyServerPort, port)
					wantStr(t, e, cli, tracegrpc.KeyPeerAddress, "127.0.0.1")
					wantInt(t, e, cli, tracegrpc.KeyPeerPort, port)
					wantStr(t, e, srv, tracegrpc.KeyServerAddress, "127.0.0.1")
					wantInt(t, e, srv, tracegrpc.KeyServerPort, port)
					wantStr(t, e, srv, tracegrpc.KeyPeerAddress, "127.0.0.1")
					if v, ok := srv.Attr(tracegrpc.KeyPeerPort); !ok || v.String() == "0" || v.String() == p {
						t.Errorf("%s: server span's network.peer.port %v, want the client's port", e.Name, v)
					}
				}
			})
		})
	}
}

// Client spans fail for every code but OK; server spans only for
// Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable and
// DataLoss, keeping other errors as exception events. Both record
// rpc.grpc.status_code, on unary and streaming calls alike.
func TestStatusCodes(t *testing.T) {
	for _, m := range []int{0, 2} { // stats and interceptors, over bufconn
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
				r := rig(t, e, false, mode.interceptors, nil, nil)
				codesSent := []codes.Code{codes.InvalidArgument, codes.NotFound, codes.PermissionDenied, codes.Unknown,
					codes.Internal, codes.Unavailable, codes.DataLoss, codes.Unauthenticated}
				for _, code := range codesSent {
					_, err := r.Client.UnaryCall(callCtx(t), &testgrpc.SimpleRequest{
						ResponseStatus: &testgrpc.EchoStatus{Code: int32(code), Message: "because " + code.String()}})
					if status.Code(err) != code {
						t.Fatalf("UnaryCall answered %v, want %v", err, code)
					}
				}
				// A bidirectional stream that fails on its second request.
				st, err := r.Client.FullDuplexCall(callCtx(t))
				if err != nil {
					t.Fatal(err)
				}
				_ = st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 1}}})
				_, _ = st.Recv()
				_ = st.Send(&testgrpc.StreamingOutputCallRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(codes.FailedPrecondition), Message: "stop"}})
				if _, err := st.Recv(); status.Code(err) != codes.FailedPrecondition {
					t.Fatalf("stream ended with %v, want FailedPrecondition", err)
				}

				spans := e.SpansExactly(t, 3*(len(codesSent)+1))
				var cli, srv []tracingtest.SpanData
				for _, s := range spans {
					switch s.Kind {
					case tracing.SpanKindClient:
						cli = append(cli, s)
					case tracing.SpanKindServer:
						srv = append(srv, s)
					}
				}
				check := func(s tracingtest.SpanData, code codes.Code, msg string, fails bool) {
					t.Helper()
					wantInt(t, e, s, tracegrpc.KeyStatusCode, int(code))
					if fails {
						if s.Status != tracing.StatusError || s.StatusMsg != msg {
							t.Errorf("%v span, code %v: status %v %q, want error %q", s.Kind, code, s.Status, s.StatusMsg, msg)
						}
						return
					}
					if s.Status != tracing.StatusUnset {
						t.Errorf("%v span, code %v: status %v, want unset", s.Kind, code, s.Status)
					}
					if typ, emsg, ok := httpkittest.Exception(s); !ok || typ != "*status.Error" || !strings.Contains(emsg, msg) {
						t.Errorf("%v span, code %v: exception event %q %q (%v), want the status error", s.Kind, code, typ, emsg, ok)
					}
				}
				codeOf := func(s tracingtest.SpanData) codes.Code {
					v, _ := s.Attr(tracegrpc.KeyStatusCode)
					n, _ := strconv.Atoi(v.String())
					return codes.Code(n)
				}
				for _, s := range cli {
					c := codeOf(s)
					msg := "because " + c.String()
					if c == codes.FailedPrecondition {
						msg = "stop"
					}
					check(s, c, msg, true)
				}
				for _, s := range srv {
					c := codeOf(s)
					msg := "because " + c.String()
					if c == codes.FailedPrecondition {
						msg = "stop"
					}
					// OpenTelemetry's list for servers, written out.
					fails := c == codes.Unknown || c == codes.Internal || c == codes.Unavailable || c == codes.DataLoss
					check(s, c, msg, fails)
				}
			})
		})
	}
}
