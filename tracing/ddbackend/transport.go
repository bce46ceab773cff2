package ddbackend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
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
//     backend's Stats), timed (ExportStats), and tracked so that
//     ForceFlush can wait for them;
//   - the spans in uploads the agent has not answered are bounded
//     (maxPending): dd-trace-go would otherwise start up to 100 uploads of
//     up to 5 MB each against an agent that hangs, and hold them all for
//     its client's timeout. Past the bound an upload fails at once,
//     without being sent or copied, and its spans count as dropped
//     (DropQueueFull); dd-trace-go then frees its payload.
type agentTransport struct {
	base       http.RoundTripper
	maxPending uint64

	life   context.Context
	cancel context.CancelCauseFunc
	setup  atomic.Pointer[context.Context] // while New runs

	admit    sync.Mutex // one upload at a time is read, counted and admitted
	mu       sync.Mutex
	inflight int           // trace uploads under way
	pending  uint64        // the spans they hold
	changed  chan struct{} // closed and replaced when inflight changes

	// counts gets the spans in uploads the agent accepted (exported)
	// and in those that failed (dropped, DropExportFailed).
	counts *backendkit.Counters
}

func newAgentTransport(base http.RoundTripper, counts *backendkit.Counters, maxPending int) *agentTransport {
	if maxPending <= 0 {
		maxPending = DefaultMaxPendingSpans
	}
	t := &agentTransport{base: base, changed: make(chan struct{}), counts: counts, maxPending: uint64(maxPending)}
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

	traces := strings.HasSuffix(req.URL.Path, "/traces") && req.Body != nil
	var spans uint64
	if traces {
		t.admit.Lock()
		if t.full() {
			// Earlier uploads hold the bound and are unanswered: this
			// one is refused, its spans counted from the stream.
			t.admit.Unlock()
			n := countSpansFrom(req.Body)
			_ = req.Body.Close()
			t.counts.AddDropped(backendkit.DropQueueFull, n)
			release()
			return nil, errAgentBusy
		}
		// Until the body has gone through, the upload weighs its trace
		// chunks (dd-trace-go's count), at least one span each.
		est, _ := strconv.ParseUint(req.Header.Get("X-Datadog-Trace-Count"), 10, 64)
		t.track(+1, est)
		t.admit.Unlock()
		cb := newCountingBody(req.Body)
		req.Body = cb
		req.GetBody = nil
		defer func() {
			t.track(-1, est)
			cb.finish(ctx) // ends the counting goroutine if nothing else did
		}()
		start := time.Now()
		resp, err := t.base.RoundTrip(req)
		// The body may still be read while the answer comes: the count
		// is taken once what the transport did not send is read here
		// (from dd-trace-go's buffer, not the network).
		spans = cb.finish(ctx)
		ok := err == nil && resp.StatusCode < 300
		t.counts.ObserveExport(time.Since(start), !ok)
		if err != nil {
			t.counts.NoteExportError(err)
		} else if !ok {
			t.counts.NoteExportError(fmt.Errorf("the agent answered %s", resp.Status))
		}
		switch {
		case ok:
			t.counts.AddExported(spans)
		case err == nil && resp.StatusCode == http.StatusRequestEntityTooLarge:
			t.counts.AddDropped(backendkit.DropTooLarge, spans)
		default:
			t.counts.AddDropped(backendkit.DropExportFailed, spans)
		}
		return t.answer(resp, err, release)
	}
	resp, err := t.base.RoundTrip(req)
	return t.answer(resp, err, release)
}

func (t *agentTransport) answer(resp *http.Response, err error, release func()) (*http.Response, error) {
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = backendkit.ReleaseOnClose(resp.Body, release)
	return resp, nil
}

// countingBody is an upload's body: dd-trace-go's payload, passed to the
// HTTP transport as it reads it (no copy), and counted on the way
// (countSpansFrom, through a pipe, on a goroutine of its own).
type countingBody struct {
	mu     sync.Mutex
	src    io.ReadCloser
	pw     *io.PipeWriter
	done   bool
	n      chan uint64
	closed chan struct{} // closed by Close: the HTTP transport is done with the body
	once   sync.Once
}

func newCountingBody(src io.ReadCloser) *countingBody {
	pr, pw := io.Pipe()
	b := &countingBody{src: src, pw: pw, n: make(chan uint64, 1), closed: make(chan struct{})}
	go func() {
		n := countSpansFrom(pr)
		_, _ = io.Copy(io.Discard, pr) // what a malformed payload leaves
		b.n <- n
	}()
	return b
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	if n > 0 {
		_, _ = b.pw.Write(p[:n])
	}
	return n, err
}

// Close tells finish that the transport is done with the body (it may
// close it after RoundTrip returned); finish closes the payload once it is
// counted.
func (b *countingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// finish waits for the transport to be done with the body (it always
// closes it: RoundTrip's contract; or until ctx, the request's, is done),
// reads what it did not send, counts it,
// and returns the payload's span count (the first call; later ones return
// 0).
func (b *countingBody) finish(ctx context.Context) uint64 {
	select {
	case <-b.closed:
	case <-ctx.Done(): // a transport of the application's that never closes it
	}
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return 0
	}
	b.done = true
	_, _ = io.Copy(b.pw, b.src)
	_ = b.src.Close()
	_ = b.pw.Close()
	b.mu.Unlock()
	return <-b.n
}

// countSpansFrom counts the spans of a v0.4 payload (an array of traces,
// each an array of spans) that their trace's sampling priority keeps,
// reading it as a stream, without keeping it: a chunk whose spans carry
// _sampling_priority_v1 <= 0 is sent only for the agent's statistics and
// dropped there, as sampling decided. A payload it cannot read counts as
// zero (what was read before the error counts).
func countSpansFrom(r io.Reader) uint64 {
	mr := msgp.NewReaderSize(r, 4096)
	n, err := mr.ReadArrayHeader()
	if err != nil {
		return 0
	}
	var spans uint64
	for range n {
		m, err := mr.ReadArrayHeader()
		if err != nil {
			return spans
		}
		keep := true
		for range m {
			p, has, err := spanPriorityFrom(mr)
			if err != nil {
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

// spanPriorityFrom reads one encoded span and returns its
// _sampling_priority_v1 metric, if it has one.
func spanPriorityFrom(mr *msgp.Reader) (p float64, has bool, err error) {
	fields, err := mr.ReadMapHeader()
	if err != nil {
		return 0, false, err
	}
	for range fields {
		key, err := mr.ReadMapKeyPtr()
		if err != nil {
			return 0, false, err
		}
		if string(key) != "metrics" || mr.IsNil() {
			if err := mr.Skip(); err != nil {
				return 0, false, err
			}
			continue
		}
		n, err := mr.ReadMapHeader()
		if err != nil {
			return 0, false, err
		}
		for range n {
			k, err := mr.ReadMapKeyPtr()
			if err != nil {
				return 0, false, err
			}
			if string(k) != samplingPriorityKey {
				if err := mr.Skip(); err != nil {
					return 0, false, err
				}
				continue
			}
			if p, err = mr.ReadFloat64(); err != nil {
				return 0, false, err
			}
			has = true
		}
	}
	return p, has, nil
}

// samplingPriorityKey is the metric that carries a trace's sampling
// priority in a payload.
const samplingPriorityKey = "_sampling_priority_v1"

// full reports whether uploads under way hold maxPending spans or more.
func (t *agentTransport) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inflight > 0 && t.pending >= t.maxPending
}

// errAgentBusy is what an upload refused by the bound fails with.
var errAgentBusy = errors.New("ddbackend: earlier uploads to the agent are still unanswered; payload dropped")

func (t *agentTransport) track(d int, spans uint64) {
	t.mu.Lock()
	t.inflight += d
	if d > 0 {
		t.pending += spans
	} else {
		t.pending -= spans
	}
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
