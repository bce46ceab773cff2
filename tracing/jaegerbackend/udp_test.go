package jaegerbackend

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	"github.com/uber/jaeger-client-go/utils"
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
		SetTag("s", "again")
	root.LogFields(log.String("event", "error"), log.Bool("b", true), log.Int("i", -1), log.Int32("i32", 2),
		log.Int64("i64", 3), log.Uint32("u32", 4), log.Uint64("u64", 5), log.Float32("f32", 0.5),
		log.Float64("f64", 0.25), log.Error(errors.New("failed")), log.Object("o", []int{1, 2}),
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
