package otelbackend

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // the "gzip" compressor for OTEL_EXPORTER_OTLP_COMPRESSION=gzip
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// otlpExporter is the backend's OTLP exporter, over HTTP (protobuf) or
// gRPC: what go.opentelemetry.io/otel's otlptracehttp and otlptracegrpc
// do — the same environment variables and options, the same requests,
// retries (429, 502, 503, 504 and their gRPC counterparts, with an
// exponential backoff and Retry-After or RetryInfo, for at most a minute)
// and errors — but the spans are encoded by otlpEncoder straight into a
// buffer that every export reuses, instead of a message tree per batch
// (see otlpEncoder). Over gRPC, the pre-encoded request goes through a
// codec that hands gRPC the bytes as they are.
type otlpExporter struct {
	cfg otlpConfig

	mu      sync.Mutex // one export at a time: they share the buffers
	enc     otlpEncoder
	gz      *gzip.Writer
	gzBuf   bytes.Buffer
	pending atomic.Int32 // HTTP request bodies not yet closed by the transport

	http *http.Client
	conn *grpc.ClientConn

	life context.Context // cancelled by Shutdown: ends the exports under way
	stop context.CancelFunc
}

// otlpConfig is the exporter's configuration, resolved as the OTLP
// exporters resolve theirs (otlpconfig): defaults, then
// OTEL_EXPORTER_OTLP_*, then OTEL_EXPORTER_OTLP_TRACES_*, then options in
// code.
type otlpConfig struct {
	proto    Protocol
	host     string // host:port (gRPC: the target)
	urlPath  string // HTTP
	insecure bool
	tls      *tls.Config // from the certificate variables, nil if none
	headers  map[string]string
	gzip     bool
	timeout  time.Duration
	// maxRequest is the largest request body sent; 0 means
	// otlpMaxRequestSize, the exporters' default.
	maxRequest int
}

const (
	otlpDefaultTimeout      = 10 * time.Second
	otlpMaxRequestSize      = 64 << 20 // the exporters' default limit
	otlpMaxResponseSize     = 4 << 20
	otlpRetryInitial        = 5 * time.Second
	otlpRetryMaxInterval    = 30 * time.Second
	otlpRetryMaxElapsedTime = time.Minute
	otlpExportMethod        = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
)

// resolveOTLPConfig resolves the configuration for proto, with code's
// endpoint URL (or "") and headers (nil: the environment's).
func resolveOTLPConfig(proto Protocol, codeEndpoint string, headers map[string]string) otlpConfig {
	c := otlpConfig{proto: proto, host: "localhost:4318", urlPath: "/v1/traces", timeout: otlpDefaultTimeout}
	if proto == ProtocolGRPC {
		c.host = "localhost:4317"
	}
	get := func(name string) (string, bool) {
		v, ok := backendkit.LookupEnv(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	endpoint := func(name string, perSignal bool) {
		v, ok := get(name)
		if !ok {
			return
		}
		u, err := url.Parse(v)
		if err != nil {
			return
		}
		c.insecure = strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "unix")
		c.host = u.Host
		switch {
		case proto == ProtocolGRPC:
		case perSignal:
			c.urlPath = u.Path
			if c.urlPath == "" {
				c.urlPath = "/"
			}
		default:
			c.urlPath = path.Join(u.Path, "/v1/traces")
		}
	}
	endpoint(envOTLPPrefix+"ENDPOINT", false)
	endpoint(envOTLPTracesPrefix+"ENDPOINT", true)

	var tc tls.Config
	for _, prefix := range []string{envOTLPPrefix, envOTLPTracesPrefix} {
		if f, ok := get(prefix + "CERTIFICATE"); ok {
			if pem, err := os.ReadFile(f); err == nil {
				pool := x509.NewCertPool()
				if pool.AppendCertsFromPEM(pem) {
					tc.RootCAs = pool
				}
			}
		}
		cf, okc := get(prefix + "CLIENT_CERTIFICATE")
		kf, okk := get(prefix + "CLIENT_KEY")
		if okc && okk {
			cert, err1 := os.ReadFile(cf)
			key, err2 := os.ReadFile(kf)
			if err1 == nil && err2 == nil {
				if crt, err := tls.X509KeyPair(cert, key); err == nil {
					tc.Certificates = []tls.Certificate{crt}
				}
			}
		}
	}
	if tc.RootCAs != nil || len(tc.Certificates) > 0 {
		c.tls = &tc
	}
	for _, prefix := range []string{envOTLPPrefix, envOTLPTracesPrefix} {
		if v, ok := get(prefix + "INSECURE"); ok {
			c.insecure = strings.EqualFold(v, "true")
		}
	}
	for _, prefix := range []string{envOTLPPrefix, envOTLPTracesPrefix} {
		if v, ok := get(prefix + "HEADERS"); ok {
			c.headers, _ = parseHeaders(prefix+"HEADERS", v)
		}
		if v, ok := get(prefix + "COMPRESSION"); ok {
			c.gzip = v == "gzip"
		}
		if v, ok := get(prefix + "TIMEOUT"); ok {
			if ms, err := strconv.Atoi(v); err == nil {
				c.timeout = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if codeEndpoint != "" {
		if u, err := url.Parse(codeEndpoint); err == nil {
			c.host = u.Host
			c.urlPath = u.Path
			if c.urlPath == "" {
				c.urlPath = "/"
			}
			c.insecure = u.Scheme != "https"
		}
	}
	if headers != nil {
		c.headers = headers
	}
	if p := strings.TrimSpace(c.urlPath); p == "" || p == "." {
		c.urlPath = "/v1/traces"
	} else if !path.IsAbs(p) {
		c.urlPath = "/" + p
	}
	return c
}

// userAgent is the OTLP exporters' User-Agent.
var userAgent = "OTel OTLP Exporter Go/" + otlptrace.Version()

var errInsecureWithTLS = errors.New("insecure HTTP endpoint cannot use TLS client configuration")

func newOTLPExporter(c otlpConfig) (*otlpExporter, error) {
	if c.maxRequest <= 0 {
		c.maxRequest = otlpMaxRequestSize
	}
	e := &otlpExporter{cfg: c}
	e.life, e.stop = context.WithCancel(context.Background())
	if c.proto == ProtocolGRPC {
		opts := []grpc.DialOption{grpc.WithUserAgent(userAgent)}
		switch {
		case c.tls != nil:
			opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(c.tls)))
		case c.insecure:
			opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
		default:
			opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(nil)))
		}
		if c.gzip {
			opts = append(opts, grpc.WithDefaultCallOptions(grpc.UseCompressor("gzip")))
		}
		conn, err := grpc.NewClient(c.host, opts...)
		if err != nil {
			e.stop()
			return nil, err
		}
		e.conn = conn
		return e, nil
	}
	if c.insecure && c.tls != nil {
		e.stop()
		return nil, errInsecureWithTLS
	}
	t := otlpTransport
	if c.tls != nil {
		t = t.Clone()
		t.TLSClientConfig = c.tls.Clone()
	}
	e.http = &http.Client{Transport: t, Timeout: c.timeout}
	return e, nil
}

// otlpTransport is the OTLP/HTTP exporter's transport: otlptracehttp's.
var otlpTransport = &http.Transport{
	Proxy: http.ProxyFromEnvironment,
	DialContext: (&net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          100,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ExpectContinueTimeout: 1 * time.Second,
}

// ExportSpans implements sdktrace.SpanExporter.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.life.Err() != nil {
		return errors.New("traces export: the exporter is shut down")
	}
	if e.pending.Load() > 0 {
		// The transport still holds a body of an earlier export (it may
		// close it after the answer came): the next one gets buffers of
		// its own.
		e.enc.b, e.gzBuf = nil, bytes.Buffer{}
	}
	body := e.enc.encode(spans)
	if len(body) > e.cfg.maxRequest {
		// "larger than max": the spans count as dropped for their size
		// (as for a receiver's 413 or gRPC's ResourceExhausted).
		return fmt.Errorf("traces export: request body too large: %d bytes, larger than max %d", len(body), e.cfg.maxRequest)
	}
	var err error
	if e.conn != nil {
		err = e.exportGRPC(ctx, body)
	} else {
		err = e.exportHTTP(ctx, body)
	}
	if err != nil {
		return fmt.Errorf("traces export: %w", err)
	}
	return nil
}

// Shutdown implements sdktrace.SpanExporter.
func (e *otlpExporter) Shutdown(ctx context.Context) error {
	e.stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		err := e.conn.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if t, ok := e.http.Transport.(*http.Transport); ok && t != otlpTransport {
		t.CloseIdleConnections()
	}
	return ctx.Err()
}

// withStop returns ctx, cancelled as well when the exporter shuts down.
func (e *otlpExporter) withStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(e.life, cancel)
	return ctx, func() { stop(); cancel() }
}

// retryable is an error that the exporter retries after throttle (0: the
// backoff decides).
type retryable struct {
	err      error
	throttle time.Duration
}

func (r retryable) Error() string {
	if r.err != nil {
		return "retry-able request failure: " + r.err.Error()
	}
	return "retry-able request failure"
}

func (r retryable) Unwrap() error { return r.err }

// retry runs attempt until it succeeds, fails for good, or the backoff's
// minute is over, as the OTLP exporters' retry package does.
func retry(ctx context.Context, attempt func(context.Context) error, evaluate func(error) (bool, time.Duration)) error {
	// The exporters' backoff (cenkalti/backoff's defaults): 5 s, growing
	// by half each time up to 30 s, each delay drawn within ±50%.
	interval := otlpRetryInitial
	next := func() time.Duration {
		d := time.Duration(float64(interval) * (0.5 + rand.Float64()))
		interval = min(time.Duration(float64(interval)*1.5), otlpRetryMaxInterval)
		return d
	}
	start := time.Now()
	for {
		err := attempt(ctx)
		if err == nil {
			return nil
		}
		ok, throttle := evaluate(err)
		if !ok {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		elapsed := time.Since(start)
		if elapsed > otlpRetryMaxElapsedTime {
			return fmt.Errorf("max retry time elapsed: %w", err)
		}
		delay := max(throttle, next())
		// Not elapsed+throttle > max: a Retry-After (or RetryInfo) of
		// years would overflow the sum, and be waited for.
		if throttle > otlpRetryMaxElapsedTime-elapsed {
			return fmt.Errorf("max retry time would elapse: %w", err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", context.Cause(ctx), err)
		case <-t.C:
		}
	}
}

// body is an HTTP request body over the encoded request, which tells the
// exporter when the transport has closed it (see RoundTripper's contract:
// it may close the body after RoundTrip returned).
type body struct {
	bytes.Reader
	e      *otlpExporter
	closed atomic.Bool
}

func (b *body) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.e.pending.Add(-1)
	}
	return nil
}

func (e *otlpExporter) newBody(data []byte) io.ReadCloser {
	e.pending.Add(1)
	b := &body{e: e}
	b.Reset(data)
	return b
}

func (e *otlpExporter) exportHTTP(ctx context.Context, data []byte) error {
	ctx, cancel := e.withStop(ctx)
	defer cancel()
	u := url.URL{Scheme: "https", Host: e.cfg.host, Path: e.cfg.urlPath}
	if e.cfg.insecure {
		u.Scheme = "http"
	}
	if e.cfg.gzip {
		if e.gz == nil {
			e.gz = gzip.NewWriter(&e.gzBuf)
		}
		e.gzBuf.Reset()
		e.gz.Reset(&e.gzBuf)
		if _, err := e.gz.Write(data); err != nil {
			return err
		}
		if err := e.gz.Close(); err != nil {
			return err
		}
		data = e.gzBuf.Bytes()
	}
	return retry(ctx, func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", userAgent)
		for k, v := range e.cfg.headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Body = e.newBody(data)
		req.GetBody = func() (io.ReadCloser, error) { return e.newBody(data), nil }
		if e.cfg.gzip {
			req.ContentLength = -1
			req.Header.Set("Content-Encoding", "gzip")
		} else {
			req.ContentLength = int64(len(data))
		}
		resp, err := e.http.Do(req)
		var urlErr *url.Error
		if errors.As(err, &urlErr) && urlErr.Temporary() {
			return retryable{err: err}
		}
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, io.LimitReader(resp.Body, otlpMaxResponseSize)); err != nil {
			return err
		}
		if n, _ := resp.Body.Read(make([]byte, 1)); n > 0 {
			return fmt.Errorf("response body too large: exceeded %d bytes", otlpMaxResponseSize)
		}
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			if buf.Len() == 0 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
				return nil
			}
			var r coltracepb.ExportTraceServiceResponse
			if err := proto.Unmarshal(buf.Bytes(), &r); err != nil {
				return err
			}
			return partialSuccess(&r)
		}
		msg := strings.TrimSpace(buf.String())
		if msg == "" {
			msg = "(empty)"
		}
		bodyErr := fmt.Errorf("body: %s", msg)
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			r := retryable{err: bodyErr}
			if v := resp.Header.Get("Retry-After"); v != "" {
				r.throttle = retryAfter(v)
			}
			return r
		}
		return fmt.Errorf("failed to send to %s: %s (%w)", u.String(), resp.Status, bodyErr)
	}, func(err error) (bool, time.Duration) {
		r, ok := err.(retryable) //nolint:errorlint // one layer, as the exporters look
		return ok, r.throttle
	})
}

func retryAfter(v string) time.Duration {
	if t, err := strconv.ParseInt(v, 10, 64); err == nil && t >= 0 {
		if t > int64(1<<63-1)/int64(time.Second) {
			return time.Duration(1<<63 - 1)
		}
		return time.Duration(t) * time.Second
	}
	if date, err := http.ParseTime(v); err == nil {
		return max(time.Until(date), 0)
	}
	return 0
}

// partialSuccess returns the error of a partial success answer, nil for a
// full success (the exporters return it, as the export's error): a
// *partialError, which the batching processor counts as what it says
// (the rejected spans dropped, the others exported).
func partialSuccess(r *coltracepb.ExportTraceServiceResponse) error {
	ps := r.GetPartialSuccess()
	if ps == nil || (ps.GetRejectedSpans() == 0 && ps.GetErrorMessage() == "") {
		return nil
	}
	return &partialError{rejected: ps.GetRejectedSpans(), msg: ps.GetErrorMessage()}
}

// partialError is a receiver's partial success answer: it took the
// request but rejected some of its spans (none, with only a warning in
// the message).
type partialError struct {
	rejected int64
	msg      string
}

func (e *partialError) Error() string {
	return fmt.Sprintf("OTLP partial success: %s (%d spans rejected)", e.msg, e.rejected)
}

// rawRequest is an encoded ExportTraceServiceRequest; rawCodec hands it
// to gRPC as it is.
type rawRequest struct{ data []byte }

// rawCodec is the gRPC codec of the exporter's calls: it sends a
// rawRequest's bytes (copied into a buffer of gRPC's pool, which gRPC
// releases once they are on the wire) and decodes the answer as protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	r, ok := v.(*rawRequest)
	if !ok {
		return nil, fmt.Errorf("otelbackend: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.Copy(r.data, mem.DefaultBufferPool())}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("otelbackend: cannot unmarshal into %T", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

// Name is "proto": the content subtype the collectors expect.
func (rawCodec) Name() string { return "proto" }

var _ encoding.CodecV2 = rawCodec{}

func (e *otlpExporter) exportGRPC(ctx context.Context, data []byte) error {
	var cancel context.CancelFunc
	if e.cfg.timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, e.cfg.timeout, errors.New("exporter export timeout"))
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	ctx, stopCancel := e.withStop(ctx)
	defer stopCancel()
	if len(e.cfg.headers) > 0 {
		md := metadata.New(e.cfg.headers)
		if out, ok := metadata.FromOutgoingContext(ctx); ok {
			md = metadata.Join(md, out)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	req := &rawRequest{data: data}
	return retry(ctx, func(ctx context.Context) error {
		var resp coltracepb.ExportTraceServiceResponse
		err := e.conn.Invoke(ctx, otlpExportMethod, req, &resp, grpc.ForceCodecV2(rawCodec{}))
		if status.Code(err) == codes.OK {
			return partialSuccess(&resp)
		}
		return err // (a failed call has no answer to read)
	}, func(err error) (bool, time.Duration) {
		s := status.Convert(err)
		switch s.Code() {
		case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
			_, d := throttleDelay(s)
			return true, d
		case codes.ResourceExhausted:
			return throttleDelay(s)
		}
		return false, 0
	})
}

func throttleDelay(s *status.Status) (bool, time.Duration) {
	for _, d := range s.Details() {
		if t, ok := d.(*errdetails.RetryInfo); ok {
			return true, t.RetryDelay.AsDuration()
		}
	}
	return false, 0
}
