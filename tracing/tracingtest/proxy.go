package tracingtest

import (
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// ProxyMode is how a Proxy treats the connections through it.
type ProxyMode int

// The ways a Proxy misbehaves.
const (
	// ProxyPass forwards both ways as they come.
	ProxyPass ProxyMode = iota
	// ProxyTrickle forwards requests as they come and answers one byte a
	// second: a collector that answers, very slowly.
	ProxyTrickle
	// ProxyCut forwards requests, then closes the connection in the
	// middle of the receiver's next write (an answer held by the
	// receiver's Fault until the mode is set is cut in half).
	ProxyCut
)

// Proxy is a TCP proxy in front of a receiver that misbehaves on the
// network, whatever the protocol (OTLP/HTTP, OTLP/gRPC, Datadog's agent
// API, jaeger's collector): it answers slowly (ProxyTrickle), closes
// connections in the middle of an answer (ProxyCut), or restarts
// (Restart), dropping every connection and refusing new ones for a moment,
// as a collector restarted in the middle of a stream of exports does.
// Setup.Proxy puts one in front of a rig's receiver.
type Proxy struct {
	addr string

	mu      sync.Mutex
	mode    ProxyMode
	target  string
	ln      net.Listener
	conns   map[net.Conn]bool
	closed  bool
	wg      sync.WaitGroup
	stop    chan struct{} // closed by Close: trickling stops
	accepts int
}

// StartProxy starts a proxy on a loopback port, in mode; Setup.Endpoint
// points it at the receiver. It closes when the test ends.
func StartProxy(t testing.TB, mode ProxyMode) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{addr: ln.Addr().String(), mode: mode, ln: ln, conns: map[net.Conn]bool{}, stop: make(chan struct{})}
	p.serve(ln)
	t.Cleanup(p.Close)
	return p
}

// URL returns "http://127.0.0.1:port".
func (p *Proxy) URL() string { return "http://" + p.addr }

// SetMode changes how the proxy treats what the receiver sends from now
// on, on every connection.
func (p *Proxy) SetMode(m ProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
}

// Mode returns the proxy's mode.
func (p *Proxy) Mode() ProxyMode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Accepted returns how many connections the proxy accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepts
}

// point makes the proxy forward to the host and port of receiver's URL.
func (p *Proxy) point(t testing.TB, receiver string) {
	t.Helper()
	u, err := url.Parse(receiver)
	if err != nil {
		t.Fatalf("receiver URL %q: %v", receiver, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = u.Host
}

func (p *Proxy) serve(ln net.Listener) {
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				_ = c.Close()
				return
			}
			p.accepts++
			target := p.target
			p.conns[c] = true
			p.mu.Unlock()
			p.wg.Go(func() { p.handle(c, target) })
		}
	})
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) forget(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		_ = c.Close()
	}
}

func (p *Proxy) handle(client net.Conn, target string) {
	server, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil || !p.track(server) {
		if server != nil {
			_ = server.Close()
		}
		p.forget(client)
		return
	}
	defer p.forget(client, server)
	var sent sync.WaitGroup
	sent.Go(func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				if _, werr := server.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		// The client is gone: so is the answer.
		_ = server.Close()
	})
	defer sent.Wait()
	defer client.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			switch p.Mode() {
			case ProxyTrickle:
				for i := range n {
					if _, werr := client.Write(buf[i : i+1]); werr != nil {
						return
					}
					select {
					case <-time.After(time.Second):
					case <-p.stop:
						return
					}
				}
			case ProxyCut:
				// Half of the answer, then the connection goes.
				_, _ = client.Write(buf[:n/2])
				_ = server.Close()
				return
			default:
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// Restart drops every connection, refuses new ones for down, then listens
// on the same port again, as a collector that restarts does.
func (p *Proxy) Restart(t testing.TB, down time.Duration) {
	t.Helper()
	p.mu.Lock()
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	time.Sleep(down)
	var ln net.Listener
	var err error
	for range 100 { // the port is free again once the old listener is gone
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listening again on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = ln.Close()
		return
	}
	p.ln = ln
	p.mu.Unlock()
	p.serve(ln)
}

// Close closes the proxy and every connection through it.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.stop)
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
