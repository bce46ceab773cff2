package tracehttp

import (
	"net/http"

	"github.com/polytrace/polytrace/middleware/httpkit"
	"github.com/polytrace/polytrace/middleware/tracehttp/internal/http2"
	"github.com/polytrace/polytrace/tracing"
)

// Transport returns rt (http.DefaultTransport if nil) wrapped so that each
// request through it is traced: one client span per attempt, a child of the
// span in the request's context, named by the method ("GET"), with span
// type "http". The trace context is injected into a clone of the request;
// the caller's request is never modified. The span ends when the response
// body is read to its end or closed, or at once on a transport error.
// Redirects and retries made by an http.Client each go through the
// transport again and get spans of their own.
//
// url.full is recorded with credentials and query values replaced by
// "REDACTED". Spans fail on transport errors and on 4xx and 5xx responses
// (WithErrorStatus changes that).
func Transport(rt http.RoundTripper, opts ...Option) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	t := &transport{base: rt, c: httpkit.NewClient(opts)}
	if _, ok := rt.(*http.Transport); ok {
		// So that http.Client knows the transport honours contexts (see
		// http2.Transport).
		return &http2.Transport{Impl: t}
	}
	return t
}

// WrapClient returns a copy of c (http.DefaultClient if nil) whose
// Transport is wrapped with Transport; c itself is not changed.
func WrapClient(c *http.Client, opts ...Option) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	wrapped := *c
	wrapped.Transport = Transport(c.Transport, opts...)
	return &wrapped
}

type transport struct {
	base http.RoundTripper
	c    *httpkit.Client
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.c.Skip(r) {
		return t.base.RoundTrip(r)
	}
	ctx, cs, prop := t.c.Start(r)
	if !cs.Recording() && !tracing.SpanFromContext(ctx).SpanContext().IsValid() && tracing.BaggageFromContext(ctx).Len() == 0 {
		// Nothing to record and nothing to propagate.
		return t.base.RoundTrip(r)
	}
	out := r.Clone(ctx)
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	prop.Inject(ctx, tracing.HeaderCarrier(out.Header))

	resp, err := t.base.RoundTrip(out)
	if resp != nil && resp.Request == out {
		resp.Request = r
	}
	if !cs.Recording() {
		return resp, err
	}
	if err != nil || resp == nil {
		cs.Fail(err)
		return resp, err
	}
	cs.Response(resp)
	if resp.Body == nil || resp.Body == http.NoBody {
		cs.End()
		return resp, nil
	}
	resp.Body = wrapBody(resp.Body, cs, resp.ContentLength)
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, if it can, so that http.Client.CloseIdleConnections still
// works through the wrapper.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Unwrap returns the wrapped RoundTripper.
func (t *transport) Unwrap() http.RoundTripper { return t.base }
