package backendkit

import (
	"context"
	"sync"
)

// ProbeContextKey returns the context key under which a vendor keeps its
// current span, found by calling lookup (the vendor's own "span from
// context" function) on a context that records the keys it is asked for:
// the first key asked. Vendors keep that key unexported; a backend whose
// context nodes also answer it lets the vendor's API and instrumentation
// see facade spans without a second context node per span.
//
// ok is false when lookup asked for no key (the vendor changed how it
// finds spans, or lookup panicked). A backend must then still work, for
// example by keeping the vendor's own context below its node.
func ProbeContextKey(lookup func(ctx context.Context)) (key any, ok bool) {
	p := &keyProbe{Context: context.Background()}
	func() {
		defer func() { _ = recover() }()
		lookup(p)
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key, p.key != nil
}

// keyProbe is a context that records the first key it is asked for.
type keyProbe struct {
	context.Context
	mu  sync.Mutex
	key any
}

func (p *keyProbe) Value(key any) any {
	p.mu.Lock()
	if p.key == nil {
		p.key = key
	}
	p.mu.Unlock()
	return nil
}
