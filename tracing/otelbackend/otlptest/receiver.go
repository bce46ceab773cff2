// Package otlptest is an in-process OTLP trace receiver for tests: it
// listens on loopback for OTLP/HTTP (protobuf, optionally gzip) and
// OTLP/gRPC, decodes the real protobuf requests, and converts the spans
// into tracingtest.SpanData. It can misbehave as a tracingtest.Fault says
// (tracingtest also has the collector that is down, RefusedURL, and the
// one that never answers, Blackhole).
package otlptest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Span is one exported span with the resource and scope it was sent under.
type Span struct {
	Resource *resourcepb.Resource
	Scope    *commonpb.InstrumentationScope
	Span     *tracepb.Span
}

// ResourceAttr returns a resource attribute as a string ("" if absent).
func (s Span) ResourceAttr(key string) string {
	for _, kv := range s.Resource.GetAttributes() {
		if kv.GetKey() == key {
			return value(kv.GetValue()).String()
		}
	}
	return ""
}

// Receiver is an OTLP trace receiver on loopback.
type Receiver struct {
	// HTTPURL is the OTLP/HTTP traces URL ("http://127.0.0.1:port/v1/traces").
	HTTPURL string
	// GRPCURL is the OTLP/gRPC endpoint ("http://127.0.0.1:port").
	GRPCURL string

	mu      sync.Mutex
	spans   []Span
	headers []map[string][]string // per request: HTTP headers or gRPC metadata
	paths   []string
	changes tracingtest.Changes // of spans

	grpcCompression []string

	gate tracingtest.FaultGate

	httpSrv *http.Server
	grpcSrv *grpc.Server
	wg      sync.WaitGroup
}

// Start starts a receiver; it stops when the test ends.
func Start(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.HTTPURL = "http://" + hl.Addr().String() + "/v1/traces"
	r.GRPCURL = "http://" + gl.Addr().String()
	r.httpSrv = &http.Server{Handler: http.HandlerFunc(r.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	r.grpcSrv = grpc.NewServer(grpc.StatsHandler(compressionRecorder{r}))
	coltracepb.RegisterTraceServiceServer(r.grpcSrv, &grpcService{r: r})
	r.wg.Go(func() { _ = r.httpSrv.Serve(hl) })
	r.wg.Go(func() { _ = r.grpcSrv.Serve(gl) })
	t.Cleanup(r.Close)
	return r
}

// Close stops the receiver.
func (r *Receiver) Close() {
	r.gate.Close() // held requests are let go
	// Close, not Shutdown: Shutdown leaves a connection that was opened
	// but never carried a request (an exporter's dial finishing after
	// its export was cancelled) open for five seconds, and its goroutine
	// (and the client's) would outlive the test.
	_ = r.httpSrv.Close()
	r.grpcSrv.Stop()
	r.wg.Wait()
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	f := r.gate.Arrive(req.Context())
	if f.Status != 0 {
		_, _ = io.Copy(io.Discard, req.Body)
	}
	if f.WriteHTTP(w, "otlptest: fault injected") || req.Context().Err() != nil {
		return
	}
	if req.Method != http.MethodPost {
		http.Error(w, "want POST", http.StatusMethodNotAllowed)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "want application/x-protobuf, got "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var er coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &er); err != nil {
		http.Error(w, "not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.record(&er, req.Header.Clone(), req.URL.Path)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// compressionRecorder records the compression of incoming gRPC requests,
// which gRPC does not show in the metadata.
type compressionRecorder struct{ r *Receiver }

func (c compressionRecorder) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return ctx
}
func (c compressionRecorder) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (c compressionRecorder) HandleConn(context.Context, stats.ConnStats) {}
func (c compressionRecorder) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		c.r.mu.Lock()
		c.r.grpcCompression = append(c.r.grpcCompression, h.Compression)
		c.r.mu.Unlock()
	}
}

// GRPCCompressions returns the compression of each gRPC request received
// ("" for none).
func (r *Receiver) GRPCCompressions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.grpcCompression...)
}

type grpcService struct {
	coltracepb.UnimplementedTraceServiceServer
	r *Receiver
}

func (g *grpcService) Export(ctx context.Context, er *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if f := g.r.gate.Arrive(ctx); f.Status != 0 {
		return nil, grpcStatus(f.Status)
	} else if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	g.r.record(er, map[string][]string(md.Copy()), "grpc")
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func (r *Receiver) record(er *coltracepb.ExportTraceServiceRequest, h map[string][]string, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range er.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, Span{Resource: rs.GetResource(), Scope: ss.GetScope(), Span: s})
			}
		}
	}
	r.headers = append(r.headers, h)
	r.paths = append(r.paths, path)
	r.changes.Notify()
}

// Fault describes how a Receiver misbehaves. Its Status answers OTLP/gRPC
// exports with the gRPC code the OTLP specification pairs with the HTTP
// status (429: ResourceExhausted, 502, 503, 504: Unavailable, other 5xx:
// Internal, 4xx: InvalidArgument).
type Fault = tracingtest.Fault

// SetFault makes the receiver answer the export requests that arrive from
// now on as f says.
func (r *Receiver) SetFault(f Fault) { r.gate.SetFault(f) }

func grpcStatus(httpStatus int) error {
	c := codes.Internal
	switch {
	case httpStatus == http.StatusTooManyRequests:
		c = codes.ResourceExhausted
	case httpStatus == http.StatusBadGateway || httpStatus == http.StatusServiceUnavailable || httpStatus == http.StatusGatewayTimeout:
		c = codes.Unavailable
	case httpStatus < 500:
		c = codes.InvalidArgument
	}
	return status.Error(c, "otlptest: fault injected")
}

// Attempts returns how many export requests arrived so far, whether
// they were answered, failed or are still held.
func (r *Receiver) Attempts() int { return r.gate.Attempts() }

// WaitAttempts waits until at least n export requests have arrived, or
// until timeout, and reports whether they did.
func (r *Receiver) WaitAttempts(n int, timeout time.Duration) bool {
	return r.gate.WaitAttempts(n, timeout)
}

// Raw returns the spans received so far, waiting up to five seconds until
// there are at least want.
func (r *Receiver) Raw(want int) []Span {
	r.changes.WaitUntil(5*time.Second, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.spans) >= want
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Spans returns the spans received so far as tracingtest.SpanData, waiting
// up to five seconds until there are at least want.
func (r *Receiver) Spans(t testing.TB, want int) []tracingtest.SpanData {
	t.Helper()
	var out []tracingtest.SpanData
	for _, s := range r.Raw(want) {
		out = append(out, Decode(t, s.Span))
	}
	return out
}

// Requests returns the headers (or gRPC metadata, lower-case keys) and the
// URL paths ("grpc" for gRPC) of the export requests received so far.
func (r *Receiver) Requests() (headers []map[string][]string, paths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string][]string(nil), r.headers...), append([]string(nil), r.paths...)
}

// Decode converts an OTLP span.
func Decode(t testing.TB, s *tracepb.Span) tracingtest.SpanData {
	t.Helper()
	d := tracingtest.SpanData{
		Name:      s.GetName(),
		Sampled:   s.GetFlags()&1 != 0,
		Start:     time.Unix(0, int64(s.GetStartTimeUnixNano())),
		End:       time.Unix(0, int64(s.GetEndTimeUnixNano())),
		Attrs:     attrs(s.GetAttributes()),
		StatusMsg: s.GetStatus().GetMessage(),
	}
	copyID(t, d.TraceID[:], s.GetTraceId(), "trace id", false)
	copyID(t, d.SpanID[:], s.GetSpanId(), "span id", false)
	copyID(t, d.ParentID[:], s.GetParentSpanId(), "parent span id", true)
	switch s.GetKind() {
	case tracepb.Span_SPAN_KIND_SERVER:
		d.Kind = tracing.SpanKindServer
	case tracepb.Span_SPAN_KIND_CLIENT:
		d.Kind = tracing.SpanKindClient
	case tracepb.Span_SPAN_KIND_PRODUCER:
		d.Kind = tracing.SpanKindProducer
	case tracepb.Span_SPAN_KIND_CONSUMER:
		d.Kind = tracing.SpanKindConsumer
	default:
		d.Kind = tracing.SpanKindInternal
	}
	switch s.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_ERROR:
		d.Status = tracing.StatusError
	case tracepb.Status_STATUS_CODE_OK:
		d.Status = tracing.StatusOK
	}
	for _, e := range s.GetEvents() {
		d.Events = append(d.Events, tracingtest.Event{
			Name: e.GetName(), Time: time.Unix(0, int64(e.GetTimeUnixNano())), Attrs: attrs(e.GetAttributes()),
		})
	}
	for _, l := range s.GetLinks() {
		var link tracingtest.Link
		copyID(t, link.TraceID[:], l.GetTraceId(), "link trace id", false)
		copyID(t, link.SpanID[:], l.GetSpanId(), "link span id", false)
		link.Attrs = attrs(l.GetAttributes())
		d.Links = append(d.Links, link)
	}
	d.Resource = d.AttrString(tracing.KeyResource)
	d.Service = d.AttrString(tracing.KeyService)
	d.Type = d.AttrString(tracing.KeySpanType)
	d.ErrorFromExceptionEvent()
	return d
}

func copyID(t testing.TB, dst, src []byte, what string, optional bool) {
	t.Helper()
	if optional && len(src) == 0 {
		return
	}
	if len(src) != len(dst) {
		t.Errorf("OTLP %s %s has %d bytes, want %d", what, hex.EncodeToString(src), len(src), len(dst))
		return
	}
	copy(dst, src)
}

func attrs(kvs []*commonpb.KeyValue) []tracing.Attr {
	var out []tracing.Attr
	for _, kv := range kvs {
		out = append(out, tracing.Attr{Key: kv.GetKey(), Value: value(kv.GetValue())})
	}
	return out
}

// value converts an OTLP AnyValue; arrays become typed slices after their
// first element's type.
func value(v *commonpb.AnyValue) tracing.Value {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return tracing.StringValue(x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		return tracing.BoolValue(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return tracing.Int64Value(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return tracing.Float64Value(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return tracing.StringValue(string(x.BytesValue))
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		if len(vals) == 0 {
			return tracing.StringSliceValue(nil)
		}
		switch vals[0].GetValue().(type) {
		case *commonpb.AnyValue_BoolValue:
			out := make([]bool, len(vals))
			for i, e := range vals {
				out[i] = e.GetBoolValue()
			}
			return tracing.BoolSliceValue(out)
		case *commonpb.AnyValue_IntValue:
			out := make([]int64, len(vals))
			for i, e := range vals {
				out[i] = e.GetIntValue()
			}
			return tracing.Int64SliceValue(out)
		case *commonpb.AnyValue_DoubleValue:
			out := make([]float64, len(vals))
			for i, e := range vals {
				out[i] = e.GetDoubleValue()
			}
			return tracing.Float64SliceValue(out)
		default:
			out := make([]string, len(vals))
			for i, e := range vals {
				out[i] = e.GetStringValue()
			}
			return tracing.StringSliceValue(out)
		}
	}
	return tracing.Value{}
}
