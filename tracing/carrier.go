package tracing

import (
	"net/http"
	"strings"
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

// HeaderCarrier adapts http.Header to Carrier.
type HeaderCarrier http.Header

// Get returns the first value of key.
func (h HeaderCarrier) Get(key string) string { return http.Header(h).Get(key) }

// Set replaces the values of key.
func (h HeaderCarrier) Set(key, value string) { http.Header(h).Set(key, value) }

// Keys returns the canonical header names present.
func (h HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// Values returns every value of key.
func (h HeaderCarrier) Values(key string) []string { return http.Header(h).Values(key) }

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
