package tracingtest

// Misbehaving receivers, for tests of how a backend copes with them: a
// Fault that the fake receivers of otlptest, ddtest and jaegertest apply
// to the exports that reach them (through a FaultGate each), a port
// nothing listens on (RefusedURL) and a server that accepts connections
// and never answers (Blackhole).

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is how a test receiver (otlptest.Receiver, ddtest.Agent,
// jaegertest.Collector) answers the export requests that reach it; the
// zero Fault is a healthy receiver.
type Fault struct {
	// Status, if not 0, answers every export with this HTTP status (an
	// OTLP/gRPC receiver: with the gRPC code the OTLP specification pairs
	// with it), and the spans are not kept.
	Status int
	// RetryAfter sets the Retry-After header of a Status answer (HTTP
	// only), in whole seconds.
	RetryAfter time.Duration
	// Hold, if not nil, holds each export until it is closed (or the
	// client gives up, or the receiver closes) before answering it.
	Hold <-chan struct{}
	// Delay holds each export for this long before answering it.
	Delay time.Duration
}

// WriteHTTP answers an HTTP export request as f.Status says, with
// f.RetryAfter, and reports whether it did (not when f.Status is 0).
func (f Fault) WriteHTTP(w http.ResponseWriter, msg string) bool {
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	http.Error(w, msg, f.Status)
	return true
}

// FaultGate is where the export requests of a test receiver arrive: it
// counts them, and holds them as the Fault it was given says. otlptest,
// ddtest and jaegertest have one each, behind their SetFault, Attempts
// and WaitAttempts. The zero value is a healthy gate.
type FaultGate struct {
	mu       sync.Mutex
	fault    Fault
	attempts int
	closing  chan struct{} // closed by Close
	changes  Changes
}

// SetFault applies f to the requests that arrive from now on.
func (g *FaultGate) SetFault(f Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fault = f
}

// Attempts returns how many requests arrived so far, answered, failed or
// still held.
func (g *FaultGate) Attempts() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.attempts
}

// WaitAttempts waits until at least n requests have arrived (answered or
// still held), or until timeout, and reports whether they did.
func (g *FaultGate) WaitAttempts(n int, timeout time.Duration) bool {
	return g.changes.WaitUntil(timeout, func() bool { return g.Attempts() >= n })
}

// Arrive counts a request and holds it as the fault says, until ctx (the
// request's) is done or the gate is closed; it returns the fault, whose
// Status the receiver then answers with.
func (g *FaultGate) Arrive(ctx context.Context) Fault {
	g.mu.Lock()
	f := g.fault
	g.attempts++
	closing := g.closingLocked()
	g.mu.Unlock()
	g.changes.Notify()
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-ctx.Done():
		case <-closing:
		}
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-closing:
		}
		t.Stop()
	}
	return f
}

// Close lets the requests held now, and those that arrive later, go at
// once: a receiver calls it as it closes.
func (g *FaultGate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.closingLocked():
	default:
		close(g.closing)
	}
}

func (g *FaultGate) closingLocked() chan struct{} {
	if g.closing == nil {
		g.closing = make(chan struct{})
	}
	return g.closing
}

// RefusedURL returns the base URL ("http://127.0.0.1:port") of a loopback
// port nothing listens on: a collector or agent that is down.
func RefusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// Blackhole is a collector or agent that accepts TCP connections and
// never reads from or answers them.
type Blackhole struct {
	// URL is "http://127.0.0.1:port".
	URL string

	ln      net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
	changes Changes
}

// StartBlackhole starts a black hole on a loopback port; it closes when
// the test ends.
func StartBlackhole(t testing.TB) *Blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Blackhole{URL: "http://" + ln.Addr().String(), ln: ln}
	b.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.changes.Notify()
		}
	})
	t.Cleanup(b.Close)
	return b
}

// Accepted returns how many connections were accepted.
func (b *Blackhole) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// WaitAccepted waits until at least n connections have been accepted, or
// until timeout, and reports whether they were.
func (b *Blackhole) WaitAccepted(n int, timeout time.Duration) bool {
	return b.changes.WaitUntil(timeout, func() bool { return b.Accepted() >= n })
}

// Close closes the listener and every connection.
func (b *Blackhole) Close() {
	_ = b.ln.Close()
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
}
