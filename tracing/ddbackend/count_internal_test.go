package ddbackend

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// refCount counts a payload's kept spans with tinylib/msgp's streaming
// reader (as dd-trace-go encodes them), the reference for countSpans: a
// trace is kept unless the first of its spans that has a sampling
// priority has one <= 0.
func refCount(b []byte) uint64 {
	mr := msgp.NewReader(bytes.NewReader(b))
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
		keep, known := true, false
		for range m {
			p, has, err := refPriority(mr)
			if err != nil {
				return spans
			}
			if has && !known { // the first span with a priority decides
				keep, known = p > 0, true
			}
		}
		if keep {
			spans += uint64(m)
		}
	}
	return spans
}

// refPriority reads a span with mr and returns its sampling priority, if
// it has one.
func refPriority(mr *msgp.Reader) (p float64, has bool, err error) {
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
			v, err := mr.ReadIntf()
			if err != nil {
				return 0, false, err
			}
			switch v := v.(type) {
			case float64:
				p = v
			case float32:
				p = float64(v)
			case int64:
				p = float64(v)
			case uint64:
				p = float64(v)
			default:
				return 0, false, errNotNumber
			}
			has = true
		}
	}
	return p, has, nil
}

// payload writes a v0.4 payload: traces of spans with the given sampling
// priorities (nil: no metric; a float64 or an int: written by msgp; a
// []byte: the encoded value as it is), every span with fields of every msgpack
// kind dd-trace-go writes and some it does not.
func payload(t *testing.T, traces [][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := msgp.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteArrayHeader(uint32(len(traces))))
	for ti, tr := range traces {
		must(w.WriteArrayHeader(uint32(len(tr))))
		for si, prio := range tr {
			must(w.WriteMapHeader(12))
			must(w.WriteString("service"))
			must(w.WriteString("notes"))
			must(w.WriteString("name"))
			must(w.WriteString(string(bytes.Repeat([]byte("n"), 40*si)))) // str8 and longer
			must(w.WriteString("trace_id"))
			must(w.WriteUint64(uint64(ti) << 40))
			must(w.WriteString("start"))
			must(w.WriteInt64(-1 << 33))
			must(w.WriteString("error"))
			must(w.WriteInt32(int32(si)))
			must(w.WriteString("meta"))
			must(w.WriteMapHeader(uint32(20 + si)))
			for k := range 20 + si {
				must(w.WriteString("k" + string(rune('a'+k%26))))
				must(w.WriteString(string(bytes.Repeat([]byte("v"), 300*k))))
			}
			must(w.WriteString("meta_struct"))
			must(w.WriteMapHeader(1))
			must(w.WriteString("appsec"))
			must(w.WriteBytes(bytes.Repeat([]byte{1}, 70000)))
			must(w.WriteString("span_links"))
			must(w.WriteArrayHeader(2))
			must(w.WriteMapHeader(1))
			must(w.WriteString("flags"))
			must(w.WriteUint32(1 << 31))
			must(w.WriteNil())
			must(w.WriteString("x"))
			must(w.WriteExtension(&msgp.RawExtension{Type: 5, Data: []byte{1, 2, 3}}))
			must(w.WriteString("y"))
			must(w.WriteFloat32(1.5))
			must(w.WriteString("z"))
			must(w.WriteBool(true))
			must(w.WriteString("metrics"))
			if prio == nil {
				must(w.WriteNil())
				continue
			}
			must(w.WriteMapHeader(2))
			must(w.WriteString("_dd.measured"))
			must(w.WriteFloat64(1))
			must(w.WriteString(samplingPriorityKey))
			switch p := prio.(type) {
			case float64:
				must(w.WriteFloat64(p))
			case int:
				must(w.WriteInt(p))
			case []byte: // any encoding, as it is
				must(w.Append(p...))
			}
		}
	}
	must(w.Flush())
	return buf.Bytes()
}

// TestCountSpans compares countSpans with the msgp reference on whole
// payloads and on every truncation of one (what was read before the cut
// counts).
func TestCountSpans(t *testing.T) {
	for _, tc := range []struct {
		name   string
		traces [][]any
		want   uint64
	}{
		{"kept", [][]any{{1.0, 1.0}, {2.0}}, 3},
		{"dropped chunk", [][]any{{0.0, 1.0, 1.0}, {-1.0}, {1.0}}, 1},
		// The first span with a priority decides (the root's, which
		// dd-trace-go encodes first), as the agent reads it.
		{"first priority decides", [][]any{{1.0, 0.0, 1.0}, {nil, -1.0, 1.0}, {nil, 2.0, -1.0}}, 6},
		{"no priority", [][]any{{nil, nil}}, 2},
		// dd-trace-go writes a float64; any number type is read.
		{"integer priority", [][]any{{0}, {2}}, 1},
		{"float32 priority", [][]any{{enc(0xca, 0, 0, 0, 0)}, {enc(0xca, 0x3f, 0x80, 0, 0)}, {enc(0xca, 0xbf, 0x80, 0, 0)}}, 1},
		{"fixint priority", [][]any{{enc(0x00)}, {enc(0x01)}, {enc(0xff)}, {enc(0x7f)}}, 2},
		{"int8-64 priority", [][]any{
			{enc(0xd0, 0xff)}, {enc(0xd0, 0x02)},
			{enc(0xd1, 0xff, 0xff)}, {enc(0xd1, 0, 1)},
			{enc(0xd2, 0x80, 0, 0, 0)}, {enc(0xd2, 0, 0, 0, 1)},
			{enc(0xd3, 0, 0, 0, 0, 0, 0, 0, 0)}, {enc(0xd3, 0, 0, 0, 0, 0, 0, 0, 2)},
		}, 4},
		{"uint8-64 priority", [][]any{
			{enc(0xcc, 0)}, {enc(0xcc, 0xff)},
			{enc(0xcd, 0, 0)}, {enc(0xcd, 0xff, 0xff)},
			{enc(0xce, 0, 0, 0, 0)}, {enc(0xce, 0xff, 0xff, 0xff, 0xff)},
			{enc(0xcf, 0, 0, 0, 0, 0, 0, 0, 0)}, {enc(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		}, 4},
		{"empty", nil, 0},
		{"empty trace", [][]any{{}, {1.0}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := payload(t, tc.traces)
			if got, ref := countSpans(b), refCount(b); got != tc.want || ref != tc.want {
				t.Errorf("countSpans %d, msgp %d, want %d", got, ref, tc.want)
			}
		})
	}
	b := payload(t, [][]any{{1.0}, {nil, 1.0}, {0.0}, {1.0, 1.0, 1.0}})
	for cut := 0; cut < len(b); cut += 1 + cut/50 {
		if got, ref := countSpans(b[:cut]), refCount(b[:cut]); got != ref {
			t.Fatalf("cut at %d of %d: countSpans %d, msgp %d", cut, len(b), got, ref)
		}
	}
	// In pieces, as the HTTP transport reads the body.
	whole := countSpans(b)
	for _, size := range []int{1, 2, 7, 100, 4096, 65536} {
		if got := countPieces(b, size); got != whole || whole != 6 {
			t.Errorf("in pieces of %d bytes: %d spans, whole %d, want 6", size, got, whole)
		}
	}
	if n := testing.AllocsPerRun(10, func() { countSpans(b) }); n != 0 {
		t.Errorf("countSpans allocates %v times", n)
	}
	// In pieces, only the tail allocates (as it grows), never per span.
	p := ddPayload(t, 100, 4, 10)
	if n := testing.AllocsPerRun(10, func() { countPieces(p, 4096) }); n > 4 {
		t.Errorf("counting 400 spans in 4 KiB pieces allocates %v times", n)
	}
	if got := countPieces(p, 4096); got != 400 {
		t.Errorf("dd-trace-go-like payload: %d spans, want 400", got)
	}
}

// enc is an encoded sampling priority, written as it is (see payload).
func enc(b ...byte) []byte { return b }

// countPieces counts b's spans fed to a spanCounter in pieces of size
// bytes, as the HTTP transport reads a body.
func countPieces(b []byte, size int) uint64 {
	var c spanCounter
	for p := b; len(p) > 0; {
		k := min(size, len(p))
		c.feed(p[:k])
		p = p[k:]
	}
	return c.total()
}

// TestCountSpansLargeSpan feeds spans far longer than the pieces: each is
// read again only as its tail doubles (the benchmark of the same name
// times it), and the tail holds no more than about twice the span.
func TestCountSpansLargeSpan(t *testing.T) {
	var buf bytes.Buffer
	w := msgp.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteArrayHeader(3))
	must(w.WriteArrayHeader(1)) // a small trace before
	must(w.WriteMapHeader(1))
	must(w.WriteString("name"))
	must(w.WriteString("small"))
	must(w.WriteArrayHeader(2)) // a 1 MB meta value in the span dropping the trace, then another
	must(w.WriteMapHeader(2))
	must(w.WriteString("meta"))
	must(w.WriteMapHeader(1))
	must(w.WriteString("big"))
	must(w.WriteString(string(bytes.Repeat([]byte("x"), 1<<20))))
	must(w.WriteString("metrics"))
	must(w.WriteMapHeader(1))
	must(w.WriteString(samplingPriorityKey))
	must(w.WriteFloat64(-1))
	must(w.WriteMapHeader(1))
	must(w.WriteString("metrics"))
	must(w.WriteMapHeader(1))
	must(w.WriteString(samplingPriorityKey))
	must(w.WriteFloat64(1))
	must(w.Flush())
	b := append(buf.Bytes(), ddPayload(t, 1, 1, 20000)[1:]...) // a 1.7 MB span of 20,000 meta entries
	if ref := refCount(b); ref != 2 {
		t.Fatalf("reference count %d, want 2", ref)
	}
	for _, size := range []int{1024, 4096, 100000} {
		var c spanCounter
		most := 0
		for p := b; len(p) > 0; {
			k := min(size, len(p))
			c.feed(p[:k])
			p = p[k:]
			most = max(most, cap(c.tail))
		}
		if got := c.total(); got != 2 {
			t.Errorf("in pieces of %d bytes: %d spans, want 2", size, got)
		}
		if most > 4*len(b) {
			t.Errorf("in pieces of %d bytes: the tail grew to %d bytes, for a payload of %d", size, most, len(b))
		}
	}
}

// TestCountSpansMalformed feeds payloads that are truncated or not v0.4
// payloads, whole and in pieces: the count stops at the error (counting
// the traces read whole before it), nothing panics, and the tail stays
// within the payload's length.
func TestCountSpansMalformed(t *testing.T) {
	good := payload(t, [][]any{{1.0}, {1.0, 1.0}}) // 3 spans
	spans := good[1:]                              // the payload's two traces
	deep := append([]byte{0x91, 0x91, 0x81, 0xa4, 'n', 'a', 'm', 'e'}, bytes.Repeat([]byte{0x91}, 200000)...)
	for _, tc := range []struct {
		name string
		b    []byte
		want uint64
	}{
		{"empty input", nil, 0},
		{"not an array", []byte{0x81, 0xa1, 'a', 0x01}, 0},
		{"nil payload", []byte{0xc0}, 0},
		{"trace not an array", append([]byte{0x93}, append(bytes.Clone(spans), 0xa1, 'x')...), 3},
		{"span not a map", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x01)...), 3},
		{"invalid byte 0xc1", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x81, 0xa1, 'a', 0xc1)...), 3},
		{"integer key", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x81, 0x01, 0x01)...), 3},
		{"string priority", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x81, 0xa7, 'm', 'e', 't', 'r', 'i', 'c', 's', 0x81, 0xb5, '_', 's', 'a', 'm', 'p', 'l', 'i', 'n', 'g', '_', 'p', 'r', 'i', 'o', 'r', 'i', 't', 'y', '_', 'v', '1', 0xa1, '1')...), 3},
		{"nil priority", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x81, 0xa7, 'm', 'e', 't', 'r', 'i', 'c', 's', 0x81, 0xb5, '_', 's', 'a', 'm', 'p', 'l', 'i', 'n', 'g', '_', 'p', 'r', 'i', 'o', 'r', 'i', 't', 'y', '_', 'v', '1', 0xc0)...), 3},
		{"metrics not a map", append([]byte{0x93}, append(bytes.Clone(spans), 0x91, 0x81, 0xa7, 'm', 'e', 't', 'r', 'i', 'c', 's', 0x91, 0x01)...), 3},
		{"nested too deep", append([]byte{0x93}, append(bytes.Clone(spans), deep...)...), 3},
		{"string longer than the payload", append([]byte{0x93}, append(bytes.Clone(spans), append([]byte{0x91, 0x81, 0xa1, 'a', 0xdb, 0xff, 0xff, 0xff, 0xff}, make([]byte, 100000)...)...)...), 3},
		{"4G fields, few there", append([]byte{0x93}, append(bytes.Clone(spans), append([]byte{0x91, 0xdf, 0xff, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{0xa1, 'a', 0x01}, 1000)...)...)...), 3},
		{"4G traces, few there", append([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, append(bytes.Clone(spans), bytes.Repeat([]byte{0x90}, 1000)...)...), 3},
		{"4G spans, few there", append([]byte{0x93}, append(bytes.Clone(spans), append([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{0x80}, 1000)...)...)...), 3},
		{"trailing bytes", append(bytes.Clone(good), 0xc1, 0xc1), 3},
		{"truncated header", good[:0], 0},
		{"truncated span", good[:len(good)-1], 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := countSpans(tc.b); got != tc.want {
				t.Errorf("whole: %d spans, want %d", got, tc.want)
			}
			if got := countSpansFrom(bytes.NewReader(tc.b)); got != tc.want {
				t.Errorf("countSpansFrom: %d spans, want %d", got, tc.want)
			}
			for _, size := range []int{1, 7, 1024} {
				var c spanCounter
				for p := tc.b; len(p) > 0; {
					k := min(size, len(p))
					c.feed(p[:k])
					p = p[k:]
					if cap(c.tail) > 2*len(tc.b)+2*minRetry {
						t.Fatalf("in pieces of %d bytes: the tail grew to %d bytes, for a payload of %d", size, cap(c.tail), len(tc.b))
					}
				}
				if got := c.total(); got != tc.want {
					t.Errorf("in pieces of %d bytes: %d spans, want %d", size, got, tc.want)
				}
			}
		})
	}
}

// ddPayload writes a v0.4 payload laid out as dd-trace-go v2 encodes it
// (its generated Span.EncodeMsg: the fields in its order and types):
// traces of spans, each with meta entries of typical lengths and three
// metrics, the first span of each trace carrying its sampling priority.
func ddPayload(tb testing.TB, traces, spans, meta int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := msgp.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	str := func(k, v string) {
		must(w.WriteString(k))
		must(w.WriteString(v))
	}
	must(w.WriteArrayHeader(uint32(traces)))
	for ti := range traces {
		must(w.WriteArrayHeader(uint32(spans)))
		for si := range spans {
			must(w.WriteMapHeader(13))
			str("name", "http.request")
			str("service", "checkout-api")
			str("resource", "GET /api/v1/orders/{id}")
			str("type", "web")
			must(w.WriteString("start"))
			must(w.WriteInt64(1_700_000_000_000_000_000 + int64(ti)))
			must(w.WriteString("duration"))
			must(w.WriteInt64(1_234_567))
			must(w.WriteString("meta"))
			must(w.WriteMapHeader(uint32(meta)))
			for k := range meta {
				str("http.header.x-request-"+strconv.Itoa(k), "https://shop.example.com/api/v1/orders/12345?page="+strconv.Itoa(k))
			}
			must(w.WriteString("meta_struct"))
			must(w.WriteMapHeader(0))
			must(w.WriteString("metrics"))
			if si == 0 {
				must(w.WriteMapHeader(3))
				must(w.WriteString(samplingPriorityKey))
				must(w.WriteFloat64(1))
			} else {
				must(w.WriteMapHeader(2))
			}
			must(w.WriteString("_dd.top_level"))
			must(w.WriteFloat64(1))
			must(w.WriteString("process_id"))
			must(w.WriteFloat64(4242))
			must(w.WriteString("span_id"))
			must(w.WriteUint64(uint64(ti*spans+si) * 0x9e3779b97f4a7c15))
			must(w.WriteString("trace_id"))
			must(w.WriteUint64(uint64(ti+1) * 0x9e3779b97f4a7c15))
			must(w.WriteString("parent_id"))
			must(w.WriteUint64(uint64(si)))
			must(w.WriteString("error"))
			must(w.WriteInt32(0))
		}
	}
	must(w.Flush())
	return buf.Bytes()
}

// BenchmarkCountSpans counts a realistic payload (100 traces of 4 spans
// with 10 meta entries each, as dd-trace-go writes them) fed in the 4 KiB
// pieces the HTTP transport reads: the cost countingBody adds to an
// upload.
func BenchmarkCountSpans(b *testing.B) {
	p := ddPayload(b, 100, 4, 10)
	if n := refCount(p); n != 400 {
		b.Fatalf("reference count %d, want 400", n)
	}
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if n := countPieces(p, 4096); n != 400 {
			b.Fatalf("%d spans, want 400", n)
		}
	}
}

// BenchmarkSkip skips every span of a payload of 100 traces of 4 spans
// with skip and with msgp.Skip, which skip stands in for.
func BenchmarkSkip(b *testing.B) {
	p := ddPayload(b, 100, 4, 10)
	for _, impl := range []struct {
		name string
		skip func([]byte) ([]byte, error)
	}{{"own", skip}, {"msgp", msgp.Skip}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				o, err := impl.skip(p) // the whole payload: one array of everything
				if err != nil || len(o) != 0 {
					b.Fatalf("rest %d, %v", len(o), err)
				}
			}
		})
	}
}

// countSpans counts the spans of a whole payload, read in place.
func countSpans(b []byte) uint64 {
	var c spanCounter
	c.scan(b)
	return c.spans
}

// BenchmarkCountSpansLargeSpan counts a payload of one span of about
// 1 MB in small values (20,000 meta entries) fed in 1 KiB pieces: the
// case where re-reading the span from its start at every piece would be
// quadratic.
func BenchmarkCountSpansLargeSpan(b *testing.B) {
	p := ddPayload(b, 1, 1, 20000)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if n := countPieces(p, 1024); n != 1 {
			b.Fatalf("%d spans, want 1", n)
		}
	}
}

// TestSkipIsMsgps holds skip to msgp.Skip on values of every msgpack type
// (nested, with every length encoding) and on every truncation of them.
func TestSkipIsMsgps(t *testing.T) {
	var buf bytes.Buffer
	w := msgp.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteArrayHeader(22))
	must(w.WriteNil())
	must(w.WriteBool(true))
	must(w.WriteInt64(-3))
	must(w.WriteInt64(-300))
	must(w.WriteInt64(-70000))
	must(w.WriteInt64(-1 << 40))
	must(w.WriteUint64(200))
	must(w.WriteUint64(60000))
	must(w.WriteUint64(1 << 20))
	must(w.WriteUint64(1 << 40))
	must(w.WriteFloat32(1.5))
	must(w.WriteFloat64(2.5))
	must(w.WriteString(string(bytes.Repeat([]byte("s"), 40))))
	must(w.WriteString(string(bytes.Repeat([]byte("s"), 300))))
	must(w.WriteString(string(bytes.Repeat([]byte("s"), 70000))))
	must(w.WriteBytes(bytes.Repeat([]byte("b"), 300)))
	must(w.WriteExtensionRaw(5, []byte{1, 2, 3, 4})) // fixext4
	must(w.WriteExtensionRaw(5, []byte{1, 2, 3}))    // ext8
	must(w.WriteArrayHeader(20))                     // array16
	for i := range 20 {
		must(w.WriteInt(i))
	}
	must(w.WriteMapHeader(17)) // map16
	for i := range 17 {
		must(w.WriteString(strconv.Itoa(i)))
		must(w.WriteMapHeader(1))
		must(w.WriteString("k"))
		must(w.WriteArrayHeader(0))
	}
	must(w.WriteMapStrStr(map[string]string{"a": "b"}))
	must(w.WriteString("end"))
	must(w.Flush())
	b := append(buf.Bytes(), 0x01) // and a value after it
	for i := range len(b) {
		got, gerr := skip(b[:i])
		want, werr := msgp.Skip(b[:i])
		if (gerr == nil) != (werr == nil) || (gerr == nil && len(got) != len(want)) {
			t.Fatalf("skip of %d bytes: rest %d, %v; msgp.Skip: rest %d, %v", i, len(got), gerr, len(want), werr)
		}
		if gerr != nil && gerr != msgp.ErrShortBytes {
			t.Fatalf("skip of %d bytes of a valid value: %v, want msgp.ErrShortBytes", i, gerr)
		}
	}
	if rest, err := skip(b); err != nil || len(rest) != 1 {
		t.Fatalf("skip: rest %d, %v; want 1, nil", len(rest), err)
	}
	if _, err := skip([]byte{0xc1}); err == nil || err == msgp.ErrShortBytes {
		t.Fatalf("skip(0xc1): %v, want a malformed-input error", err)
	}
}
