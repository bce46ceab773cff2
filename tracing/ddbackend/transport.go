package ddbackend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/polytrace/polytrace/tracing/backendkit"
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
// (spanCounter), on the transport's goroutine.
type countingBody struct {
	mu     sync.Mutex
	src    io.ReadCloser
	count  spanCounter
	done   bool
	closed chan struct{} // closed by Close: the HTTP transport is done with the body
	once   sync.Once
}

func newCountingBody(src io.ReadCloser) *countingBody {
	return &countingBody{src: src, closed: make(chan struct{})}
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	if n > 0 {
		b.count.feed(p[:n])
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
// reads what it did not send, counts it, and returns the payload's span
// count (the first call; later ones return 0).
func (b *countingBody) finish(ctx context.Context) uint64 {
	select {
	case <-b.closed:
	case <-ctx.Done(): // a transport of the application's that never closes it
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0
	}
	b.done = true
	var buf [4096]byte
	for {
		n, err := b.src.Read(buf[:])
		b.count.feed(buf[:n])
		if err != nil || n == 0 {
			break
		}
	}
	_ = b.src.Close()
	return b.count.spans
}

// countSpansFrom counts the spans of the payload r holds.
func countSpansFrom(r io.Reader) uint64 {
	var c spanCounter
	var buf [4096]byte
	for {
		n, err := r.Read(buf[:])
		c.feed(buf[:n])
		if err != nil || n == 0 {
			return c.spans
		}
	}
}

// countSpans counts the spans of a whole payload (see spanCounter).
func countSpans(b []byte) uint64 {
	var c spanCounter
	c.feed(b)
	return c.spans
}

// spanCounter counts the spans of a v0.4 payload (an array of traces, each
// an array of spans) that their trace's sampling priority keeps, as the
// payload streams past in pieces: a chunk whose spans carry
// _sampling_priority_v1 <= 0 is sent only for the agent's statistics and
// dropped there, as sampling decided. A trace's spans count once the
// whole trace has been read; a payload it cannot read counts what was
// read before the error. It reads one span at a time, keeping only a
// span cut between two pieces.
type spanCounter struct {
	spans uint64 // the count so far

	tail   []byte // the unread end of the pieces so far (a span cut in two)
	need   int    // how long tail must be before it is worth reading again
	state  uint8
	traces int  // traces not begun yet
	left   int  // spans of the current trace not read yet
	size   int  // spans of the current trace
	keep   bool // the current trace is kept
}

const (
	countPayload = iota // before the payload's array header
	countTrace          // before a trace's array header
	countSpan           // in a trace
	countDone           // the payload is read, or cannot be
)

// feed reads p, the next piece of the payload.
func (c *spanCounter) feed(p []byte) {
	if c.state == countDone || len(p) == 0 {
		return
	}
	buf := p
	if len(c.tail) > 0 {
		c.tail = append(c.tail, p...)
		if len(c.tail) < c.need {
			return // a long value still incomplete: nothing to read again yet
		}
		buf = c.tail
	}
	d := msgpReader{b: buf}
	for c.state != countDone {
		start := d.i
		if !c.step(&d) {
			if d.short {
				// The piece ends in it: read it again once the pieces
				// reach as far as the reader wanted.
				d.i, c.need = start, d.want-start
				break
			}
			c.state = countDone // malformed: the count stops here
		}
	}
	if c.state == countDone {
		c.tail = nil
		return
	}
	c.tail = append(c.tail[:0], buf[d.i:]...) // (may overlap: append moves)
}

// step reads the next element: the payload's header, a trace's header,
// a span, or the end of a trace. It reports false if it could not.
func (c *spanCounter) step(d *msgpReader) bool {
	switch c.state {
	case countPayload:
		n, ok := d.arrayHeader()
		if !ok {
			return false
		}
		c.traces, c.state = n, countTrace
	case countTrace:
		if c.traces == 0 {
			c.state = countDone
			return true
		}
		m, ok := d.arrayHeader()
		if !ok {
			return false
		}
		c.traces--
		c.size, c.left, c.keep, c.state = m, m, true, countSpan
	case countSpan:
		if c.left == 0 {
			if c.keep {
				c.spans += uint64(c.size)
			}
			c.state = countTrace
			return true
		}
		p, has, ok := d.spanPriority()
		if !ok {
			return false
		}
		if has && p <= 0 {
			c.keep = false
		}
		c.left--
	}
	return true
}

// samplingPriorityKey is the metric that carries a trace's sampling
// priority in a payload.
const samplingPriorityKey = "_sampling_priority_v1"

// msgpReader reads the msgpack of a payload, only as far as counting its
// spans needs: array and map headers, strings, numbers, and skipping any
// value whole.
type msgpReader struct {
	b []byte
	i int
	// short is set when a read failed because b ends before the value
	// does (rather than because the value is malformed), want to the
	// length b would have needed to go on.
	short bool
	want  int
}

func (d *msgpReader) need(n int) bool {
	if n < 0 {
		return false
	}
	if d.i+n > len(d.b) {
		d.short, d.want = true, d.i+n
		return false
	}
	return true
}

// uint reads a big-endian unsigned integer of n bytes.
func (d *msgpReader) uint(n int) (uint64, bool) {
	if !d.need(n) {
		return 0, false
	}
	var v uint64
	for _, c := range d.b[d.i : d.i+n] {
		v = v<<8 | uint64(c)
	}
	d.i += n
	return v, true
}

// container reads the header of an array (map false) or a map.
func (d *msgpReader) container(isMap bool) (int, bool) {
	if !d.need(1) {
		return 0, false
	}
	c := d.b[d.i]
	d.i++
	var n uint64
	ok := true
	switch {
	case !isMap && c&0xf0 == 0x90, isMap && c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case !isMap && c == 0xdc, isMap && c == 0xde:
		n, ok = d.uint(2)
	case !isMap && c == 0xdd, isMap && c == 0xdf:
		n, ok = d.uint(4)
	default:
		return 0, false
	}
	return int(n), ok && n <= math.MaxInt32
}

func (d *msgpReader) arrayHeader() (int, bool) { return d.container(false) }

// str reads a string (or binary) and returns it, not copied.
func (d *msgpReader) str() ([]byte, bool) {
	if !d.need(1) {
		return nil, false
	}
	c := d.b[d.i]
	d.i++
	var n uint64
	ok := true
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == 0xd9, c == 0xc4:
		n, ok = d.uint(1)
	case c == 0xda, c == 0xc5:
		n, ok = d.uint(2)
	case c == 0xdb, c == 0xc6:
		n, ok = d.uint(4)
	default:
		return nil, false
	}
	if !ok || n > math.MaxInt32 || !d.need(int(n)) {
		return nil, false
	}
	s := d.b[d.i : d.i+int(n)]
	d.i += int(n)
	return s, true
}

// key reads a map key: str, with a fast path for the short strings keys
// are.
func (d *msgpReader) key() ([]byte, bool) {
	if i := d.i; i < len(d.b) {
		if c := d.b[i]; c&0xe0 == 0xa0 {
			end := i + 1 + int(c&0x1f)
			if end <= len(d.b) {
				d.i = end
				return d.b[i+1 : end], true
			}
		}
	}
	return d.str()
}

// number reads any msgpack number as a float64.
func (d *msgpReader) number() (float64, bool) {
	if !d.need(1) {
		return 0, false
	}
	c := d.b[d.i]
	d.i++
	switch {
	case c <= 0x7f:
		return float64(c), true
	case c >= 0xe0:
		return float64(int8(c)), true
	case c == 0xca:
		v, ok := d.uint(4)
		return float64(math.Float32frombits(uint32(v))), ok
	case c == 0xcb:
		v, ok := d.uint(8)
		return math.Float64frombits(v), ok
	case c >= 0xcc && c <= 0xcf:
		v, ok := d.uint(1 << (c - 0xcc))
		return float64(v), ok
	case c >= 0xd0 && c <= 0xd3:
		n := 1 << (c - 0xd0)
		v, ok := d.uint(n)
		shift := 64 - 8*n
		return float64(int64(v<<shift) >> shift), ok
	}
	return 0, false
}

// skip skips one value, whatever it is (containers with everything in
// them). It runs over every value of every span, so it is written for
// speed: bounds are checked once per value, and strings, the most common
// values by far, take the first branch.
func (d *msgpReader) skip() bool {
	b, i := d.b, d.i
	for left := 1; left > 0; left-- {
		if i >= len(b) {
			d.short, d.want = true, i+1
			return false
		}
		c := b[i]
		i++
		if c&0xe0 == 0xa0 { // fixstr
			i += int(c & 0x1f)
			continue
		}
		var size int // bytes of the length that follows c
		var n int    // bytes of data after it
		switch {
		case c <= 0x7f, c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3:
			continue
		case c&0xf0 == 0x80:
			left += 2 * int(c&0x0f)
			continue
		case c&0xf0 == 0x90:
			left += int(c & 0x0f)
			continue
		case c == 0xd9, c == 0xc4:
			size = 1
		case c == 0xda, c == 0xc5:
			size = 2
		case c == 0xdb, c == 0xc6:
			size = 4
		case c == 0xc7, c == 0xc8, c == 0xc9: // ext: length, type, data
			size, n = 1<<(c-0xc7), 1
		case c == 0xca, c == 0xce, c == 0xd2:
			n = 4
		case c == 0xcb, c == 0xcf, c == 0xd3:
			n = 8
		case c == 0xcc, c == 0xd0:
			n = 1
		case c == 0xcd, c == 0xd1:
			n = 2
		case c >= 0xd4 && c <= 0xd8:
			n = 1 + 1<<(c-0xd4)
		case c == 0xdc, c == 0xdd, c == 0xde, c == 0xdf:
			size = 2 << ((c - 0xdc) & 1) // 16 or 32 bits
		default:
			return false // 0xc1, never used
		}
		if size > 0 {
			if i+size > len(b) {
				d.short, d.want = true, i+size
				return false
			}
			var m uint64
			for _, x := range b[i : i+size] {
				m = m<<8 | uint64(x)
			}
			i += size
			if m > math.MaxInt32 {
				return false
			}
			switch {
			case c >= 0xdc && c <= 0xdd:
				left += int(m)
				continue
			case c >= 0xde:
				left += 2 * int(m)
				continue
			}
			n += int(m)
		}
		i += n
	}
	if i > len(b) {
		d.short, d.want = true, i
		return false
	}
	d.i = i
	return true
}

// spanPriority reads one encoded span and returns its
// _sampling_priority_v1 metric, if it has one.
func (d *msgpReader) spanPriority() (p float64, has bool, ok bool) {
	fields, ok := d.container(true)
	if !ok {
		return 0, false, false
	}
	for range fields {
		key, ok := d.key()
		if !ok {
			return 0, false, false
		}
		if string(key) != "metrics" || (d.need(1) && d.b[d.i] == 0xc0) {
			if !d.skipScalar() && !d.skip() {
				return 0, false, false
			}
			continue
		}
		n, ok := d.container(true)
		if !ok {
			return 0, false, false
		}
		for range n {
			k, ok := d.key()
			if !ok {
				return 0, false, false
			}
			if string(k) != samplingPriorityKey {
				if !d.skipScalar() && !d.skip() {
					return 0, false, false
				}
				continue
			}
			if p, ok = d.number(); !ok {
				return 0, false, false
			}
			has = true
		}
	}
	return p, has, true
}

// skipScalar skips the values most span fields hold (a short string, a
// small integer, a float64 or a 64-bit integer) and reports whether it
// did; skip handles the rest.
func (d *msgpReader) skipScalar() bool {
	i := d.i
	if i >= len(d.b) {
		return false
	}
	c := d.b[i]
	n := 1
	switch {
	case c&0xe0 == 0xa0:
		n += int(c & 0x1f)
	case c <= 0x7f, c >= 0xe0:
	case c == 0xcb, c == 0xcf, c == 0xd3:
		n += 8
	default:
		return false
	}
	if i+n > len(d.b) {
		return false
	}
	d.i = i + n
	return true
}

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
