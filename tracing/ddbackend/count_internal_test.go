package ddbackend

import (
	"bytes"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// refCount counts a payload's kept spans with tinylib/msgp's reader (as
// dd-trace-go encodes them), the reference for countSpans.
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
		keep := true
		for range m {
			p, has, err := refPriority(mr)
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
			if p, err = mr.ReadFloat64(); err != nil {
				return 0, false, err
			}
			has = true
		}
	}
	return p, has, nil
}

// payload writes a v0.4 payload: traces of spans with the given sampling
// priorities (nil: no metric), every span with fields of every msgpack
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
		{"dropped chunk", [][]any{{1.0, 0.0, 1.0}, {-1.0}, {1.0}}, 1},
		{"no priority", [][]any{{nil, nil}}, 2},
		// msgp's ReadFloat64 refuses integers (dd-trace-go writes
		// floats), and would count nothing: countSpans reads them.
		{"integer priority", [][]any{{0}, {2}}, 1},
		{"empty", nil, 0},
		{"empty trace", [][]any{{}, {1.0}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := payload(t, tc.traces)
			if got, ref := countSpans(b), refCount(b); got != tc.want || (ref != tc.want && tc.name != "integer priority") {
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
		var c spanCounter
		for p := b; len(p) > 0; {
			k := min(size, len(p))
			c.feed(p[:k])
			p = p[k:]
		}
		if c.spans != whole || whole != 6 {
			t.Errorf("in pieces of %d bytes: %d spans, whole %d, want 6", size, c.spans, whole)
		}
	}
	if n := testing.AllocsPerRun(10, func() { countSpans(b) }); n != 0 {
		t.Errorf("countSpans allocates %v times", n)
	}
}
