package otelbackend_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// refusedURL returns the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// collectorFault is a misbehaving collector for TestFaults.
type collectorFault struct {
	name string
	// start returns the endpoint (a base URL: the test adds /v1/traces
	// for HTTP), the receiver if there is one, and a release function
	// (nil if the fault never clears).
	start func(t *testing.T) (url string, r *otlptest.Receiver, release func())
	// answers: the server takes the first export and holds it (the test
	// waits for that before the burst of spans).
	holds bool
	// delivers: once released (or as it is), the collector accepts spans.
	delivers bool
}

func receiverWith(f otlptest.Fault) func(t *testing.T) (string, *otlptest.Receiver, func()) {
	return func(t *testing.T) (string, *otlptest.Receiver, func()) {
		r := otlptest.Start(t)
		r.SetFault(f)
		return r.GRPCURL, r, nil
	}
}

var collectorFaults = []collectorFault{
	{name: "down", start: func(t *testing.T) (string, *otlptest.Receiver, func()) { return refusedURL(t), nil, nil }},
	{name: "never-answers", holds: true, start: func(t *testing.T) (string, *otlptest.Receiver, func()) {
		bh := otlptest.StartBlackhole(t)
		return bh.URL, nil, nil
	}},
	{name: "slow", holds: true, delivers: true, start: func(t *testing.T) (string, *otlptest.Receiver, func()) {
		hold := make(chan struct{})
		r := otlptest.Start(t)
		r.SetFault(otlptest.Fault{Hold: hold, Delay: 20 * time.Millisecond})
		release := func() {
			r.SetFault(otlptest.Fault{Delay: 20 * time.Millisecond})
			close(hold)
		}
		return r.GRPCURL, r, release
	}},
	{name: "500", holds: true, start: receiverWith(otlptest.Fault{Status: http.StatusInternalServerError})},
	{name: "503", holds: true, start: receiverWith(otlptest.Fault{Status: http.StatusServiceUnavailable})},
	{name: "429", holds: true, start: receiverWith(otlptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})},
}

// TestFaults runs a burst of spans against collectors that misbehave, over
// both transports, with the backend's defaults (retries included):
//
//   - 1000 Start/End complete while the collector holds the first export
//     (ordering, not timing: the collector has not answered it yet when
//     the burst is over);
//   - Shutdown returns by its context's deadline when the collector never
//     delivers, and delivers everything when it recovers;
//   - Stats accounts for every span: Ended = Exported + Dropped, and
//     Exported is what the collector kept;
//   - nothing leaks (TestMain's goleak check).
func TestFaults(t *testing.T) {
	for _, proto := range []otelbackend.Protocol{otelbackend.ProtocolHTTPProtobuf, otelbackend.ProtocolGRPC} {
		for _, f := range collectorFaults {
			t.Run(string(proto)+"/"+f.name, func(t *testing.T) {
				isolateEnv(t)
				base, r, release := f.start(t)
				if r != nil && proto == otelbackend.ProtocolHTTPProtobuf {
					base = r.HTTPURL
				} else if proto == otelbackend.ProtocolHTTPProtobuf {
					base += "/v1/traces"
				}
				b, err := otelbackend.New(otelbackend.WithEndpointURL(base), otelbackend.WithProtocol(proto), otelbackend.WithoutGlobal())
				if err != nil {
					t.Fatal(err)
				}
				tr := tracing.New(b)

				// One span, flushed: the collector gets (and, for the
				// faults that hold, keeps) the first export.
				_, first := tr.Start(context.Background(), "first")
				first.End()
				flushCtx, cancelFlush := context.WithTimeout(context.Background(), time.Minute)
				defer cancelFlush()
				flushed := make(chan error, 1)
				go func() { flushed <- tr.ForceFlush(flushCtx) }()
				if f.holds && r != nil && !r.WaitAttempts(1, 30*time.Second) {
					t.Fatal("the exporter never reached the collector")
				}

				burst := make(chan struct{})
				go func() {
					defer close(burst)
					for i := range 1000 {
						ctx, sp := tr.Start(context.Background(), "burst", tracing.WithAttrs(tracing.Int("i", i)))
						sp.SetAttrs(tracing.String("k", "v"))
						_ = ctx
						sp.End()
					}
				}()
				tracingtest.Guard(t, burst, "Start/End blocked on a misbehaving collector")
				if f.holds && release != nil {
					select {
					case err := <-flushed:
						t.Fatalf("the first export finished (%v) before the collector was released", err)
					default: // still held: the burst did not wait for it
					}
				}

				if f.delivers {
					release()
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					if err := tr.Shutdown(ctx); err != nil {
						t.Fatalf("Shutdown after the collector recovered: %v", err)
					}
					<-flushed
					spans := r.Spans(t, 1001)
					if n := distinctIDs(t, spans); n != 1001 {
						t.Errorf("collector got %d distinct spans, want 1001", n)
					}
					if st := tr.Stats(); st != (tracing.Stats{Ended: 1001, Exported: 1001}) {
						t.Errorf("stats %+v, want 1001 ended and exported", st)
					}
					return
				}

				if err := tracingtest.ShutdownWithin(t, tr.Shutdown, 250*time.Millisecond); err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Shutdown: %v, want nil or the deadline error", err)
				}
				<-flushed
				// Exports still running were aborted; every span is
				// accounted for once the batch processor is done.
				if !tracingtest.Poll(func() bool {
					s := b.Stats()
					return s.Ended == 1001 && s.Exported+s.Dropped == 1001
				}) {
					t.Fatalf("spans not accounted for: %+v", b.Stats())
				}
				kept := 0
				if r != nil {
					kept = len(r.Raw(0))
				}
				if st := b.Stats(); int(st.Exported) != kept || st.Dropped == 0 {
					t.Errorf("stats %+v, but the collector kept %d spans", st, kept)
				}
			})
		}
	}
}
