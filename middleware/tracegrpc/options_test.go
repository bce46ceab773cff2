package tracegrpc_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Health checks are not traced by default; WithHealthChecks traces them.
// WithFilter drops the calls it rejects, seeing the call and its metadata.
func TestFilters(t *testing.T) {
	for _, m := range []int{0, 2} {
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
				noEmpty := tracegrpc.WithFilter(func(ctx context.Context, c tracegrpc.CallInfo) bool {
					return c.Method != "EmptyCall"
				})
				byMetadata := tracegrpc.WithFilter(func(ctx context.Context, c tracegrpc.CallInfo) bool {
					md, _ := metadata.FromIncomingContext(ctx)
					if c.Client {
						md, _ = metadata.FromOutgoingContext(ctx)
					}
					return len(md.Get("x-untraced")) == 0
				})
				r := rig(t, e, false, mode.interceptors, []tracegrpc.Option{noEmpty, byMetadata}, []tracegrpc.Option{noEmpty, byMetadata})
				r2 := tracegrpctest.Start(t, tracegrpctest.Config{Interceptors: mode.interceptors, Health: true,
					Server: []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer), tracegrpc.WithHealthChecks()},
					Client: []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer), tracegrpc.WithHealthChecks()}})
				r3 := tracegrpctest.Start(t, tracegrpctest.Config{Interceptors: mode.interceptors, Health: true,
					Server: []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}, Client: []tracegrpc.Option{tracegrpc.WithTracer(e.Tracer)}})

				if _, err := r3.Health.Check(callCtx(t), &healthpb.HealthCheckRequest{}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Client.EmptyCall(callCtx(t), &testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Client.UnaryCall(metadata.AppendToOutgoingContext(callCtx(t), "x-untraced", "1"), &testgrpc.SimpleRequest{}); err != nil {
					t.Fatal(err)
				}
				if _, err := r2.Health.Check(callCtx(t), &healthpb.HealthCheckRequest{}); err != nil {
					t.Fatal(err)
				}
				// The handlers' own spans, and the health check of r2.
				spans := e.SpansExactly(t, 4)
				for _, s := range spans {
					if s.Name != "grpc.health.v1.Health/Check" && s.Name != tracegrpctest.WorkSpan {
						t.Errorf("span %q (%v): only the health check with WithHealthChecks is traced", s.Name, s.Kind)
					}
				}
			})
		})
	}
}

// WithSpanNamer names spans (an empty name keeps the default), WithService
// records them under another service.
func TestNamerAndService(t *testing.T) {
	httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
		namer := tracegrpc.WithSpanNamer(func(c tracegrpc.CallInfo) string {
			if c.Method == "EmptyCall" {
				return ""
			}
			side := "served "
			if c.Client {
				side = "called "
			}
			return side + c.Method
		})
		r := rig(t, e, false, false, []tracegrpc.Option{namer, tracegrpc.WithService("calendar")}, []tracegrpc.Option{namer})
		if _, err := r.Client.UnaryCall(callCtx(t), &testgrpc.SimpleRequest{}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Client.EmptyCall(callCtx(t), &testgrpc.Empty{}); err != nil {
			t.Fatal(err)
		}
		spans := e.SpansExactly(t, 6)
		srv := kindOf(t, spans, "served UnaryCall", tracing.SpanKindServer)
		kindOf(t, spans, "called UnaryCall", tracing.SpanKindClient)
		kindOf(t, spans, "grpc.testing.TestService/EmptyCall", tracing.SpanKindServer)
		if srv.Service != "calendar" {
			t.Errorf("server span's service %q, want calendar", srv.Service)
		}
	})
}

// No metadata is recorded by default. Listed keys are, on both sides, in
// requests and responses; credentials are recorded as REDACTED even when
// listed; binary keys are base64-encoded.
func TestMetadata(t *testing.T) {
	for _, m := range []int{0, 2} {
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
				md := []tracegrpc.Option{
					tracegrpc.WithRequestMetadata("Authorization", "x-tenant", "x-data-bin", "x-absent", " "),
					tracegrpc.WithResponseMetadata("x-echo", "x-echo-trailer"),
				}
				r := rig(t, e, false, mode.interceptors, md, md)
				plain := rig(t, e, false, mode.interceptors, nil, nil)
				ctx := metadata.AppendToOutgoingContext(callCtx(t), "authorization", "Bearer s3cr3t-token",
					"x-tenant", "acme", "x-data-bin", "\x00\xffbin", "x-other", "unlisted-value", tracegrpctest.EchoMetadataKey, "echoed")
				if _, err := r.Client.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
				if _, err := plain.Client.EmptyCall(ctx, &testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
				spans := e.SpansExactly(t, 6)
				if httpkittest.ContainsValue(spans, "s3cr3t") || httpkittest.ContainsValue(spans, "unlisted-value") {
					t.Errorf("a credential or unlisted metadata was recorded")
				}
				var listed []tracingtest.SpanData
				for _, s := range spans {
					if s.Kind == tracing.SpanKindInternal {
						continue
					}
					if _, ok := s.Attr("rpc.grpc.request.metadata.x-tenant"); ok {
						listed = append(listed, s)
						continue
					}
					for _, a := range s.Attrs {
						if strings.HasPrefix(a.Key, "rpc.grpc.") && strings.Contains(a.Key, ".metadata.") {
							t.Errorf("%v span without the options records %s", s.Kind, a)
						}
					}
				}
				if len(listed) != 2 {
					t.Fatalf("%d spans record metadata, want the client and server spans of the call with the options", len(listed))
				}
				for _, s := range listed {
					for key, want := range map[string]string{
						"rpc.grpc.request.metadata.authorization":   "REDACTED",
						"rpc.grpc.request.metadata.x-tenant":        "acme",
						"rpc.grpc.request.metadata.x-data-bin":      base64.StdEncoding.EncodeToString([]byte("\x00\xffbin")),
						"rpc.grpc.response.metadata.x-echo":         "echoed",
						"rpc.grpc.response.metadata.x-echo-trailer": "echoed",
					} {
						if mode.interceptors && s.Kind == tracing.SpanKindServer && strings.HasPrefix(key, "rpc.grpc.response.") {
							continue // the server interceptors cannot see the response metadata
						}
						v, ok := s.Attr(key)
						if got := v.AsStringSlice(); !ok || len(got) != 1 || got[0] != want {
							t.Errorf("%v span: %s = %v (%v), want [%s]", s.Kind, key, v, v.Kind(), want)
						}
					}
					if _, ok := s.Attr("rpc.grpc.request.metadata.x-absent"); ok {
						t.Errorf("%v span records metadata that was not sent", s.Kind)
					}
				}
			})
		})
	}
}

// WithMessageEvents records each message with its direction, id and size.
func TestMessageEvents(t *testing.T) {
	for _, m := range []int{0, 2} {
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			tr := rec.Tracer()
			opts := []tracegrpc.Option{tracegrpc.WithTracer(tr), tracegrpc.WithMessageEvents()}
			r := tracegrpctest.Start(t, tracegrpctest.Config{Interceptors: mode.interceptors, Server: opts, Client: opts})
			st, err := r.Client.FullDuplexCall(callCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_ = st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 7}}})
				if _, err := st.Recv(); err != nil {
					t.Fatal(err)
				}
			}
			_ = st.CloseSend()
			if _, err := st.Recv(); !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			spans := rec.WaitForSpans(2, tracegrpctest.Timeout)
			for _, s := range spans {
				var got []string
				for _, ev := range s.Events {
					typ, _ := ev.Attr(tracegrpc.KeyMessageType)
					id, _ := ev.Attr(tracegrpc.KeyMessageID)
					size, _ := ev.Attr(tracegrpc.KeyMessageSize)
					if ev.Name != "message" {
						t.Errorf("event %q", ev.Name)
					}
					got = append(got, typ.String()+"/"+id.String()+"/"+size.String())
				}
				// Requests are 4 bytes (one ResponseParameters of size 7),
				// responses 11 (a payload of 7 bytes).
				want := "SENT/1/4 RECEIVED/1/11 SENT/2/4 RECEIVED/2/11"
				if s.Kind == tracing.SpanKindServer {
					want = "RECEIVED/1/4 SENT/1/11 RECEIVED/2/4 SENT/2/11"
				}
				if strings.Join(got, " ") != want {
					t.Errorf("%v span's message events %q, want %q", s.Kind, got, want)
				}
			}
		})
	}
}

// A public endpoint starts a new trace linked to the caller's span.
func TestPublicEndpoint(t *testing.T) {
	for _, m := range []int{0, 2} {
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			httpkittest.Each(t, func(t *testing.T, e *httpkittest.Env) {
				onlyUnary := tracegrpc.WithPublicEndpointFn(func(_ context.Context, c tracegrpc.CallInfo) bool { return c.Method == "UnaryCall" })
				r := rig(t, e, false, mode.interceptors, []tracegrpc.Option{onlyUnary}, nil)
				if _, err := r.Client.UnaryCall(callCtx(t), &testgrpc.SimpleRequest{}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Client.EmptyCall(callCtx(t), &testgrpc.Empty{}); err != nil {
					t.Fatal(err)
				}
				spans := e.SpansExactly(t, 6)
				cli := kindOf(t, spans, "grpc.testing.TestService/UnaryCall", tracing.SpanKindClient)
				srv := kindOf(t, spans, "grpc.testing.TestService/UnaryCall", tracing.SpanKindServer)
				if !srv.IsRoot() || srv.TraceID == cli.TraceID {
					t.Errorf("public endpoint: server span in trace %s under %s, want a new trace (the caller's is %s)", srv.TraceID, srv.ParentID, cli.TraceID)
				}
				if len(srv.Links) != 1 || srv.Links[0].TraceID != cli.TraceID || srv.Links[0].SpanID != cli.SpanID {
					t.Errorf("public endpoint: links %+v, want one to the client span %s", srv.Links, cli.SpanID)
				}
				ecli := kindOf(t, spans, "grpc.testing.TestService/EmptyCall", tracing.SpanKindClient)
				esrv := kindOf(t, spans, "grpc.testing.TestService/EmptyCall", tracing.SpanKindServer)
				if esrv.ParentID != ecli.SpanID {
					t.Errorf("a call the decider does not select continues the caller's trace")
				}
			})
		})
	}
}

// WithErrorCodes decides which codes fail a span.
func TestErrorCodes(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	only := tracegrpc.WithErrorCodes(func(c codes.Code) bool { return c == codes.NotFound })
	r := tracegrpctest.Start(t, tracegrpctest.Config{
		Server: []tracegrpc.Option{tracegrpc.WithTracer(tr), only}, Client: []tracegrpc.Option{tracegrpc.WithTracer(tr), only}})
	for _, c := range []codes.Code{codes.NotFound, codes.Internal} {
		_, _ = r.Client.UnaryCall(callCtx(t), &testgrpc.SimpleRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(c)}})
	}
	for _, s := range rec.WaitForSpans(4, tracegrpctest.Timeout) {
		code, _ := s.Attr(tracegrpc.KeyStatusCode)
		if failed := s.Status == tracing.StatusError; failed != (code.AsInt64() == int64(codes.NotFound)) {
			t.Errorf("%v span with code %v: failed=%v", s.Kind, code, failed)
		}
	}
}

// The server interceptors record a handler's panic (value, type, stack)
// and re-raise it; here a recovery interceptor outside turns it into
// Internal.
func TestPanic(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	r := tracegrpctest.Start(t, tracegrpctest.Config{Interceptors: true, Recover: true,
		Server: []tracegrpc.Option{tracegrpc.WithTracer(tr)}, Client: []tracegrpc.Option{tracegrpc.WithTracer(tr)}})
	ctx := metadata.AppendToOutgoingContext(callCtx(t), tracegrpctest.PanicMetadataKey, "boom")
	if _, err := r.Client.EmptyCall(ctx, &testgrpc.Empty{}); status.Code(err) != codes.Internal {
		t.Fatalf("EmptyCall: %v, want Internal", err)
	}
	spans := rec.WaitForSpans(2, tracegrpctest.Timeout)
	srv := kindOf(t, spans, "grpc.testing.TestService/EmptyCall", tracing.SpanKindServer)
	if srv.Status != tracing.StatusError || srv.ErrorType != "string" || srv.ErrorMessage != "boom" ||
		!strings.Contains(srv.ErrorStack, "tracegrpctest.(*Server).EmptyCall") || strings.Contains(srv.ErrorStack, "runtime.gopanic") {
		t.Errorf("server span after a panic: status %v, error %q %q, stack:\n%s", srv.Status, srv.ErrorType, srv.ErrorMessage, srv.ErrorStack)
	}
	cli := kindOf(t, spans, "grpc.testing.TestService/EmptyCall", tracing.SpanKindClient)
	if cli.Status != tracing.StatusError {
		t.Errorf("client span status %v, want error", cli.Status)
	}
}

var _ = grpc.NewServer
