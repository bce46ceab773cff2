package tracegrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// A stream whose context is canceled mid-way, a stream abandoned after
// its first response and a call whose deadline has passed each end their
// spans exactly once: client spans failed with Canceled or
// DeadlineExceeded, the server span of the canceled stream with Canceled
// and not failed.
func TestCancellation(t *testing.T) {
	for _, m := range []int{0, 2} {
		mode := modes[m]
		t.Run(mode.name, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			cb := &counting{Backend: rec}
			tr := tracing.New(cb)
			r := tracegrpctest.Start(t, tracegrpctest.Config{Interceptors: mode.interceptors, Tracer: tr,
				Server: []tracegrpc.Option{tracegrpc.WithTracer(tr)}, Client: []tracegrpc.Option{tracegrpc.WithTracer(tr)}})

			// Bidirectional: one exchange, then the caller cancels.
			ctx, cancel := context.WithCancel(callCtx(t))
			st, err := r.Client.FullDuplexCall(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Send(&testgrpc.StreamingOutputCallRequest{ResponseParameters: []*testgrpc.ResponseParameters{{Size: 1}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Recv(); err != nil {
				t.Fatal(err)
			}
			cancel()
			if _, err := st.Recv(); status.Code(err) != codes.Canceled {
				t.Fatalf("Recv after cancel: %v, want Canceled", err)
			}

			// Server streaming: the caller reads one response of three,
			// then cancels without reading on.
			ctx2, cancel2 := context.WithCancel(callCtx(t))
			ss, err := r.Client.StreamingOutputCall(ctx2, &testgrpc.StreamingOutputCallRequest{
				ResponseParameters: []*testgrpc.ResponseParameters{{Size: 1}, {Size: 1}, {Size: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ss.Recv(); err != nil {
				t.Fatal(err)
			}
			cancel2()

			// A deadline already passed: the call never leaves the client
			// (gRPC does not start an attempt, and tells the stats handlers
			// nothing: only the interceptors see it).
			ctx3, cancel3 := context.WithTimeout(callCtx(t), -1)
			defer cancel3()
			if _, err := r.Client.UnaryCall(ctx3, &testgrpc.SimpleRequest{}); status.Code(err) != codes.DeadlineExceeded {
				t.Fatalf("UnaryCall past its deadline: %v", err)
			}

			clientCount := func(spans []tracingtest.SpanData) (n int) {
				for _, s := range spans {
					if s.Kind == tracing.SpanKindClient {
						n++
					}
				}
				return n
			}
			wantClients := 2
			if mode.interceptors {
				wantClients = 3
			}
			tracingtest.WaitFor(t, "the client spans to end", func() bool { return clientCount(rec.Spans()) == wantClients })
			tracingtest.WaitFor(t, "the bidirectional server span to end", func() bool {
				for _, s := range rec.Spans() {
					if s.Kind == tracing.SpanKindServer && s.Name == "grpc.testing.TestService/FullDuplexCall" {
						return true
					}
				}
				return false
			})
			for _, s := range rec.Spans() {
				code, _ := s.Attr(tracegrpc.KeyStatusCode)
				switch {
				case s.Kind == tracing.SpanKindClient && s.Name == "grpc.testing.TestService/UnaryCall":
					if code.AsInt64() != int64(codes.DeadlineExceeded) || s.Status != tracing.StatusError {
						t.Errorf("client %s: code %v status %v, want DeadlineExceeded, error", s.Name, code, s.Status)
					}
				case s.Kind == tracing.SpanKindClient:
					if code.AsInt64() != int64(codes.Canceled) || s.Status != tracing.StatusError {
						t.Errorf("client %s: code %v status %v, want Canceled, error", s.Name, code, s.Status)
					}
				case s.Kind == tracing.SpanKindServer && s.Name == "grpc.testing.TestService/FullDuplexCall":
					if code.AsInt64() != int64(codes.Canceled) || s.Status != tracing.StatusUnset {
						t.Errorf("server %s: code %v status %v, want Canceled, unset", s.Name, code, s.Status)
					}
				}
			}
			// Stop the server so that every span has ended, then count.
			r.Conn.Close()
			tracingtest.WaitFor(t, "every gRPC span to end", func() bool {
				for s, n := range cb.ends() {
					if s.name != tracegrpctest.WorkSpan && n == 0 {
						return false
					}
				}
				return true
			})
			for s, n := range cb.ends() {
				if n != 1 {
					t.Errorf("span %s ended %d times, want once", s.name, n)
				}
			}
		})
	}
}
