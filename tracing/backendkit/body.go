package backendkit

import (
	"io"
	"sync"
)

// ReleaseOnClose returns body with a Close that also calls release, once.
// A transport that binds a request to a context of its own (the backend's
// lifetime, a flush's deadline) returns the response with it, so that the
// context is released when the caller has read the body, not before.
func ReleaseOnClose(body io.ReadCloser, release func()) io.ReadCloser {
	return &releasingBody{ReadCloser: body, release: release}
}

type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
