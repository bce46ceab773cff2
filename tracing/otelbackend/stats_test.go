package otelbackend_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// gateExporter blocks its first export until released, then fails or
// succeeds as told, counting what it was given.
type gateExporter struct {
	started chan struct{}
	release chan struct{}
	fail    bool

	mu    sync.Mutex
	spans int
	once  sync.Once
}

func newGate(fail bool) *gateExporter {
	return &gateExporter{started: make(chan struct{}), release: make(chan struct{}), fail: fail}
}

func (g *gateExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	g.once.Do(func() {
		close(g.started)
		select {
		case <-g.release:
		case <-ctx.Done():
		}
	})
	g.mu.Lock()
	g.spans += len(spans)
	g.mu.Unlock()
	if g.fail {
		return errors.New("collector said no")
	}
	return nil
}

func (g *gateExporter) Shutdown(context.Context) error { return nil }

func (g *gateExporter) got() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.spans
}

// TestStatsExported: every span ended is counted once, as exported.
func TestStatsExported(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	r := otlptest.Start(t)
	b := newBackend(t, r, otelbackend.ProtocolGRPC)
	tr := tracing.New(b)
	for range 25 {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	tracingtest.Flush(t, b)
	if got := len(r.Raw(25)); got != 25 {
		t.Fatalf("receiver got %d spans", got)
	}
	if s := b.Stats(); s != (tracing.Stats{Ended: 25, Exported: 25}) {
		t.Errorf("stats %+v, want 25 ended and exported", s)
	}
}

// TestStatsQueueFull: spans the batching processor drops from its full
// queue are counted as they are dropped, while the first export is still
// held.
func TestStatsQueueFull(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	gate := newGate(false)
	b, err := otelbackend.New(otelbackend.WithExporter(gate), otelbackend.WithoutGlobal(),
		otelbackend.WithBatchOptions(sdkBatch(2, 1, time.Hour, time.Hour)...))
	if err != nil {
		t.Fatal(err)
	}
	defer tracingtest.Shutdown(t, b)
	tr := tracing.New(b)
	end := func() {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	end()
	<-gate.started // the first span is being exported: the queue is empty
	for range 10 {
		end() // two fit in the queue; eight are dropped
	}
	live := tracing.Stats{Ended: 11, Dropped: 8, Pending: 3, DroppedBy: tracing.DropCounts{QueueFull: 8}}
	if s := b.Stats(); s != live {
		t.Errorf("stats while the export is held: %+v, want %+v", s, live)
	}
	close(gate.release)
	tracingtest.Flush(t, b)
	if gate.got() != 3 {
		t.Fatalf("exporter got %d spans, want 3", gate.got())
	}
	if s := b.Stats(); s != (tracing.Stats{Ended: 11, Exported: 3, Dropped: 8, DroppedBy: tracing.DropCounts{QueueFull: 8}}) {
		t.Errorf("stats %+v, want 11 ended, 3 exported, 8 dropped", s)
	}
}

// TestStatsFailedAndLate: failed exports and spans ended after Shutdown
// count as dropped.
func TestStatsFailedAndLate(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	gate := newGate(true)
	close(gate.release)
	b, err := otelbackend.New(otelbackend.WithExporter(gate), otelbackend.WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	tr := tracing.New(b)
	for range 4 {
		_, sp := tr.Start(context.Background(), "op")
		sp.End()
	}
	_, straddle := tr.Start(context.Background(), "straddling")
	tracingtest.Shutdown(t, b)
	straddle.End()
	want := tracing.Stats{Ended: 5, Exported: 0, Dropped: 5, DroppedBy: tracing.DropCounts{ExportFailed: 4, AfterShutdown: 1}}
	if s := b.Stats(); s != want {
		t.Errorf("stats %+v, want 5 ended, 5 dropped (4 failed, 1 late)", s)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// sdkBatch returns batch span processor options.
func sdkBatch(queue, batch int, delay, exportTimeout time.Duration) []sdktrace.BatchSpanProcessorOption {
	return []sdktrace.BatchSpanProcessorOption{
		sdktrace.WithMaxQueueSize(queue), sdktrace.WithMaxExportBatchSize(batch),
		sdktrace.WithBatchTimeout(delay), sdktrace.WithExportTimeout(exportTimeout),
	}
}

// partialReceiver answers every export, over HTTP and gRPC, with a
// partial success rejecting the given number of spans (a warning alone
// when 0).
type partialReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	rejected int64
}

func (p *partialReceiver) Export(context.Context, *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	return &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{
		RejectedSpans: p.rejected, ErrorMessage: "some spans are too old"}}, nil
}

func (p *partialReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, _ := p.Export(r.Context(), &req)
	b, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

// TestStatsPartialSuccess: spans a receiver's partial success rejects
// count as dropped and the others as exported; a partial success that
// rejects none (a warning) exports them all.
func TestStatsPartialSuccess(t *testing.T) {
	tracingtest.IsolateEnv(t, nil)
	for _, rejected := range []int64{0, 2} {
		p := &partialReceiver{rejected: rejected}
		srv := httptest.NewServer(p)
		defer srv.Close()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gs := grpc.NewServer()
		coltracepb.RegisterTraceServiceServer(gs, p)
		go gs.Serve(l)
		defer gs.Stop()
		for _, proto := range []otelbackend.Protocol{otelbackend.ProtocolHTTPProtobuf, otelbackend.ProtocolGRPC} {
			t.Run(fmt.Sprintf("%s/rejected=%d", proto, rejected), func(t *testing.T) {
				url := srv.URL + "/v1/traces"
				if proto == otelbackend.ProtocolGRPC {
					url = "http://" + l.Addr().String()
				}
				b, err := open(t, url, proto)
				if err != nil {
					t.Fatal(err)
				}
				tr := tracing.New(b)
				for range 5 {
					_, sp := tr.Start(context.Background(), "op")
					sp.End()
				}
				_ = b.ForceFlush(context.Background())
				want := tracing.Stats{Ended: 5, Exported: 5 - uint64(rejected), Dropped: uint64(rejected),
					DroppedBy: tracing.DropCounts{ExportFailed: uint64(rejected)}}
				if s := b.Stats(); s != want {
					t.Errorf("stats %+v, want %+v", s, want)
				}
			})
		}
	}
}
