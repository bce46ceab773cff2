package tracehttp

import (
	"io"
	"sync/atomic"

	"github.com/polytrace/polytrace/middleware/httpkit"
)

// body wraps a response body to end the client span when the body is read
// to its end, fails, or is closed, whichever comes first.
type body struct {
	rc            io.ReadCloser
	cs            httpkit.ClientSpan
	contentLength int64
	read          atomic.Int64
	done          atomic.Bool
}

// rwBody is body for the io.ReadWriteCloser bodies of 101 Switching
// Protocols responses, which callers write to.
type rwBody struct{ *body }

func wrapBody(rc io.ReadCloser, cs httpkit.ClientSpan, contentLength int64) io.ReadCloser {
	b := &body{rc: rc, cs: cs, contentLength: contentLength}
	if _, ok := rc.(io.ReadWriteCloser); ok {
		return rwBody{b}
	}
	return b
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.read.Add(int64(n))
	switch err {
	case nil:
	case io.EOF:
		b.finish(nil)
	default:
		b.finish(err)
	}
	return n, err
}

// WriteTo copies the body to w, keeping the fast paths: the body's own
// WriteTo, or else w's ReadFrom (io.Copy finds it).
func (b *body) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	if wt, ok := b.rc.(io.WriterTo); ok {
		n, err = wt.WriteTo(w)
	} else {
		n, err = io.Copy(w, struct{ io.Reader }{b.rc})
	}
	b.read.Add(n)
	b.finish(err)
	return n, err
}

func (b *body) Close() error {
	b.finish(nil)
	return b.rc.Close()
}

func (b *body) finish(err error) {
	if b.done.CompareAndSwap(false, true) {
		b.cs.EndBody(b.read.Load(), b.contentLength, err)
	}
}

func (b rwBody) Write(p []byte) (int, error) { return b.rc.(io.Writer).Write(p) }
