// Package http2 holds the one type whose name net/http's client
// recognises: see Transport.
package http2

import "net/http"

// Transport is tracehttp's transport over an *http.Transport, under the
// one name besides net/http's own types for which http.Client assumes a
// RoundTripper honours the request's context: reflect's "*http2.Transport"
// (http.knownRoundTripperImpl, meant for golang.org/x/net/http2). For any
// other RoundTripper, a client with a Timeout cancels the request through
// the deprecated Request.Cancel instead: a channel, a timer, a goroutine
// and a sync.OnceFunc per request (five allocations, which every wrapping
// transport pays, otelhttp's among them). tracehttp's transport hands the
// request, context included, to the *http.Transport it wraps, which
// honours the context, so the assumption holds.
type Transport struct {
	Impl interface {
		http.RoundTripper
		CloseIdleConnections()
		Unwrap() http.RoundTripper
	}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) { return t.Impl.RoundTrip(r) }

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *Transport) CloseIdleConnections() { t.Impl.CloseIdleConnections() }

// Unwrap returns the wrapped RoundTripper.
func (t *Transport) Unwrap() http.RoundTripper { return t.Impl.Unwrap() }
