package jaegertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uber/jaeger-client-go/thrift"
	agentthrift "github.com/uber/jaeger-client-go/thrift-gen/agent"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// received holds the payloads a fake agent or collector got.
type received struct {
	mu      sync.Mutex
	raw     [][]byte
	changes tracingtest.Changes
	decode  func([]byte) (*j.Batch, error)
}

func (r *received) add(b []byte) {
	r.mu.Lock()
	r.raw = append(r.raw, b)
	r.mu.Unlock()
	r.changes.Notify()
}

// Payloads returns the raw payloads received so far (datagrams or request
// bodies), in order.
func (r *received) Payloads() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.raw)
}

// Batches decodes every payload received so far. A payload that does not
// decode is an error: the client sent something a real agent or collector
// would reject.
func (r *received) Batches() ([]*j.Batch, error) {
	raw := r.Payloads()
	out := make([]*j.Batch, 0, len(raw))
	for i, p := range raw {
		b, err := r.decode(p)
		if err != nil {
			return out, fmt.Errorf("payload %d of %d bytes: %w", i, len(p), err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Wait waits until the payloads received hold at least want spans, or
// until timeout, and returns the spans decoded so far. A payload that
// does not decode is an error.
func (r *received) Wait(want int, timeout time.Duration) ([]*j.Span, error) {
	var spans []*j.Span
	var err error
	r.changes.WaitUntil(timeout, func() bool {
		var batches []*j.Batch
		batches, err = r.Batches()
		spans = nil
		for _, b := range batches {
			spans = append(spans, b.Spans...)
		}
		return err != nil || len(spans) >= want
	})
	return spans, err
}

// Spans is Wait for a test: it fails t if a payload does not decode.
func (r *received) Spans(t testing.TB, want int, timeout time.Duration) []*j.Span {
	t.Helper()
	spans, err := r.Wait(want, timeout)
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	return spans
}

// SpanData is Spans decoded into the conformance suite's form.
func (r *received) SpanData(t testing.TB, want int, timeout time.Duration) []tracingtest.SpanData {
	t.Helper()
	spans := r.Spans(t, want, timeout)
	out := make([]tracingtest.SpanData, 0, len(spans))
	for _, s := range spans {
		out = append(out, SpanData(s))
	}
	return out
}

// Agent is a fake jaeger-agent: a UDP socket on 127.0.0.1 that keeps every
// datagram and decodes it as the agent does (a thrift compact emitBatch
// call).
type Agent struct {
	received
	conn *net.UDPConn
	done chan struct{}
}

// NewAgent listens on a free loopback UDP port. Close it when done.
func NewAgent() (*Agent, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(8 << 20) // bursts of 64 KB datagrams
	a := &Agent{received: received{decode: DecodeEmitBatch}, conn: conn, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		buf := make([]byte, 1<<16)
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			a.add(slices.Clone(buf[:n]))
		}
	}()
	return a, nil
}

// StartAgent is NewAgent for a test: it fails t on error and closes the
// agent when the test ends.
func StartAgent(t testing.TB) *Agent {
	t.Helper()
	a, err := NewAgent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// HostPort returns the agent's host and port, the values of
// JAEGER_AGENT_HOST and JAEGER_AGENT_PORT that point a client at it.
func (a *Agent) HostPort() (host, port string) {
	addr := a.conn.LocalAddr().(*net.UDPAddr)
	return addr.IP.String(), strconv.Itoa(addr.Port)
}

// Addr returns the agent's address as host:port.
func (a *Agent) Addr() string { return a.conn.LocalAddr().String() }

// Close stops the agent; what it received stays readable.
func (a *Agent) Close() {
	a.conn.Close()
	<-a.done
}

// DecodeEmitBatch decodes a datagram as jaeger-agent does: a thrift
// compact message calling emitBatch.
func DecodeEmitBatch(pkt []byte) (*j.Batch, error) {
	ctx := context.Background()
	buf := thrift.NewTMemoryBufferLen(len(pkt))
	if _, err := buf.Write(pkt); err != nil {
		return nil, err
	}
	p := thrift.NewTCompactProtocolConf(buf, &thrift.TConfiguration{})
	name, typ, _, err := p.ReadMessageBegin(ctx)
	if err != nil {
		return nil, err
	}
	if name != "emitBatch" || (typ != thrift.ONEWAY && typ != thrift.CALL) {
		return nil, fmt.Errorf("message %q of type %d, want an emitBatch call", name, typ)
	}
	args := agentthrift.NewAgentEmitBatchArgs()
	if err := args.Read(ctx, p); err != nil {
		return nil, err
	}
	if err := p.ReadMessageEnd(ctx); err != nil {
		return nil, err
	}
	if args.Batch == nil {
		return nil, errors.New("emitBatch without a batch")
	}
	return args.Batch, nil
}

// Collector is a fake jaeger-collector: an HTTP server that accepts
// POST /api/traces with a thrift binary Batch, as the collector does.
type Collector struct {
	received
	srv      *httptest.Server
	gate     tracingtest.FaultGate
	mu       sync.Mutex
	requests []*http.Request
}

// Fault describes how a Collector misbehaves; the zero Fault is a healthy
// collector.
type Fault = tracingtest.Fault

// SetFault makes the collector answer the requests that arrive from now on
// as f says.
func (c *Collector) SetFault(f Fault) { c.gate.SetFault(f) }

// Attempts returns how many requests arrived so far, answered or not.
func (c *Collector) Attempts() int { return c.gate.Attempts() }

// WaitAttempts waits until at least n requests have arrived (answered or
// still held), or until timeout, and reports whether they did.
func (c *Collector) WaitAttempts(n int, timeout time.Duration) bool {
	return c.gate.WaitAttempts(n, timeout)
}

// NewCollector starts a collector on a loopback port. Close it when done.
func NewCollector() *Collector {
	c := &Collector{received: received{decode: DecodeBinaryBatch}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "want a POST with a body", http.StatusBadRequest)
			return
		}
		if f := c.gate.Arrive(r.Context()); f.WriteHTTP(w, "jaegertest: fault injected") || r.Context().Err() != nil {
			return
		}
		c.mu.Lock()
		c.requests = append(c.requests, r.Clone(context.Background()))
		c.mu.Unlock()
		c.add(body)
		w.WriteHeader(http.StatusAccepted)
	}))
	return c
}

// StartCollector is NewCollector for a test: it closes the collector when
// the test ends.
func StartCollector(t testing.TB) *Collector {
	t.Helper()
	c := NewCollector()
	t.Cleanup(c.Close)
	return c
}

// URL returns the endpoint, the value of JAEGER_ENDPOINT that points a
// client at the collector.
func (c *Collector) URL() string { return c.srv.URL + "/api/traces" }

// Requests returns the requests received so far (bodies already read).
func (c *Collector) Requests() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requests)
}

// Close stops the collector (letting held requests go first); what it
// received stays readable.
func (c *Collector) Close() {
	c.gate.Close()
	c.srv.Close()
}

// DecodeBinaryBatch decodes a collector request body: a thrift binary
// Batch.
func DecodeBinaryBatch(body []byte) (*j.Batch, error) {
	buf := thrift.NewTMemoryBufferLen(len(body))
	if _, err := buf.Write(body); err != nil {
		return nil, err
	}
	b := j.NewBatch()
	if err := b.Read(context.Background(), thrift.NewTBinaryProtocolConf(buf, &thrift.TConfiguration{})); err != nil {
		return nil, err
	}
	return b, nil
}
