package httpkit

import (
	"context"
	"errors"
	"net/http"

	"github.com/polytrace/polytrace/tracing"
)

// Client turns outgoing requests into client spans; tracehttp's Transport
// uses it.
type Client struct {
	cfg       Config
	queryKeys bool
	isError   func(int) bool
}

// NewClient returns a Client configured by opts.
func NewClient(opts []Option) *Client {
	c := &Client{cfg: NewConfig(opts), queryKeys: true, isError: isClientError}
	if c.cfg.QueryKeys != nil {
		c.queryKeys = *c.cfg.QueryKeys
	}
	if c.cfg.IsError != nil {
		c.isError = c.cfg.IsError
	}
	return c
}

// Skip reports whether r is not to be traced (a filter rejected it).
func (c *Client) Skip(r *http.Request) bool { return c.cfg.Skip(r) }

// ClientSpan is the span of one outgoing request.
type ClientSpan struct {
	span      tracing.Span
	recording bool
	c         *Client
	req       *http.Request // for url.full, recorded with the outcome
}

// Start starts the client span of r, a child of the span in r's context.
// It returns the context carrying the span, the span, and the propagator
// to inject the context with.
func (c *Client) Start(r *http.Request) (context.Context, ClientSpan, tracing.Propagator) {
	tracer, prop := c.cfg.TracerAndPropagator()
	if !tracer.Enabled() {
		return r.Context(), ClientSpan{c: c}, prop
	}
	method, original := Method(r.Method)
	name := ""
	if c.cfg.SpanNamer != nil {
		name = c.cfg.SpanNamer(r, "")
	}
	if name == "" {
		name = ClientSpanName(method)
	}
	resource := name
	if c.cfg.ResourceNamer != nil {
		if n := c.cfg.ResourceNamer(r, ""); n != "" {
			resource = n
		}
	}

	// Fixed arrays filled by index: append would move them to the heap
	// (see Server.Start).
	var a [8]tracing.Attr
	n := 0
	a[n] = tracing.String(KeyMethod, method)
	n++
	if original != "" {
		a[n] = tracing.String(KeyMethodOriginal, original)
		n++
	}
	https := false
	hostport := r.Host
	if r.URL != nil {
		https = r.URL.Scheme == "https"
		if r.URL.Host != "" {
			hostport = r.URL.Host
		}
	}
	host, port := SplitHostPort(hostport)
	if host != "" {
		a[n] = tracing.String(KeyServerAddress, host)
		n++
	}
	if port < 0 {
		port = 80
		if https {
			port = 443
		}
	}
	a[n] = tracing.Int(KeyServerPort, port)
	n++
	if ua := r.Header["User-Agent"]; len(ua) > 0 && ua[0] != "" {
		a[n] = tracing.String(KeyUserAgent, ua[0])
		n++
	}
	if r.ContentLength > 0 {
		a[n] = tracing.Int64(KeyReqBodySize, r.ContentLength)
		n++
	}

	var opts [5]tracing.StartOption
	opts[0] = tracing.WithKind(tracing.SpanKindClient)
	opts[1] = tracing.WithSpanType(tracing.TypeHTTP)
	opts[2] = tracing.WithResource(resource)
	opts[3] = tracing.WithAttrs(a[:n]...)
	no := 4
	if c.cfg.Service != "" {
		opts[no] = tracing.WithService(c.cfg.Service)
		no++
	}
	ctx, span := tracer.Start(r.Context(), name, opts[:no]...)
	cs := ClientSpan{span: span, c: c, req: r}
	if span.IsRecording() {
		cs.recording = true
		// url.full goes with the outcome (Response or Fail, one of which
		// every recorded request reaches): one SetAttrs fewer per
		// request. Request headers, when asked for, are read now.
		if len(c.cfg.ReqHeaders) > 0 {
			var more [4]tracing.Attr
			if extra := HeaderAttrs(more[:0], c.cfg.ReqHeaders, r.Header); len(extra) > 0 {
				span.SetAttrs(extra...)
			}
		}
	}
	return ctx, cs, prop
}

// urlFull is the url.full attribute of the request.
func (cs *ClientSpan) urlFull() tracing.Attr {
	return tracing.String(KeyURLFull, RedactedURL(cs.req.URL, cs.c.queryKeys))
}

// Recording reports whether the span records.
func (cs *ClientSpan) Recording() bool { return cs.recording }

// Span returns the span.
func (cs *ClientSpan) Span() tracing.Span { return cs.span }

// Fail records a transport error and ends the span.
func (cs *ClientSpan) Fail(err error) {
	if !cs.recording {
		return
	}
	if err == nil {
		err = errors.New("http: RoundTripper returned neither a response nor an error")
	}
	cs.span.SetAttrs(cs.urlFull(), tracing.String(KeyErrorType, tracing.ErrorType(err)))
	cs.span.RecordError(err)
	cs.span.End()
}

// Response records the response's status, protocol and headers. The span
// goes on until EndBody.
func (cs *ClientSpan) Response(resp *http.Response) {
	if !cs.recording {
		return
	}
	var buf [8]tracing.Attr
	a := append(buf[:0], cs.urlFull(), tracing.Int(KeyStatusCode, resp.StatusCode))
	if v := ProtocolVersion(resp.Proto, resp.ProtoMajor, resp.ProtoMinor); v != "" {
		a = append(a, tracing.String(KeyProtoVersion, v))
	}
	if resp.ContentLength > 0 {
		a = append(a, tracing.Int64(KeyRespBodySize, resp.ContentLength))
	}
	failed := !validStatus(resp.StatusCode) || cs.c.isError(resp.StatusCode)
	if failed {
		a = append(a, tracing.String(KeyErrorType, StatusString(resp.StatusCode)))
	}
	a = HeaderAttrs(a, cs.c.cfg.RespHeaders, resp.Header)
	cs.span.SetAttrs(a...)
	if failed {
		cs.span.SetStatus(tracing.StatusError, "")
	}
}

// EndBody ends the span once the response body has been read to its end
// (err == nil), failed to read (err != nil) or been closed. read is the
// number of body bytes read, recorded as the body size when the response
// did not announce one; pass a negative read if unknown.
func (cs *ClientSpan) EndBody(read int64, contentLength int64, err error) {
	if !cs.recording {
		return
	}
	if contentLength < 0 && read > 0 {
		cs.span.SetAttrs(tracing.Int64(KeyRespBodySize, read))
	}
	if err != nil {
		cs.span.RecordError(err)
	}
	cs.span.End()
}

// End ends the span (responses without a body to wait for).
func (cs *ClientSpan) End() { cs.span.End() }
