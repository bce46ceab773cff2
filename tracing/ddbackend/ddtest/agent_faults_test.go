package ddtest_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/tinylib/msgp/msgp"
	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// payload encodes one trace of n minimal spans, with a meta value of
// size bytes on the first.
func payload(n, size int) []byte {
	var b []byte
	b = msgp.AppendArrayHeader(b, 1)
	b = msgp.AppendArrayHeader(b, uint32(n))
	for i := range n {
		b = msgp.AppendMapHeader(b, 3)
		b = msgp.AppendString(b, "name")
		b = msgp.AppendString(b, "op")
		b = msgp.AppendString(b, "span_id")
		b = msgp.AppendUint64(b, uint64(i+1))
		b = msgp.AppendString(b, "meta")
		b = msgp.AppendMapHeader(b, 1)
		b = msgp.AppendString(b, "v")
		if i == 0 {
			b = msgp.AppendString(b, string(bytes.Repeat([]byte("x"), size)))
		} else {
			b = msgp.AppendString(b, "")
		}
	}
	return b
}

func upload(t *testing.T, a *ddtest.Agent, body []byte) int {
	t.Helper()
	resp, err := http.Post(a.URL()+"/v0.4/traces", "application/msgpack", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRejections: payloads over MaxPayload are answered 413 and those the
// agent is told to refuse with a Fault's Status; their spans are counted
// as rejected, not kept.
func TestRejections(t *testing.T) {
	defer http.DefaultClient.CloseIdleConnections()
	a := ddtest.Start(ddtest.Config{MaxPayload: 1000})
	defer a.Close()
	if code := upload(t, a, payload(3, 10)); code != http.StatusOK {
		t.Errorf("small payload answered %d", code)
	}
	if code := upload(t, a, payload(4, 2000)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("large payload answered %d, want 413", code)
	}
	if len(a.Spans()) != 3 || a.Rejected() != 4 || a.Attempts() != 2 {
		t.Errorf("kept %d spans, rejected %d, want 3 and 4", len(a.Spans()), a.Rejected())
	}
	b := ddtest.Start(ddtest.Config{})
	defer b.Close()
	b.SetFault(tracingtest.Fault{Status: http.StatusTooManyRequests})
	if code := upload(t, b, payload(2, 1)); code != http.StatusTooManyRequests || b.Rejected() != 2 || len(b.Spans()) != 0 {
		t.Errorf("answered %d, rejected %d, kept %d", code, b.Rejected(), len(b.Spans()))
	}
}
