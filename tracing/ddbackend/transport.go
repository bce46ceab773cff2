package ddbackend

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
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

// newAgentTransport returns a transport over base that counts into
// counts and bounds the spans of unanswered uploads to maxPending
// (DefaultMaxPendingSpans if it is not positive).
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

// RoundTrip sends req through the base transport, bound to the backend's
// lifetime (or New's ctx); a trace upload is admitted against
// maxPending, counted as it is sent, and its spans counted as exported or
// dropped by the answer.
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

// answer returns the base transport's answer, calling release (the
// request's context) once its body is closed, or at once if it failed.
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

// newCountingBody returns a countingBody reading src.
func newCountingBody(src io.ReadCloser) *countingBody {
	return &countingBody{src: src, closed: make(chan struct{})}
}

// Read reads the payload into p and counts what it read; once finish
// ran, it reports io.EOF.
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
	return b.count.total()
}

// countSpansFrom counts the spans of the payload r holds.
func countSpansFrom(r io.Reader) uint64 {
	var c spanCounter
	var buf [4096]byte
	for {
		n, err := r.Read(buf[:])
		c.feed(buf[:n])
		if err != nil || n == 0 {
			return c.total()
		}
	}
}

// spanCounter counts the spans of a v0.4 payload (an array of traces, each
// an array of spans) that their trace's sampling priority keeps, as the
// payload streams past in pieces: a chunk whose spans carry
// _sampling_priority_v1 <= 0 is sent only for the agent's statistics and
// dropped there, as sampling decided. A trace's spans count once the
// whole trace has been read; a payload it cannot read (malformed) counts
// what was read before the error.
//
// It decodes with tinylib/msgp's functions on byte slices (dd-trace-go
// encodes the payload with the same package), one element at a time: the
// payload's header, a trace's header, or a whole span. An element cut
// between two pieces is kept (tail) and read again once more pieces came:
// at least twice as many bytes as at the failed read, and minRetry, so
// that a span far longer than the pieces is read a logarithmic number of
// times, not once a piece; total reads what the last pieces left. The
// tail holds at most about twice the longest span (for a malformed length,
// the rest of the payload): bounded by the payload, which its sender holds
// anyway. Nothing is allocated per span.
type spanCounter struct {
	spans uint64 // the count so far

	tail   []byte // the unread end of the pieces so far (an element cut in two)
	need   int    // how long tail must be before it is worth reading again
	state  uint8
	traces uint32 // traces not begun yet
	left   uint32 // spans of the current trace not read yet
	size   uint32 // spans of the current trace
	keep   bool   // the current trace is kept
	known  bool   // a span of the current trace has told its priority
}

// The states of a spanCounter: what it reads next.
const (
	countPayload = iota // before the payload's array header
	countTrace          // before a trace's array header
	countSpan           // in a trace
	countDone           // the payload is read, or cannot be
)

// minRetry is the least a cut element's tail must have grown to before
// the counter reads it again: small pieces are read in batches.
const minRetry = 4096

// feed reads p, the next piece of the payload; the counter keeps none of
// it past the call but what it copies into its tail.
func (c *spanCounter) feed(p []byte) {
	if c.state == countDone || len(p) == 0 {
		return
	}
	if len(c.tail) == 0 {
		c.keepRest(c.scan(p))
		return
	}
	c.tail = append(c.tail, p...)
	if len(c.tail) >= c.need {
		c.keepRest(c.scan(c.tail))
	}
}

// total returns the count once the last piece was fed: it reads the tail
// the pieces left, however short it is of the next retry.
func (c *spanCounter) total() uint64 {
	if c.state != countDone && len(c.tail) > 0 {
		c.keepRest(c.scan(c.tail))
	}
	return c.spans
}

// keepRest keeps rest, what scan left unread (within a piece or the tail
// itself), as the tail to be completed by the next pieces.
func (c *spanCounter) keepRest(rest []byte) {
	switch {
	case c.state == countDone:
		c.tail = nil
	case len(rest) == 0:
		c.tail = c.tail[:0]
	default:
		// The tail is read again once it is need long: it grows to that
		// at once (rest may be within it: it is moved, not lost).
		c.need = max(2*len(rest), minRetry)
		c.tail = append(slices.Grow(c.tail[:0], c.need), rest...)
	}
}

// scan reads the elements b holds in full and returns the rest of b: an
// element cut short by its end, or nothing once the payload is read or
// found malformed (countDone).
func (c *spanCounter) scan(b []byte) []byte {
	for c.state != countDone {
		o, err := c.step(b)
		if err != nil {
			if err == msgp.ErrShortBytes {
				return b
			}
			c.state = countDone // malformed: the count stops here
			break
		}
		b = o
	}
	return nil
}

// step reads the next element of b: the payload's header, a trace's
// header, a span, or the end of a trace (nothing). It returns the rest of
// b, or msgp.ErrShortBytes if b ends within the element, or another error
// if it is malformed.
func (c *spanCounter) step(b []byte) ([]byte, error) {
	switch c.state {
	case countPayload:
		n, o, err := msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return b, err
		}
		c.traces, c.state = n, countTrace
		return o, nil
	case countTrace:
		if c.traces == 0 {
			c.state = countDone
			return b, nil
		}
		m, o, err := msgp.ReadArrayHeaderBytes(b)
		if err != nil {
			return b, err
		}
		c.traces--
		c.size, c.left, c.keep, c.known, c.state = m, m, true, false, countSpan
		return o, nil
	default: // countSpan
		if c.left == 0 {
			if c.keep {
				c.spans += uint64(c.size)
			}
			c.state = countTrace
			return b, nil
		}
		if c.known {
			// The trace's priority is known: the rest of its spans
			// only need counting.
			o, err := skip(b)
			if err != nil {
				return b, err
			}
			c.left--
			return o, nil
		}
		drop, has, o, err := spanDropped(b)
		if err != nil {
			return b, err
		}
		c.keep, c.known = !drop, has
		c.left--
		return o, nil
	}
}

// samplingPriorityKey is the metric that carries a trace's sampling
// priority in a payload.
const samplingPriorityKey = "_sampling_priority_v1"

// errNotNumber is the error of a sampling priority that is not a number.
var errNotNumber = errors.New("ddbackend: the sampling priority is not a number")

// spanDropped reads one encoded span from b and reports whether it has a
// _sampling_priority_v1 metric and whether that (the last, if it has
// several) is <= 0, which drops its trace. The first span of a trace that
// has one decides, as the agent takes the root's (which dd-trace-go
// encodes first: the chunk's first span carries the trace's final
// priority) or else the first it finds. It returns the rest of b; its
// error is msgp.ErrShortBytes if b ends within the span.
func spanDropped(b []byte) (drop, has bool, o []byte, err error) {
	fields, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return false, false, b, err
	}
	var key []byte
	for range fields {
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return false, false, b, err
		}
		if string(key) != "metrics" || msgp.IsNil(b) {
			if b, err = skip(b); err != nil {
				return false, false, b, err
			}
			continue
		}
		var n uint32
		if n, b, err = msgp.ReadMapHeaderBytes(b); err != nil {
			return false, false, b, err
		}
		for range n {
			if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
				return false, false, b, err
			}
			if string(key) != samplingPriorityKey {
				if b, err = skip(b); err != nil {
					return false, false, b, err
				}
				continue
			}
			if drop, b, err = priorityDrops(b); err != nil {
				return false, false, b, err
			}
			has = true
		}
	}
	return drop, has, b, nil
}

// errMalformed is the error of a payload that is not msgpack.
var errMalformed = errors.New("ddbackend: malformed msgpack in a payload")

// skip skips the msgpack value at the start of b, containers with
// everything in them, and returns the rest of b, or b and
// msgp.ErrShortBytes if b ends within it. It does what msgp.Skip does in
// under half the instructions (BenchmarkSkip, impl=own and impl=msgp;
// scripts/bench.sh --ir ./tracing/ddbackend Skip): it runs over every
// value of every span the backend uploads, so it is written for speed:
// one loop over a count of values still to skip (no recursion, so no
// depth limit is needed), the fix* forms tested first (strings, by far
// the most common values, before anything), the others looked up in a
// table. TestSkipIsMsgps holds it to msgp.Skip.
func skip(b []byte) ([]byte, error) {
	i := 0
	for left := 1; left > 0; left-- {
		if i >= len(b) {
			return b, msgp.ErrShortBytes
		}
		c := b[i]
		i++
		switch {
		case c&0xe0 == 0xa0: // fixstr
			i += int(c & 0x1f)
			continue
		case c < 0x80, c >= 0xe0: // fixint
			continue
		case c < 0x90: // fixmap
			left += 2 * int(c&0x0f)
			continue
		case c < 0xa0: // fixarray
			left += int(c & 0x0f)
			continue
		}
		in := skipInfo[c-0xc0]
		var m uint64 // the length or count that follows c, if any
		switch in.size {
		case 0: // numbers, nil, booleans, fixext
			if in.kind == skipInvalid {
				return b, errMalformed
			}
			i += int(in.n)
			continue
		case 1:
			if i+1 > len(b) {
				return b, msgp.ErrShortBytes
			}
			m = uint64(b[i])
		case 2:
			if i+2 > len(b) {
				return b, msgp.ErrShortBytes
			}
			m = uint64(binary.BigEndian.Uint16(b[i:]))
		default: // 4
			if i+4 > len(b) {
				return b, msgp.ErrShortBytes
			}
			m = uint64(binary.BigEndian.Uint32(b[i:]))
			if m > math.MaxInt32 {
				return b, errMalformed
			}
		}
		i += int(in.size)
		switch in.kind {
		case skipArray:
			left += int(m)
		case skipMap:
			left += 2 * int(m)
		default:
			i += int(in.n) + int(m)
		}
	}
	if i > len(b) {
		return b, msgp.ErrShortBytes
	}
	return b[i:], nil
}

// The kinds of value skipInfo tells apart.
const (
	skipBytes   = iota // a scalar, a string or binary (its length, then the bytes), an extension
	skipArray          // array16, array32: a count of values follows
	skipMap            // map16, map32: a count of key-value pairs follows
	skipInvalid        // 0xc1, never used
)

// skipInfo describes the values whose first byte is 0xc0 to 0xdf: the
// bytes of the length or count that follows it (size), the bytes of data
// after those besides the length (n), and the kind.
var skipInfo = [32]struct{ size, n, kind uint8 }{
	{0, 0, skipBytes},   // 0xc0 nil
	{0, 0, skipInvalid}, // 0xc1
	{0, 0, skipBytes},   // 0xc2 false
	{0, 0, skipBytes},   // 0xc3 true
	{1, 0, skipBytes},   // 0xc4 bin8
	{2, 0, skipBytes},   // 0xc5 bin16
	{4, 0, skipBytes},   // 0xc6 bin32
	{1, 1, skipBytes},   // 0xc7 ext8: length, type, data
	{2, 1, skipBytes},   // 0xc8 ext16
	{4, 1, skipBytes},   // 0xc9 ext32
	{0, 4, skipBytes},   // 0xca float32
	{0, 8, skipBytes},   // 0xcb float64
	{0, 1, skipBytes},   // 0xcc uint8
	{0, 2, skipBytes},   // 0xcd uint16
	{0, 4, skipBytes},   // 0xce uint32
	{0, 8, skipBytes},   // 0xcf uint64
	{0, 1, skipBytes},   // 0xd0 int8
	{0, 2, skipBytes},   // 0xd1 int16
	{0, 4, skipBytes},   // 0xd2 int32
	{0, 8, skipBytes},   // 0xd3 int64
	{0, 2, skipBytes},   // 0xd4 fixext1: type, data
	{0, 3, skipBytes},   // 0xd5 fixext2
	{0, 5, skipBytes},   // 0xd6 fixext4
	{0, 9, skipBytes},   // 0xd7 fixext8
	{0, 17, skipBytes},  // 0xd8 fixext16
	{1, 0, skipBytes},   // 0xd9 str8
	{2, 0, skipBytes},   // 0xda str16
	{4, 0, skipBytes},   // 0xdb str32
	{2, 0, skipArray},   // 0xdc array16
	{4, 0, skipArray},   // 0xdd array32
	{2, 0, skipMap},     // 0xde map16
	{4, 0, skipMap},     // 0xdf map32
}

// priorityDrops reads a sampling priority from b, whatever number type
// encodes it (dd-trace-go writes a float64), and reports whether it is
// <= 0. It returns the rest of b.
func priorityDrops(b []byte) (bool, []byte, error) {
	switch msgp.NextType(b) {
	case msgp.Float64Type, msgp.Float32Type:
		f, o, err := msgp.ReadFloat64Bytes(b)
		return f <= 0, o, err
	case msgp.IntType:
		i, o, err := msgp.ReadInt64Bytes(b)
		return i <= 0, o, err
	case msgp.UintType:
		u, o, err := msgp.ReadUint64Bytes(b)
		return u == 0, o, err
	}
	if len(b) == 0 {
		return false, b, msgp.ErrShortBytes
	}
	return false, b, errNotNumber
}

// full reports whether uploads under way hold maxPending spans or more.
func (t *agentTransport) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inflight > 0 && t.pending >= t.maxPending
}

// errAgentBusy is what an upload refused by the bound fails with.
var errAgentBusy = errors.New("ddbackend: earlier uploads to the agent are still unanswered; payload dropped")

// track records that an upload of spans (its estimate) began (d = +1)
// or ended (d = -1), and wakes waitIdle.
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

// errShutdown is the cause of the requests abort cancels when it is
// given none.
var errShutdown = errors.New("ddbackend: backend shut down")

// abort cancels every agent request under way and any later one.
func (t *agentTransport) abort(cause error) {
	if cause == nil {
		cause = errShutdown
	}
	t.cancel(cause)
}
