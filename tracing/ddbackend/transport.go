package ddbackend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/tinylib/msgp/msgp"
)

// agentTransport is the http.RoundTripper dd-trace-go reaches the agent
// through. dd-trace-go's Stop and Flush have no deadline of their own and
// its requests carry no context, so the backend routes them through this
// transport to bound them:
//
//   - every request is bound to the backend's lifetime, which Shutdown
//     cancels when its ctx expires (so dd-trace-go's Stop returns and its
//     goroutines end), and during New to New's ctx;
//   - trace uploads are counted, in spans, as delivered or failed (the
//     backend's Stats), and tracked so that ForceFlush can wait for them.
type agentTransport struct {
	base http.RoundTripper

	life   context.Context
	cancel context.CancelCauseFunc
	setup  atomic.Pointer[context.Context] // while New runs

	mu       sync.Mutex
	inflight int           // trace uploads under way
	changed  chan struct{} // closed and replaced when inflight changes

	// counts gets the spans in uploads the agent accepted (exported)
	// and in those that failed (dropped, DropExportFailed).
	counts *backendkit.Counters
}

func newAgentTransport(base http.RoundTripper, counts *backendkit.Counters) *agentTransport {
	t := &agentTransport{base: base, changed: make(chan struct{}), counts: counts}
	t.life, t.cancel = context.WithCancelCause(context.Background())
	return t
}

// defaultTransport is dd-trace-go's default agent transport (see its
// defaultHTTPClient and udsClient), dialling the Unix socket for unix URLs.
func defaultTransport(agent *url.URL, timeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
	if agent.Scheme == "unix" {
		path := agent.Path
		t.Proxy = nil
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
	}
	return t
}

func (t *agentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	bound := t.life
	if s := t.setup.Load(); s != nil {
		bound = *s
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	stop := context.AfterFunc(bound, func() { cancel(context.Cause(bound)) })
	release := func() { stop(); cancel(nil) }
	req = req.WithContext(ctx)

	traces := strings.HasSuffix(req.URL.Path, "/traces")
	var spans uint64
	if traces && req.Body != nil {
		body, err := readBody(req)
		if err != nil {
			release()
			return nil, err
		}
		spans = countSpans(body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		t.track(+1)
		defer t.track(-1)
	}
	resp, err := t.base.RoundTrip(req)
	if traces {
		if err == nil && resp.StatusCode < 300 {
			t.counts.AddExported(spans)
		} else {
			t.counts.AddDropped(backendkit.DropExportFailed, spans)
		}
	}
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = backendkit.ReleaseOnClose(resp.Body, release)
	return resp, nil
}

func readBody(req *http.Request) ([]byte, error) {
	defer req.Body.Close()
	var buf bytes.Buffer
	if req.ContentLength > 0 {
		buf.Grow(int(req.ContentLength))
	}
	_, err := buf.ReadFrom(req.Body)
	return buf.Bytes(), err
}

// countSpans counts the spans of a v0.4 payload (an array of traces, each
// an array of spans) that their trace's sampling priority keeps: a chunk
// whose spans carry _sampling_priority_v1 <= 0 is sent only for the
// agent's statistics and dropped there, as sampling decided. A payload it
// cannot read counts as zero (what was read before the error counts).
func countSpans(b []byte) uint64 {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return 0
	}
	var spans uint64
	for range n {
		var m uint32
		if m, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
			return spans
		}
		keep := true
		for range m {
			var p float64
			var has bool
			if p, has, b, err = spanPriority(b); err != nil {
				return spans
			}
			if has && p <= 0 {
				keep = false
			}
		}
		if keep {
			spans += uint64(m)
		}
	}
	return spans
}

// spanPriority reads one encoded span and returns its
// _sampling_priority_v1 metric, if it has one.
func spanPriority(b []byte) (p float64, has bool, rest []byte, err error) {
	var fields uint32
	if fields, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
		return 0, false, b, err
	}
	for range fields {
		var key []byte
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return 0, false, b, err
		}
		if string(key) != "metrics" || msgp.IsNil(b) {
			if b, err = msgp.Skip(b); err != nil {
				return 0, false, b, err
			}
			continue
		}
		var n uint32
		if n, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
			return 0, false, b, err
		}
		for range n {
			var k []byte
			if k, b, err = msgp.ReadMapKeyZC(b); err != nil {
				return 0, false, b, err
			}
			if string(k) != samplingPriorityKey {
				if b, err = msgp.Skip(b); err != nil {
					return 0, false, b, err
				}
				continue
			}
			if p, b, err = msgp.ReadFloat64Bytes(b); err != nil {
				return 0, false, b, err
			}
			has = true
		}
	}
	return p, has, b, nil
}

// samplingPriorityKey is the metric that carries a trace's sampling
// priority in a payload.
const samplingPriorityKey = "_sampling_priority_v1"

func (t *agentTransport) track(d int) {
	t.mu.Lock()
	t.inflight += d
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

// waitIdle waits until no trace upload is under way. dd-trace-go's Flush
// hands the payload to a goroutine that starts the upload a moment later,
// so waitIdle also waits up to settle for an upload to begin.
func (t *agentTransport) waitIdle(ctx context.Context, settle time.Duration) error {
	timer := time.NewTimer(settle)
	defer timer.Stop()
	for {
		t.mu.Lock()
		n, ch := t.inflight, t.changed
		t.mu.Unlock()
		if n > 0 {
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// bindSetup binds requests to ctx until the returned function is called.
func (t *agentTransport) bindSetup(ctx context.Context) func() {
	if ctx.Done() == nil {
		return func() {}
	}
	sctx, cancel := context.WithCancelCause(t.life)
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	t.setup.Store(&sctx)
	return func() {
		t.setup.Store(nil)
		stop()
		cancel(nil)
	}
}

// CloseIdleConnections closes the base transport's idle connections;
// dd-trace-go's Stop calls it through http.Client.
func (t *agentTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

var errShutdown = errors.New("ddbackend: backend shut down")

// abort cancels every agent request under way and any later one.
func (t *agentTransport) abort(cause error) {
	if cause == nil {
		cause = errShutdown
	}
	t.cancel(cause)
}
