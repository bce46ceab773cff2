package tracegrpc_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/polytrace/polytrace/middleware/tracegrpc"
	"github.com/polytrace/polytrace/middleware/tracegrpc/tracegrpctest"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// seen records what a server's handlers received: the metadata, and the
// span context and baggage in their context.
type seen struct {
	mu      sync.Mutex
	md      metadata.MD
	sc      tracing.SpanContext
	baggage tracing.Baggage
}

func (s *seen) interceptor() grpc.ServerOption {
	return grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		s.mu.Lock()
		s.md, _ = metadata.FromIncomingContext(ctx)
		s.sc = tracing.SpanFromContext(ctx).SpanContext()
		s.baggage = tracing.BaggageFromContext(ctx)
		s.mu.Unlock()
		return h(ctx, req)
	})
}

func (s *seen) get() (metadata.MD, tracing.SpanContext, tracing.Baggage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md, s.sc, s.baggage
}

const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// callerCtx is a context as a server that extracted W3C trace context and
// baggage from its own caller has it.
func callerCtx(t *testing.T) context.Context {
	return tracing.DefaultPropagator().Extract(callCtx(t), tracing.MapCarrier{
		"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01",
		"baggage":     "tenant=acme%20corp"})
}

// The client writes W3C traceparent and baggage into the request metadata
// (its tracer's propagator: here the recorder's, W3C) and an
// uninstrumented server receives them; an uninstrumented client's W3C
// metadata makes the instrumented server's span a child of the caller,
// and the handler sees the baggage.
func TestPropagation(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			// Instrumented client → bare server.
			rec := tracingtest.NewRecorder()
			tr := rec.Tracer()
			var got seen
			r := tracegrpctest.Start(t, tracegrpctest.Config{TCP: m.tcp, Interceptors: m.interceptors, BareServer: true,
				Client: []tracegrpc.Option{tracegrpc.WithTracer(tr)}, ServerOptions: []grpc.ServerOption{got.interceptor()}})
			if _, err := r.Client.UnaryCall(callerCtx(t), &testgrpc.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
			cli := rec.WaitForSpans(1, tracegrpctest.Timeout)[0]
			md, _, _ := got.get()
			want := "00-" + callerTrace + "-" + cli.SpanID.String() + "-01"
			if tp := md.Get("traceparent"); len(tp) != 1 || tp[0] != want || cli.ParentID.String() != callerSpan {
				t.Errorf("the server got traceparent %q, want %q (the client span, child of the caller)", tp, want)
			}
			if b := md.Get("baggage"); len(b) != 1 || b[0] != "tenant=acme%20corp" {
				t.Errorf("the server got baggage %q", b)
			}

			// Bare client → instrumented server.
			rec2 := tracingtest.NewRecorder()
			tr2 := rec2.Tracer()
			var got2 seen
			r2 := tracegrpctest.Start(t, tracegrpctest.Config{TCP: m.tcp, Interceptors: m.interceptors, BareClient: true, Tracer: tr2,
				Server: []tracegrpc.Option{tracegrpc.WithTracer(tr2)}, ServerOptions: []grpc.ServerOption{got2.interceptor()}})
			ctx := metadata.AppendToOutgoingContext(callCtx(t), "traceparent", "00-"+callerTrace+"-"+callerSpan+"-01",
				"baggage", "tenant=acme%20corp")
			if _, err := r2.Client.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
			spans := rec2.WaitForSpans(2, tracegrpctest.Timeout)
			srv := kindOf(t, spans, "grpc.testing.TestService/UnaryCall", tracing.SpanKindServer)
			if srv.TraceID.String() != callerTrace || srv.ParentID.String() != callerSpan {
				t.Errorf("server span in trace %s under %s, want %s under %s", srv.TraceID, srv.ParentID, callerTrace, callerSpan)
			}
			_, sc, bag := got2.get()
			if sc.SpanID() != srv.SpanID {
				t.Errorf("the handler's span is %s, want the server span %s", sc.SpanID(), srv.SpanID)
			}
			if v, _ := bag.Get("tenant"); v != "acme corp" {
				t.Errorf("the handler's baggage tenant=%q, want %q", v, "acme corp")
			}
		})
	}
}

// With tracing off (the none backend), no span is made, but the trace
// context still goes through: the server's handler gets what the caller
// sent, and the client passes on the context it was given.
func TestTracingOffPropagates(t *testing.T) {
	off := tracing.New(nil)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var got seen
			r := tracegrpctest.Start(t, tracegrpctest.Config{TCP: m.tcp, Interceptors: m.interceptors,
				Server: []tracegrpc.Option{tracegrpc.WithTracer(off)}, Client: []tracegrpc.Option{tracegrpc.WithTracer(off)},
				ServerOptions: []grpc.ServerOption{got.interceptor()}})
			if _, err := r.Client.UnaryCall(callerCtx(t), &testgrpc.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
			md, sc, bag := got.get()
			if sc.TraceID().String() != callerTrace || sc.SpanID().String() != callerSpan || !sc.IsRemote() {
				t.Errorf("the handler's span context %v, want the caller's, remote; metadata %v", sc, md)
			}
			if v, _ := bag.Get("tenant"); v != "acme corp" {
				t.Errorf("the handler's baggage tenant=%q", v)
			}
		})
	}
}

// WithPropagator replaces the tracer's propagator on both sides.
func TestWithPropagator(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tr := rec.Tracer()
	p := &countingProp{Propagator: tracing.TraceContext{}}
	var got seen
	r := tracegrpctest.Start(t, tracegrpctest.Config{Tracer: tr,
		Server:        []tracegrpc.Option{tracegrpc.WithTracer(tr), tracegrpc.WithPropagator(p)},
		Client:        []tracegrpc.Option{tracegrpc.WithTracer(tr), tracegrpc.WithPropagator(p)},
		ServerOptions: []grpc.ServerOption{got.interceptor()}})
	if _, err := r.Client.UnaryCall(callerCtx(t), &testgrpc.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	md, _, _ := got.get()
	if p.injects.Load() != 1 || p.extracts.Load() != 1 || len(md.Get("baggage")) != 0 || len(md.Get("traceparent")) != 1 {
		t.Errorf("propagator: %d injects, %d extracts; metadata %v (want traceparent only)", p.injects.Load(), p.extracts.Load(), md)
	}
}

type countingProp struct {
	tracing.Propagator
	injects, extracts atomic.Int32
}

func (p *countingProp) Inject(ctx context.Context, c tracing.Carrier) {
	p.injects.Add(1)
	p.Propagator.Inject(ctx, c)
}

func (p *countingProp) Extract(ctx context.Context, c tracing.Carrier) context.Context {
	p.extracts.Add(1)
	return p.Propagator.Extract(ctx, c)
}
