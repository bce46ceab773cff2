package httpkit

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var errFake = errors.New("fake hijack")

// fakeBase is the http.ResponseWriter every fake embeds; the fakes
// (writer_fakes_test.go) add optional methods that record their calls.
type fakeBase struct {
	h     http.Header
	calls []string
}

func (b *fakeBase) Header() http.Header         { return b.h }
func (b *fakeBase) Write(p []byte) (int, error) { b.called("Write"); return len(p), nil }
func (b *fakeBase) WriteHeader(int)             { b.called("WriteHeader") }
func (b *fakeBase) called(m string)             { b.calls = append(b.calls, m) }

// TestWrapperKeepsExactlyTheInterfaces checks all 32 combinations of
// Flusher, Hijacker, Pusher, ReaderFrom and CloseNotifier: the wrapper has
// exactly those its writer has, Unwrap returns the writer, and each method
// reaches the writer's.
func TestWrapperKeepsExactlyTheInterfaces(t *testing.T) {
	if len(fakeCombos) != 32 {
		t.Fatalf("%d combinations, want 32", len(fakeCombos))
	}
	for _, c := range fakeCombos {
		b := &fakeBase{h: http.Header{}}
		inner := c.make(b)
		w, _ := WrapResponseWriter(inner)
		if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != inner {
			t.Errorf("combination %05b: Unwrap does not return the writer", c.k)
		}
		check := func(bit uint8, name string, has bool, call func()) {
			t.Helper()
			want := c.k&bit != 0
			if has != want {
				t.Errorf("combination %05b: wrapper has %s = %v, writer has it = %v", c.k, name, has, want)
				return
			}
			if has {
				b.calls = nil
				call()
				if !slices.Contains(b.calls, name) {
					t.Errorf("combination %05b: %s did not reach the writer (calls %v)", c.k, name, b.calls)
				}
			}
		}
		f, ok := w.(http.Flusher)
		check(hasFlush, "Flush", ok, func() { f.Flush() })
		h, ok := w.(http.Hijacker)
		check(hasHijack, "Hijack", ok, func() {
			if _, _, err := h.Hijack(); !errors.Is(err, errFake) {
				t.Errorf("combination %05b: Hijack error %v, want the writer's", c.k, err)
			}
		})
		p, ok := w.(http.Pusher)
		check(hasPush, "Push", ok, func() { _ = p.Push("/x", nil) })
		r, ok := w.(io.ReaderFrom)
		check(hasReadFrom, "ReadFrom", ok, func() { _, _ = r.ReadFrom(strings.NewReader("body")) })
		//lint:ignore SA1019 passing CloseNotifier through is what is checked
		n, ok := w.(http.CloseNotifier)
		check(hasCloseNotify, "CloseNotify", ok, func() { _ = n.CloseNotify() })
		// Always present: WriteString, through the writer's Write.
		b.calls = nil
		if _, err := io.WriteString(w, "x"); err != nil || !slices.Contains(b.calls, "Write") {
			t.Errorf("combination %05b: WriteString did not reach Write (%v, %v)", c.k, b.calls, err)
		}
	}
}

// TestGeneratedWriterFilesUpToDate regenerates the combination files and
// checks that the committed ones match.
func TestGeneratedWriterFilesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator; skipped in -short mode")
	}
	dir := t.TempDir()
	for _, f := range []string{"writer_gen.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+f, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", "writer_gen.go")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run writer_gen.go: %v\n%s", err, out)
	}
	for _, f := range []string{"writer_combos.go", "writer_fakes_test.go"} {
		want, _ := os.ReadFile(dir + "/" + f)
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate in middleware/httpkit", f)
		}
	}
}

// TestWrapResponseWriterAllocatesOnce backs the README's "one allocation
// per recorded request": wrapping any combination of the optional
// interfaces, writing the header and a body, allocates once. (The body is
// a []byte: the fake has no WriteString, so a string would be converted,
// an allocation of the underlying writer's, not the wrapper's.)
func TestWrapResponseWriterAllocatesOnce(t *testing.T) {
	body := []byte("x")
	for _, c := range fakeCombos {
		b := &fakeBase{h: http.Header{}}
		w := c.make(b)
		n := testing.AllocsPerRun(100, func() {
			b.calls = b.calls[:0] // the fake's record of calls, not the wrapper's
			rw, _ := WrapResponseWriter(w)
			rw.WriteHeader(http.StatusOK)
			_, _ = rw.Write(body)
		})
		if n != 1 {
			t.Errorf("combination %05b: %v allocations, want 1", c.k, n)
		}
	}
}
