package jaegerbackend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/utils"
)

// udpTransport is the transport to the jaeger agent's UDP port: what
// jaeger-client-go's UDP transport does (spans batched into emitBatch
// datagrams of thrift's compact protocol, at most 65,000 bytes, with the
// process, a batch sequence number and the client's drop counts; a span
// too large for a datagram dropped), but each span is encoded straight
// from the jaeger span into the batch's buffer. jaeger-client-go first
// builds a tree of thrift structs per span (every tag a struct with its
// value behind a pointer), serialises it once to measure it and once
// more into the datagram, through thrift's generic protocol writer (a map
// lookup per field): for a span with a dozen tags that is most of what
// the span costs the process. The datagram is the same, field for field.
//
// It reads the span's tags and references from jaeger-client-go's
// unexported fields, whose layout spanLayout checks when the transport is
// made; if the layout is not the one expected (another version of
// jaeger-client-go), the backend uses jaeger-client-go's own transport.
type udpTransport struct {
	conn      *udpConn
	maxPacket int
	maxSpan   int // maxPacket less the envelope's allowance, as jaeger-client-go reckons it
	maxTagLen int // jaeger's MaxTagValueLength: string tag values are cut to it
	// queueDrops returns the spans the reporter dropped because its queue
	// was full (ClientStats.fullQueueDroppedSpans).
	queueDrops func() int64

	process []byte // the encoded Process struct, from the first span
	spans   []byte // the encoded spans of the batch being built
	nspans  int
	scratch []byte // one span
	packet  []byte

	msgSeq, batchSeq   int64
	tooLarge, failedTo int64
}

// emitBatchOverhead is jaeger-client-go's allowance for the datagram's
// envelope (transport_udp.go).
const emitBatchOverhead = 70

var errSpanTooLarge = errors.New("span is too large")

func newUDPTransport(p utils.AgentClientUDPParams, maxTagLen int, queueDrops func() int64) (*udpTransport, error) {
	if p.MaxPacketSize == 0 {
		p.MaxPacketSize = utils.UDPPacketMaxLength
	}
	conn, err := dialUDP(p, net.ResolveUDPAddr)
	if err != nil {
		return nil, err
	}
	return &udpTransport{conn: conn, maxPacket: p.MaxPacketSize, maxSpan: p.MaxPacketSize - emitBatchOverhead,
		maxTagLen: maxTagLen, queueDrops: queueDrops}, nil
}

// Append implements jaeger.Transport.
func (t *udpTransport) Append(sp *jaeger.Span) (int, error) {
	if t.process == nil {
		t.process = appendProcess(nil, jaeger.BuildJaegerProcessThrift(sp), t.maxTagLen)
	}
	t.scratch = appendSpan(t.scratch[:0], sp, t.maxTagLen)
	size := len(t.scratch)
	if size > t.maxSpan {
		t.tooLarge++
		return 1, errSpanTooLarge
	}
	if len(t.process)+len(t.spans)+size <= t.maxSpan {
		t.spans = append(t.spans, t.scratch...)
		t.nspans++
		if len(t.process)+len(t.spans) < t.maxSpan {
			return 0, nil
		}
		return t.Flush()
	}
	// The span does not fit in this batch: send the batch, begin the next.
	n, err := t.Flush()
	t.spans = append(t.spans, t.scratch...)
	t.nspans = 1
	return n, err
}

// Flush implements jaeger.Transport: it sends the batch in one datagram.
func (t *udpTransport) Flush() (int, error) {
	n := t.nspans
	if n == 0 {
		return 0, nil
	}
	t.batchSeq++
	t.msgSeq++
	b := t.packet[:0]
	// emitBatch, a call as jaeger-client-go's agent client sends it (thrift
	// compact: protocol id, version and message type, sequence id, name).
	b = append(b, 0x82, 0x21)
	b = binary.AppendUvarint(b, uint64(uint32(t.msgSeq)))
	b = appendString(b, "emitBatch")
	b = fieldHeader(b, 0, 1, ctStruct) // emitBatch_args.batch
	b = fieldHeader(b, 0, 1, ctStruct) // Batch.process
	b = append(b, t.process...)
	b = fieldHeader(b, 1, 2, ctList) // Batch.spans
	b = listHeader(b, n, ctStruct)
	b = append(b, t.spans...)
	b = fieldHeader(b, 2, 3, ctI64) // Batch.seqNo
	b = appendZigzag(b, t.batchSeq)
	b = fieldHeader(b, 3, 4, ctStruct) // Batch.stats
	var dropped int64
	if t.queueDrops != nil {
		dropped = t.queueDrops()
	}
	b = fieldHeader(b, 0, 1, ctI64)
	b = appendZigzag(b, dropped)
	b = fieldHeader(b, 1, 2, ctI64)
	b = appendZigzag(b, t.tooLarge)
	b = fieldHeader(b, 2, 3, ctI64)
	b = appendZigzag(b, t.failedTo)
	b = append(b, ctStop, ctStop, ctStop) // ClientStats, Batch, emitBatch_args
	t.packet = b
	t.spans, t.nspans = t.spans[:0], 0
	var err error
	if len(b) > t.maxPacket {
		// Only when the process (its tags) leaves too little room for
		// the span. "too large": the spans count as dropped for their size.
		err = fmt.Errorf("batch too large: data does not fit within one UDP packet; size %d, max %d, spans %d", len(b), t.maxPacket, n)
	} else {
		_, err = t.conn.Write(b)
	}
	if err != nil {
		t.failedTo += int64(n)
	}
	return n, err
}

// Close implements jaeger.Transport.
func (t *udpTransport) Close() error { return t.conn.Close() }

// Thrift compact protocol types.
const (
	ctStop   = 0x00
	ctTrue   = 0x01
	ctFalse  = 0x02
	ctI32    = 0x05
	ctI64    = 0x06
	ctDouble = 0x07
	ctBinary = 0x08
	ctList   = 0x09
	ctStruct = 0x0C
)

// fieldHeader appends the header of field id of type typ, after field
// prev of the same struct (0 for the first).
func fieldHeader(b []byte, prev, id int16, typ byte) []byte {
	if d := id - prev; d > 0 && d <= 15 {
		return append(b, byte(d)<<4|typ)
	}
	b = append(b, typ)
	return appendZigzag(b, int64(id))
}

func listHeader(b []byte, n int, elem byte) []byte {
	if n < 15 {
		return append(b, byte(n)<<4|elem)
	}
	b = append(b, 0xF0|elem)
	return binary.AppendUvarint(b, uint64(uint32(n)))
}

// insertListHeader inserts at b[at:] the header of a list of n elements
// of type elem, which b[at:] holds.
func insertListHeader(b []byte, at, n int, elem byte) []byte {
	var h [6]byte
	hdr := listHeader(h[:0], n, elem)
	b = append(b, hdr...)
	copy(b[at+len(hdr):], b[at:len(b)-len(hdr)])
	copy(b[at:], hdr)
	return b
}

func appendZigzag(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64(v<<1)^uint64(v>>63))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(uint32(len(s))))
	return append(b, s...)
}

func appendBytes(b []byte, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(uint32(len(s))))
	return append(b, s...)
}

// appendI64Field appends field id, an i64 after field prev.
func appendI64Field(b []byte, prev, id int16, v int64) []byte {
	return appendZigzag(fieldHeader(b, prev, id, ctI64), v)
}

// The tag types of jaeger.thrift.
const (
	tagString = int32(j.TagType_STRING)
	tagDouble = int32(j.TagType_DOUBLE)
	tagBool   = int32(j.TagType_BOOL)
	tagLong   = int32(j.TagType_LONG)
	tagBinary = int32(j.TagType_BINARY)
)

// Tag values: a Tag struct is key (1), vType (2), then the one value field
// of its type: vStr (3), vDouble (4), vBool (5), vLong (6), vBinary (7).
func appendStringTag(b []byte, key, v string) []byte {
	b = tagHeader(b, key, tagString)
	b = appendString(fieldHeader(b, 2, 3, ctBinary), v)
	return append(b, ctStop)
}

func appendLongTag(b []byte, key string, v int64) []byte {
	b = tagHeader(b, key, tagLong)
	b = appendZigzag(fieldHeader(b, 2, 6, ctI64), v)
	return append(b, ctStop)
}

func appendDoubleTag(b []byte, key string, v float64) []byte {
	b = tagHeader(b, key, tagDouble)
	b = binary.LittleEndian.AppendUint64(fieldHeader(b, 2, 4, ctDouble), math.Float64bits(v))
	return append(b, ctStop)
}

func appendBoolTag(b []byte, key string, v bool) []byte {
	b = tagHeader(b, key, tagBool)
	typ := byte(ctFalse)
	if v {
		typ = ctTrue
	}
	b = fieldHeader(b, 2, 5, typ)
	return append(b, ctStop)
}

// appendBinaryTag appends a binary tag; a nil value is left unset, as
// thrift writes a Tag whose VBinary is nil.
func appendBinaryTag(b []byte, key string, v []byte) []byte {
	b = tagHeader(b, key, tagBinary)
	if v != nil {
		b = appendBytes(fieldHeader(b, 2, 7, ctBinary), v)
	}
	return append(b, ctStop)
}

func tagHeader(b []byte, key string, typ int32) []byte {
	b = appendString(fieldHeader(b, 0, 1, ctBinary), key)
	return appendZigzag(fieldHeader(b, 1, 2, ctI32), int64(typ))
}

// appendTag appends a tag of a jaeger span as jaeger-client-go's buildTag
// converts it.
func appendTag(b []byte, key string, value any, maxLen int) []byte {
	switch v := value.(type) {
	case string:
		return appendStringTag(b, key, truncate(v, maxLen))
	case []byte:
		if len(v) > maxLen {
			v = v[:maxLen]
		}
		return appendBinaryTag(b, key, v)
	case int:
		return appendLongTag(b, key, int64(v))
	case uint:
		return appendLongTag(b, key, int64(v))
	case int8:
		return appendLongTag(b, key, int64(v))
	case uint8:
		return appendLongTag(b, key, int64(v))
	case int16:
		return appendLongTag(b, key, int64(v))
	case uint16:
		return appendLongTag(b, key, int64(v))
	case int32:
		return appendLongTag(b, key, int64(v))
	case uint32:
		return appendLongTag(b, key, int64(v))
	case int64:
		return appendLongTag(b, key, v)
	case uint64:
		return appendLongTag(b, key, int64(v))
	case float32:
		return appendDoubleTag(b, key, float64(v))
	case float64:
		return appendDoubleTag(b, key, v)
	case bool:
		return appendBoolTag(b, key, v)
	}
	return appendStringTag(b, key, truncate(fmt.Sprintf("%+v", value), maxLen))
}

// truncate cuts s to maxLen bytes, as jaeger-client-go does.
func truncate(s string, maxLen int) string {
	if len(s) > maxLen {
		return s[:maxLen]
	}
	return s
}

// appendProcess appends the fields of a Process struct and its stop.
func appendProcess(b []byte, p *j.Process, maxLen int) []byte {
	b = appendString(fieldHeader(b, 0, 1, ctBinary), p.ServiceName)
	if p.Tags != nil {
		b = fieldHeader(b, 1, 2, ctList)
		b = listHeader(b, len(p.Tags), ctStruct)
		for _, t := range p.Tags {
			b = appendThriftTag(b, t)
		}
	}
	return append(b, ctStop)
}

// appendThriftTag appends a thrift Tag as it is.
func appendThriftTag(b []byte, t *j.Tag) []byte {
	b = tagHeader(b, t.Key, int32(t.VType))
	prev := int16(2)
	if t.VStr != nil {
		b = appendString(fieldHeader(b, prev, 3, ctBinary), *t.VStr)
		prev = 3
	}
	if t.VDouble != nil {
		b = binary.LittleEndian.AppendUint64(fieldHeader(b, prev, 4, ctDouble), math.Float64bits(*t.VDouble))
		prev = 4
	}
	if t.VBool != nil {
		typ := byte(ctFalse)
		if *t.VBool {
			typ = ctTrue
		}
		b = fieldHeader(b, prev, 5, typ)
		prev = 5
	}
	if t.VLong != nil {
		b = appendZigzag(fieldHeader(b, prev, 6, ctI64), *t.VLong)
		prev = 6
	}
	if t.VBinary != nil {
		b = appendBytes(fieldHeader(b, prev, 7, ctBinary), t.VBinary)
	}
	return append(b, ctStop)
}

// appendSpan appends a jaeger span as a Span struct, as
// jaeger.BuildJaegerThrift converts it: trace id (low, high), span id,
// parent id, operation name, references, flags, start time and duration
// in microseconds, tags, logs.
func appendSpan(b []byte, sp *jaeger.Span, maxLen int) []byte {
	ctx := sp.SpanContext()
	start := sp.StartTime()
	dur := sp.Duration()
	name := sp.OperationName()
	logs := sp.Logs() // nil without logs: no copy

	tid := ctx.TraceID()
	b = appendI64Field(b, 0, 1, int64(tid.Low))
	b = appendI64Field(b, 1, 2, int64(tid.High))
	b = appendI64Field(b, 2, 3, int64(ctx.SpanID()))
	b = appendI64Field(b, 3, 4, int64(ctx.ParentID()))
	b = appendString(fieldHeader(b, 4, 5, ctBinary), name)

	sp.RLock()
	refs := spanRefs(sp)
	n := 0
	for i := range refs {
		if refs[i].Type == opentracing.ChildOfRef || refs[i].Type == opentracing.FollowsFromRef {
			n++
		}
	}
	b = fieldHeader(b, 5, 6, ctList)
	b = listHeader(b, n, ctStruct)
	for i := range refs {
		r := &refs[i]
		typ := int64(j.SpanRefType_CHILD_OF)
		switch r.Type {
		case opentracing.ChildOfRef:
		case opentracing.FollowsFromRef:
			typ = int64(j.SpanRefType_FOLLOWS_FROM)
		default:
			continue
		}
		rt := r.Context.TraceID()
		b = appendZigzag(fieldHeader(b, 0, 1, ctI32), typ)
		b = appendI64Field(b, 1, 2, int64(rt.Low))
		b = appendI64Field(b, 2, 3, int64(rt.High))
		b = appendI64Field(b, 3, 4, int64(r.Context.SpanID()))
		b = append(b, ctStop)
	}
	b = appendZigzag(fieldHeader(b, 6, 7, ctI32), int64(ctx.Flags()))
	b = appendI64Field(b, 7, 8, utils.TimeToMicrosecondsSinceEpochInt64(start))
	b = appendI64Field(b, 8, 9, dur.Nanoseconds()/int64(time.Microsecond))
	tags := spanTags(sp)
	b = fieldHeader(b, 9, 10, ctList)
	b = listHeader(b, len(tags), ctStruct)
	for i := range tags {
		b = appendTag(b, tags[i].key, tags[i].value, maxLen)
	}
	sp.RUnlock()

	b = fieldHeader(b, 10, 11, ctList)
	b = listHeader(b, len(logs), ctStruct)
	for i := range logs {
		b = appendI64Field(b, 0, 1, utils.TimeToMicrosecondsSinceEpochInt64(logs[i].Timestamp))
		b = fieldHeader(b, 1, 2, ctList)
		// The fields first, counted as they are encoded, then the list's
		// header before them: a lazy logger runs once, as with
		// jaeger-client-go (a second run could emit other fields).
		enc := fieldEncoder{b: b}
		for _, f := range logs[i].Fields {
			f.Marshal(&enc)
		}
		b = insertListHeader(enc.b, len(b), enc.n, ctStruct)
		b = append(b, ctStop)
	}
	return append(b, ctStop)
}

// fieldEncoder appends log fields as tags, as jaeger-client-go's
// ConvertLogsToJaegerTags converts them (not cut to the tag length), and
// counts them in n.
type fieldEncoder struct {
	b []byte
	n int
}

func (e *fieldEncoder) EmitString(key, value string) {
	e.b, e.n = appendStringTag(e.b, key, value), e.n+1
}
func (e *fieldEncoder) EmitBool(key string, value bool) {
	e.b, e.n = appendBoolTag(e.b, key, value), e.n+1
}
func (e *fieldEncoder) EmitInt(key string, value int) {
	e.b, e.n = appendLongTag(e.b, key, int64(value)), e.n+1
}
func (e *fieldEncoder) EmitInt32(key string, value int32) {
	e.b, e.n = appendLongTag(e.b, key, int64(value)), e.n+1
}
func (e *fieldEncoder) EmitInt64(key string, value int64) {
	e.b, e.n = appendLongTag(e.b, key, value), e.n+1
}
func (e *fieldEncoder) EmitUint32(key string, value uint32) {
	e.b, e.n = appendLongTag(e.b, key, int64(value)), e.n+1
}
func (e *fieldEncoder) EmitUint64(key string, value uint64) {
	e.b, e.n = appendLongTag(e.b, key, int64(value)), e.n+1
}
func (e *fieldEncoder) EmitFloat32(key string, value float32) {
	e.b, e.n = appendDoubleTag(e.b, key, float64(value)), e.n+1
}
func (e *fieldEncoder) EmitFloat64(key string, value float64) {
	e.b, e.n = appendDoubleTag(e.b, key, value), e.n+1
}
func (e *fieldEncoder) EmitObject(key string, value any) {
	e.b, e.n = appendStringTag(e.b, key, fmt.Sprintf("%+v", value)), e.n+1
}
func (e *fieldEncoder) EmitLazyLogger(value log.LazyLogger) { value(e) }

// tagMirror is jaeger.Tag's layout (unexported key and value).
type tagMirror struct {
	key   string
	value any
}

// spanLayout locates a jaeger span's tags and references: the offsets
// of its unexported fields, after checking that they are what this code
// reads (ok is false otherwise).
var spanLayout = sync.OnceValue(func() (l struct {
	tags, refs uintptr
	ok         bool
}) {
	st := reflect.TypeFor[jaeger.Span]()
	tags, ok1 := st.FieldByName("tags")
	refs, ok2 := st.FieldByName("references")
	tt := reflect.TypeFor[jaeger.Tag]()
	key, ok3 := tt.FieldByName("key")
	value, ok4 := tt.FieldByName("value")
	mt := reflect.TypeFor[tagMirror]()
	mkey, _ := mt.FieldByName("key")
	mvalue, _ := mt.FieldByName("value")
	l.ok = ok1 && ok2 && ok3 && ok4 &&
		tags.Type == reflect.TypeFor[[]jaeger.Tag]() && refs.Type == reflect.TypeFor[[]jaeger.Reference]() &&
		tt.Size() == mt.Size() && key.Type == mkey.Type && key.Offset == mkey.Offset &&
		value.Type == mvalue.Type && value.Offset == mvalue.Offset
	l.tags, l.refs = tags.Offset, refs.Offset
	return l
})

// spanTags returns the tags of sp, which the caller has locked.
func spanTags(sp *jaeger.Span) []tagMirror {
	tags := *(*[]jaeger.Tag)(unsafe.Add(unsafe.Pointer(sp), spanLayout().tags))
	if len(tags) == 0 {
		return nil
	}
	return unsafe.Slice((*tagMirror)(unsafe.Pointer(unsafe.SliceData(tags))), len(tags))
}

// spanRefs returns the references of sp, which the caller has locked.
func spanRefs(sp *jaeger.Span) []jaeger.Reference {
	return *(*[]jaeger.Reference)(unsafe.Add(unsafe.Pointer(sp), spanLayout().refs))
}

// udpConn is the socket to the agent. Unless reconnecting is disabled, it
// resolves the agent's host name again every interval and reconnects when
// the address changed, as jaeger-client-go's does (agents behind a DNS
// name that moves); and, as jaeger-client-go's, it writes a datagram a
// second time when the first write fails.
type udpConn struct {
	mu      sync.RWMutex
	conn    *net.UDPConn
	addr    *net.UDPAddr
	closed  bool
	host    string
	size    int
	resolve func(network, address string) (*net.UDPAddr, error)

	stop chan struct{} // nil: not reconnecting
	done chan struct{}
	wake chan struct{} // resolve now, not at the next interval
}

func dialUDP(p utils.AgentClientUDPParams, resolve func(network, address string) (*net.UDPAddr, error)) (*udpConn, error) {
	if _, _, err := net.SplitHostPort(p.HostPort); err != nil {
		return nil, err
	}
	c := &udpConn{host: p.HostPort, size: p.MaxPacketSize, resolve: resolve}
	addr, err := resolve("udp", p.HostPort)
	if err != nil && p.DisableAttemptReconnecting {
		return nil, err
	}
	if err == nil {
		if err := c.connect(addr); err != nil {
			return nil, err
		}
	}
	if !p.DisableAttemptReconnecting {
		every := p.AttemptReconnectInterval
		if every <= 0 {
			every = 30 * time.Second
		}
		c.stop, c.done, c.wake = make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
		go c.reconnect(every)
	}
	return c, nil
}

// connect makes addr the agent's address, unless the connection is
// closed.
func (c *udpConn) connect(addr *net.UDPAddr) error {
	conn, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return err
	}
	if err := conn.SetWriteBuffer(c.size); err != nil {
		conn.Close()
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.Close()
		return net.ErrClosed
	}
	old := c.conn
	c.conn, c.addr = conn, addr
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (c *udpConn) reconnect(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.wake:
		}
		addr, err := c.resolve("udp", c.host)
		if err != nil {
			continue
		}
		c.mu.RLock()
		same := c.addr != nil && c.addr.IP.Equal(addr.IP) && c.addr.Port == addr.Port && c.addr.Zone == addr.Zone
		c.mu.RUnlock()
		if !same {
			_ = c.connect(addr)
		}
	}
}

// Write sends b. When that fails and the connection reconnects, it has
// the agent's address resolved again (now rather than at the next
// interval: the name may resolve now, or to another address) and tries
// once more, as jaeger-client-go's connection does: a connected UDP
// socket reports on a write the ICMP "port unreachable" of an earlier
// datagram (the agent was restarting), and the datagram written now may
// well get through.
func (c *udpConn) Write(b []byte) (int, error) {
	n, err := c.write(b)
	if err == nil || c.stop == nil {
		return n, err
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	if n, err2 := c.write(b); err2 == nil {
		return n, nil
	}
	return n, err
}

func (c *udpConn) write(b []byte) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	switch {
	case c.closed:
		return 0, net.ErrClosed
	case c.conn == nil:
		return 0, fmt.Errorf("no connection to the jaeger agent %s (its address does not resolve)", c.host)
	}
	return c.conn.Write(b)
}

// Close stops the reconnecting and closes the socket. Closing again does
// nothing.
func (c *udpConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	if c.stop != nil {
		close(c.stop)
		<-c.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}
