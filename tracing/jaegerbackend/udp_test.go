package jaegerbackend

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/utils"

	"github.com/polytrace/polytrace/tracing/backendkit"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

type stringer struct{}

func (stringer) String() string { return "a stringer" }

// testSpans makes finished jaeger spans with every kind of tag value, log
// field and reference, on a tracer with process tags and a tag length
// limit.
func testSpans(t *testing.T, maxTagLen int) []*jaeger.Span {
	t.Helper()
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("svc", jaeger.NewConstSampler(true), rep,
		jaeger.TracerOptions.Gen128Bit(true), jaeger.TracerOptions.MaxTagValueLength(maxTagLen),
		jaeger.TracerOptions.Tag("team", "notes"), jaeger.TracerOptions.Tag("shard", 7))
	defer closer.Close()
	root := tr.StartSpan("GET /notes/{id}", ext.SpanKindRPCServer)
	root.SetTag("s", "value").SetTag("long", strings.Repeat("x", 3*maxTagLen)).SetTag("b", []byte("bytes")).
		SetTag("i", 1).SetTag("u", uint(2)).SetTag("i8", int8(-3)).SetTag("u8", uint8(4)).SetTag("i16", int16(-5)).
		SetTag("u16", uint16(6)).SetTag("i32", int32(-7)).SetTag("u32", uint32(8)).SetTag("i64", int64(-1<<40)).
		SetTag("u64", uint64(1<<63)).SetTag("f32", float32(1.5)).SetTag("f64", -2.25).SetTag("t", true).
		SetTag("f", false).SetTag("obj", stringer{}).SetTag("err", errors.New("boom")).SetTag("nil", nil).
		SetTag("nil bytes", []byte(nil)).SetTag("no bytes", []byte{}).SetTag("s", "again")
	root.LogFields(log.String("event", "error"), log.Bool("b", true), log.Int("i", -1), log.Int32("i32", 2),
		log.Int64("i64", 3), log.Uint32("u32", 4), log.Uint64("u64", 5), log.Float32("f32", 0.5),
		log.Float64("f64", 0.25), log.Error(errors.New("failed")), log.Object("o", []int{1, 2}), log.Object("nil", nil),
		log.Lazy(func(e log.Encoder) { e.EmitString("lazy", "yes"); e.EmitInt("n", 1) }))
	other := tr.StartSpan("other")
	child := tr.StartSpan("child", opentracing.ChildOf(root.Context()), opentracing.FollowsFrom(other.Context()))
	child.FinishWithOptions(opentracing.FinishOptions{LogRecords: []opentracing.LogRecord{
		{Timestamp: time.Unix(1700000000, 123456789), Fields: []log.Field{log.String("message", "late")}}}})
	other.Finish()
	many := tr.StartSpan("many tags")
	for i := range 40 {
		many.SetTag("k"+strings.Repeat("k", i), i)
	}
	many.Finish()
	root.Finish()
	var spans []*jaeger.Span
	for _, s := range rep.GetSpans() {
		spans = append(spans, s.(*jaeger.Span))
	}
	return spans
}

func thriftBytes(t *testing.T, s thrift.TStruct) []byte {
	t.Helper()
	buf := thrift.NewTMemoryBuffer()
	if err := s.Write(context.Background(), thrift.NewTCompactProtocolFactoryConf(&thrift.TConfiguration{}).GetProtocol(buf)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSpanEncodingIsJaegers checks that each span and the process are
// encoded byte for byte as jaeger-client-go's BuildJaegerThrift and
// thrift's compact protocol encode them.
func TestSpanEncodingIsJaegers(t *testing.T) {
	if !spanLayout().ok {
		t.Fatal("jaeger-client-go's span layout is not the one udpTransport reads")
	}
	const maxTagLen = 16
	spans := testSpans(t, maxTagLen)
	if len(spans) != 4 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, sp := range spans {
		got := appendSpan(nil, sp, maxTagLen)
		want := thriftBytes(t, jaeger.BuildJaegerThrift(sp))
		if !bytes.Equal(got, want) {
			t.Errorf("span %q differs from byte %d:\n got %x\nwant %x", sp.OperationName(), firstDiff(got, want), got, want)
		}
	}
	p := jaeger.BuildJaegerProcessThrift(spans[0])
	if got, want := appendProcess(nil, p, maxTagLen), thriftBytes(t, p); !bytes.Equal(got, want) {
		t.Errorf("process:\n got %x\nwant %x", got, want)
	}
}

// TestUDPDatagramIsJaegers sends the same spans through udpTransport and
// through jaeger-client-go's UDP transport, batch sizes and flushes alike,
// and compares the datagrams.
func TestUDPDatagramIsJaegers(t *testing.T) {
	const maxTagLen = 256
	spans := testSpans(t, maxTagLen)
	listen := func() (*net.UDPConn, chan []byte) {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan []byte, 100)
		go func() {
			buf := make([]byte, 1<<16)
			for {
				n, _, err := c.ReadFromUDP(buf)
				if err != nil {
					close(ch)
					return
				}
				ch <- bytes.Clone(buf[:n])
			}
		}()
		return c, ch
	}
	ours, oursCh := listen()
	defer ours.Close()
	theirs, theirsCh := listen()
	defer theirs.Close()
	params := func(c *net.UDPConn) utils.AgentClientUDPParams {
		return utils.AgentClientUDPParams{HostPort: c.LocalAddr().String(), MaxPacketSize: 2000, DisableAttemptReconnecting: true}
	}
	a, err := newUDPTransport(params(ours), maxTagLen, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := jaeger.NewUDPTransportWithParams(jaeger.UDPTransportParams{AgentClientUDPParams: params(theirs)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for round := range 3 {
		for _, sp := range spans {
			n1, err1 := a.Append(sp)
			n2, err2 := b.Append(sp)
			if n1 != n2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("round %d, Append(%q): %d, %v; jaeger-client-go: %d, %v", round, sp.OperationName(), n1, err1, n2, err2)
			}
		}
	}
	n1, err1 := a.Flush()
	n2, err2 := b.Flush()
	if n1 != n2 || err1 != nil || err2 != nil {
		t.Fatalf("Flush: %d, %v; jaeger-client-go: %d, %v", n1, err1, n2, err2)
	}
	collect := func(ch chan []byte) [][]byte {
		var out [][]byte
		for {
			select {
			case d := <-ch:
				out = append(out, d)
			case <-time.After(300 * time.Millisecond):
				return out
			}
		}
	}
	got, want := collect(oursCh), collect(theirsCh)
	if len(got) != len(want) || len(got) < 2 {
		t.Fatalf("%d datagrams, jaeger-client-go %d (want at least 2: the spans fill more than one)", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("datagram %d differs from byte %d (of %d, jaeger-client-go's %d)", i, firstDiff(got[i], want[i]), len(got[i]), len(want[i]))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestLazyLogFieldsRunOnce: a lazy logger is run once per encoding, as
// jaeger-client-go runs it, and the log's field count is what that run
// emitted (a logger that emits other fields when run again, as this one
// does, used to leave a list header that did not match its fields).
func TestLazyLogFieldsRunOnce(t *testing.T) {
	tr, closer := jaeger.NewTracer("svc", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer closer.Close()
	sp := tr.StartSpan("lazy").(*jaeger.Span)
	runs := 0
	sp.LogFields(log.String("event", "x"), log.Lazy(func(e log.Encoder) {
		runs++
		for i := range runs * 8 {
			e.EmitInt("n", i)
		}
	}))
	sp.Finish()
	b := appendSpan(nil, sp, 256)
	if runs != 1 {
		t.Errorf("lazy logger run %d times", runs)
	}
	var got j.Span
	buf := thrift.NewTMemoryBuffer()
	buf.Write(b)
	if err := got.Read(context.Background(), thrift.NewTCompactProtocolConf(buf, &thrift.TConfiguration{})); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 || len(got.Logs) != 1 || len(got.Logs[0].Fields) != 9 {
		t.Fatalf("decoded %+v, %d bytes left over; want one log of 9 fields", got.Logs, buf.Len())
	}
}

// udpSpans makes n finished spans of a tracer whose process has a tag of
// processTag bytes.
func udpSpans(t *testing.T, n, processTag int) []*jaeger.Span {
	t.Helper()
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("svc", jaeger.NewConstSampler(true), rep,
		jaeger.TracerOptions.MaxTagValueLength(1<<20), jaeger.TracerOptions.Tag("big", strings.Repeat("p", processTag)))
	defer closer.Close()
	for range n {
		tr.StartSpan("op").Finish()
	}
	var spans []*jaeger.Span
	for _, s := range rep.GetSpans() {
		spans = append(spans, s.(*jaeger.Span))
	}
	return spans
}

// TestUDPProcessFillsPacket: when the process's tags leave too little
// room in a datagram, every span is still accounted for: sent, or
// dropped as too large (not as a failed export).
func TestUDPProcessFillsPacket(t *testing.T) {
	for _, tc := range []struct {
		processTag int
		sent       bool
	}{{1000, true}, {1990, false}, {5000, false}} {
		t.Run(strconv.Itoa(tc.processTag), func(t *testing.T) {
			agent := jaegertest.StartAgent(t)
			tr, err := newUDPTransport(utils.AgentClientUDPParams{HostPort: agent.Addr(), MaxPacketSize: 2000,
				DisableAttemptReconnecting: true}, 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			var c backendkit.Counters
			s := newSender(tr, &c)
			const n = 20
			for _, sp := range udpSpans(t, n, tc.processTag) {
				s.Append(sp)
			}
			s.Flush()
			s.Close()
			st := c.Stats()
			if st.Exported+st.Dropped != n || st.Dropped != st.DroppedBy.TooLarge {
				t.Fatalf("stats %+v: want %d spans exported or dropped as too large", st, n)
			}
			if tc.sent != (st.Exported == n) {
				t.Fatalf("stats %+v: want sent %v", st, tc.sent)
			}
			if tc.sent {
				agent.Spans(t, n, 5*time.Second)
			}
		})
	}
}

// TestUDPWriteRetried: the agent restarted on the same port; the ICMP
// "port unreachable" of a datagram sent while it was down fails the next
// write, which is tried again and reaches it, as with jaeger-client-go.
func TestUDPWriteRetried(t *testing.T) {
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().(*net.UDPAddr)
	tr, err := newUDPTransport(utils.AgentClientUDPParams{HostPort: addr.String(), MaxPacketSize: 2000,
		AttemptReconnectInterval: time.Hour}, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sp := udpSpans(t, 1, 10)[0]
	l.Close()
	tr.Append(sp)
	tr.Flush() // to nobody: an ICMP port unreachable comes back
	time.Sleep(20 * time.Millisecond)
	if l, err = net.ListenUDP("udp", addr); err != nil {
		t.Skip("port taken again:", err)
	}
	defer l.Close()
	tr.Append(sp)
	if n, err := tr.Flush(); n != 1 || err != nil {
		t.Fatalf("Flush: %d, %v", n, err)
	}
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := l.ReadFromUDP(make([]byte, 2000)); err != nil {
		t.Fatal(err)
	}
}

// TestUDPResolvedAgainAfterFailedWrite: the agent's name did not resolve
// when the transport was made; a failed write has it resolved again at
// once, not at the next interval.
func TestUDPResolvedAgainAfterFailedWrite(t *testing.T) {
	agent := jaegertest.StartAgent(t)
	var resolvable atomic.Bool
	c, err := dialUDP(utils.AgentClientUDPParams{HostPort: "agent:6831", MaxPacketSize: 2000, AttemptReconnectInterval: time.Hour},
		func(network, _ string) (*net.UDPAddr, error) {
			if !resolvable.Load() {
				return nil, errors.New("no such host")
			}
			return net.ResolveUDPAddr(network, agent.Addr())
		})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("wrote without an address")
	}
	resolvable.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Write([]byte("x"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still failing:", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUDPUnresolvableAgent: an agent whose name does not resolve fails
// the transport's making only without reconnecting; otherwise batches
// fail (and count) until it resolves. Close stops the resolving (goleak),
// can be called again, and Append after it fails without panicking.
func TestUDPUnresolvableAgent(t *testing.T) {
	p := utils.AgentClientUDPParams{HostPort: "agent..invalid:6831", DisableAttemptReconnecting: true}
	if _, err := newUDPTransport(p, 256, nil); err == nil {
		t.Fatal("no error without reconnecting")
	}
	p.DisableAttemptReconnecting = false
	tr, err := newUDPTransport(p, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	sp := udpSpans(t, 1, 10)[0]
	tr.Append(sp)
	if n, err := tr.Flush(); n != 1 || err == nil {
		t.Fatalf("Flush: %d, %v; want 1 span failed", n, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal("Close again:", err)
	}
	tr.Append(sp)
	if n, err := tr.Flush(); n != 1 || err == nil {
		t.Fatalf("Flush after Close: %d, %v; want 1 span failed", n, err)
	}
}

// TestUDPConcurrentUse: the reporter's Append and Flush, ForceFlush's
// Flush and Close at once (run with -race); every span appended is
// counted, sent or dropped.
func TestUDPConcurrentUse(t *testing.T) {
	agent := jaegertest.StartAgent(t)
	tr, err := newUDPTransport(utils.AgentClientUDPParams{HostPort: agent.Addr(), MaxPacketSize: 1000,
		AttemptReconnectInterval: time.Millisecond}, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	var c backendkit.Counters
	s := newSender(tr, &c)
	spans := udpSpans(t, 200, 10)
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, sp := range spans {
			s.Append(sp)
		}
	})
	wg.Go(func() {
		for range 50 {
			s.flush(context.Background(), nil)
		}
	})
	wg.Go(func() {
		time.Sleep(time.Millisecond)
		s.Close()
	})
	wg.Wait()
	s.Flush()
	if st := c.Stats(); st.Exported+st.Dropped != uint64(len(spans)) {
		t.Fatalf("stats %+v, want %d spans sent or dropped", st, len(spans))
	}
}
