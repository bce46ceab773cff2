package tracing

import (
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
)

// Carrier is where propagators read and write trace context: HTTP headers,
// message metadata, a map. Keys are compared case-insensitively by the
// carriers in this package.
type Carrier interface {
	// Get returns the first value of key, or "".
	Get(key string) string
	// Set replaces the values of key with value.
	Set(key, value string)
	// Keys lists the keys present (for prefix formats such as uberctx-*).
	Keys() []string
}

// ValuesGetter is implemented by carriers that can hold several values for
// one key, as HTTP headers can. Propagators use it where a specification
// gives several values a meaning: W3C trace context treats two traceparent
// headers as invalid and joins several tracestate headers.
type ValuesGetter interface {
	Values(key string) []string
}

// HeaderCarrier adapts http.Header to Carrier. Keys are matched as
// http.Header matches them (in canonical form), without allocating: the
// canonical forms of the lower-case keys propagators use ("traceparent",
// "x-datadog-trace-id") are cached, where http.Header.Get would allocate
// one on every lookup.
type HeaderCarrier http.Header

// Get returns the first value of key.
func (h HeaderCarrier) Get(key string) string {
	if v := h[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (h HeaderCarrier) Set(key, value string) { h[canonicalKey(key)] = []string{value} }

// Keys returns the canonical header names present.
func (h HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// Values returns every value of key.
func (h HeaderCarrier) Values(key string) []string { return h[canonicalKey(key)] }

// canonicalKey returns textproto.CanonicalMIMEHeaderKey(key), from a cache
// for keys that need changing.
func canonicalKey(key string) string {
	if isCanonical(key) {
		return key
	}
	if m := keyCache.m.Load(); m != nil {
		if c, ok := (*m)[key]; ok {
			return c
		}
	}
	c := textproto.CanonicalMIMEHeaderKey(key)
	storeKey(key, c)
	return c
}

// isCanonical reports whether key is already in canonical form (upper
// case after a dash or at the start, lower case elsewhere).
func isCanonical(key string) bool {
	upper := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			return false
		case !upper && 'A' <= c && c <= 'Z':
			return false
		}
		upper = c == '-'
	}
	return true
}

// keyCache maps keys to their canonical forms. It is copy-on-write, so
// lookups never lock or allocate; propagators use a handful of keys, and it
// stops growing at 256 entries (for carriers fed arbitrary keys, such as
// uberctx-* baggage), past which keys are canonicalised on each call.
var keyCache struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

func storeKey(key, canon string) {
	keyCache.mu.Lock()
	defer keyCache.mu.Unlock()
	old := keyCache.m.Load()
	n := 0
	if old != nil {
		n = len(*old)
		if _, ok := (*old)[key]; ok || n >= 256 {
			return
		}
	}
	m := make(map[string]string, n+1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[strings.Clone(key)] = canon
	keyCache.m.Store(&m)
}

// MapCarrier adapts map[string]string to Carrier. Set stores keys in lower
// case; Get finds keys in any case.
type MapCarrier map[string]string

// Get returns the value of key, matched exactly or else without regard to
// case.
func (m MapCarrier) Get(key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// Set stores value under the lower-case form of key, replacing any key that
// differs from it only in case.
func (m MapCarrier) Set(key, value string) {
	lk := strings.ToLower(key)
	for k := range m {
		if k != lk && strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[lk] = value
}

// Keys returns the keys present.
func (m MapCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// RangeKeys calls f with each key of c, in no particular order, until f
// returns false. It reads HeaderCarrier and MapCarrier in place, without
// the slice Keys allocates, and other carriers through Keys. Propagators
// of prefix formats (uberctx-*, ot-baggage-*) use it on every request.
func RangeKeys(c Carrier, f func(key string) bool) {
	switch c := c.(type) {
	case HeaderCarrier:
		for k := range c {
			if !f(k) {
				return
			}
		}
	case MapCarrier:
		for k := range c {
			if !f(k) {
				return
			}
		}
	default:
		for _, k := range c.Keys() {
			if !f(k) {
				return
			}
		}
	}
}

// carrierValues returns every value of key in c, using ValuesGetter when c
// implements it.
func carrierValues(c Carrier, key string) []string {
	if vg, ok := c.(ValuesGetter); ok {
		return vg.Values(key)
	}
	if v := c.Get(key); v != "" {
		return []string{v}
	}
	return nil
}

// CarrierValues returns every value of key in c: all of them when c
// implements ValuesGetter, else the one Get returns (none if it is empty).
// Propagators use it.
func CarrierValues(c Carrier, key string) []string { return carrierValues(c, key) }
