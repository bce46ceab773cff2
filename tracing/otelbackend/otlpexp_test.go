package otelbackend

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestResolveOTLPConfig checks the exporter's reading of the environment
// and options against what the OTLP exporters' otlpconfig does with the
// same.
func TestResolveOTLPConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		proto Protocol
		code  string
		want  otlpConfig
	}{
		{"defaults http", nil, ProtocolHTTPProtobuf, "",
			otlpConfig{host: "localhost:4318", urlPath: "/v1/traces", timeout: 10 * time.Second}},
		{"defaults grpc", nil, ProtocolGRPC, "",
			otlpConfig{host: "localhost:4317", urlPath: "/v1/traces", timeout: 10 * time.Second}},
		{"generic endpoint: path joined", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/base"}, ProtocolHTTPProtobuf, "",
			otlpConfig{host: "c:4318", urlPath: "/base/v1/traces", insecure: true, timeout: 10 * time.Second}},
		{"per-signal endpoint: as is", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c:4318"}, ProtocolHTTPProtobuf, "",
			otlpConfig{host: "c:4318", urlPath: "/", timeout: 10 * time.Second}},
		{"insecure overrides the scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4317",
			"OTEL_EXPORTER_OTLP_INSECURE": "true"}, ProtocolGRPC, "",
			otlpConfig{host: "c:4317", urlPath: "/v1/traces", insecure: true, timeout: 10 * time.Second}},
		{"headers, compression, timeout; traces win", map[string]string{
			"OTEL_EXPORTER_OTLP_HEADERS": "a=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "b=2%203",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "250"}, ProtocolHTTPProtobuf, "",
			otlpConfig{host: "localhost:4318", urlPath: "/v1/traces", headers: map[string]string{"b": "2 3"}, gzip: true,
				timeout: 250 * time.Millisecond}},
		{"code endpoint wins", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c:4318/x"}, ProtocolHTTPProtobuf,
			"http://d:9/y", otlpConfig{host: "d:9", urlPath: "/y", insecure: true, timeout: 10 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tracingtest.IsolateEnv(t, tc.env)
			got := resolveOTLPConfig(tc.proto, tc.code, nil)
			tc.want.proto = tc.proto
			if got.host != tc.want.host || got.urlPath != tc.want.urlPath || got.insecure != tc.want.insecure ||
				got.gzip != tc.want.gzip || got.timeout != tc.want.timeout || len(got.headers) != len(tc.want.headers) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			for k, v := range tc.want.headers {
				if got.headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, got.headers[k], v)
				}
			}
		})
	}
}

// testReceiver answers every export, over HTTP and gRPC, with what answer
// says for the HTTP status, header and body, or the gRPC error.
type testReceiver struct {
	http     *httptest.Server
	grpc     *grpc.Server
	grpcAddr string
	attempts atomic.Int32
	coltracepb.UnimplementedTraceServiceServer
	answer func(ctx context.Context, w http.ResponseWriter) error
}

func startTestReceiver(t *testing.T, answer func(ctx context.Context, w http.ResponseWriter) error) *testReceiver {
	t.Helper()
	r := &testReceiver{answer: answer}
	r.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.attempts.Add(1)
		io.Copy(io.Discard, req.Body) // then the request's context ends with the connection
		if err := r.answer(req.Context(), w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.http.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.grpc = grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(r.grpc, r)
	go r.grpc.Serve(l)
	t.Cleanup(r.grpc.Stop)
	r.grpcAddr = l.Addr().String()
	return r
}

func (r *testReceiver) Export(ctx context.Context, _ *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.attempts.Add(1)
	if err := r.answer(ctx, nil); err != nil {
		return nil, err
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// exporter returns an exporter of proto to r.
func (r *testReceiver) exporter(t *testing.T, proto Protocol) *otlpExporter {
	t.Helper()
	c := otlpConfig{proto: proto, host: strings.TrimPrefix(r.http.URL, "http://"), urlPath: "/v1/traces", insecure: true,
		timeout: 10 * time.Second}
	if proto == ProtocolGRPC {
		c.host = r.grpcAddr
	}
	e, err := newOTLPExporter(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	return e
}

// TestOTLPHugeRetryDelay: a Retry-After (HTTP) or RetryInfo (gRPC) of
// centuries ends the retries at once ("would elapse"), as any delay past
// the retries' minute does; it used to overflow and be waited for.
func TestOTLPHugeRetryDelay(t *testing.T) {
	r := startTestReceiver(t, func(_ context.Context, w http.ResponseWriter) error {
		if w != nil {
			w.Header().Set("Retry-After", "9223372036854775807")
			w.WriteHeader(http.StatusServiceUnavailable)
			return nil
		}
		st, _ := status.New(codes.ResourceExhausted, "busy").WithDetails(&errdetails.RetryInfo{
			RetryDelay: durationpb.New(time.Duration(1<<63 - 1))})
		return st.Err()
	})
	spans := encodeSpans(t, false)
	for _, proto := range []Protocol{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			err := r.exporter(t, proto).ExportSpans(ctx, spans)
			if err == nil || !strings.Contains(err.Error(), "max retry time would elapse") {
				t.Fatalf("ExportSpans: %v", err)
			}
		})
	}
}

// TestOTLPBackoffCancelled: the context ends during the wait between two
// attempts; the export returns at once, with the context's error.
func TestOTLPBackoffCancelled(t *testing.T) {
	tried := make(chan struct{}, 10)
	r := startTestReceiver(t, func(_ context.Context, w http.ResponseWriter) error {
		tried <- struct{}{}
		if w != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return nil
		}
		return status.Error(codes.Unavailable, "down")
	})
	spans := encodeSpans(t, false)
	for _, proto := range []Protocol{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-tried; time.Sleep(50 * time.Millisecond); cancel() }()
			start := time.Now()
			err := r.exporter(t, proto).ExportSpans(ctx, spans)
			if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
				t.Fatalf("ExportSpans: %v after %v", err, time.Since(start))
			}
		})
	}
}

// TestOTLPShutdownDuringExport: Shutdown ends an export the receiver
// holds, and returns by its context.
func TestOTLPShutdownDuringExport(t *testing.T) {
	held := make(chan struct{}, 10)
	r := startTestReceiver(t, func(ctx context.Context, _ http.ResponseWriter) error {
		held <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	spans := encodeSpans(t, false)
	for _, proto := range []Protocol{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			e := r.exporter(t, proto)
			done := make(chan error, 1)
			go func() { done <- e.ExportSpans(context.Background(), spans) }()
			<-held
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := e.Shutdown(ctx); err != nil {
				t.Fatal("Shutdown:", err)
			}
			if err := <-done; err == nil {
				t.Fatal("the export ended by Shutdown succeeded")
			}
			if err := e.ExportSpans(context.Background(), spans); err == nil {
				t.Fatal("export after Shutdown succeeded")
			}
		})
	}
}

// TestOTLPHugeResponse: an answer's body is read up to a bound, past
// which the export fails, as otlptracehttp's does.
func TestOTLPHugeResponse(t *testing.T) {
	for _, code := range []int{http.StatusOK, http.StatusBadRequest} {
		r := startTestReceiver(t, func(_ context.Context, w http.ResponseWriter) error {
			if w == nil {
				return nil
			}
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(code)
			chunk := make([]byte, 1<<20)
			for range 8 {
				if _, err := w.Write(chunk); err != nil {
					break
				}
			}
			return nil
		})
		err := r.exporter(t, ProtocolHTTPProtobuf).ExportSpans(context.Background(), encodeSpans(t, false))
		if err == nil || !strings.Contains(err.Error(), "response body too large") {
			t.Errorf("status %d: %v", code, err)
		}
	}
}

// TestOTLPRequestTooLarge: a batch over the request size limit is not
// sent, and its spans count as dropped for their size (the batcher's
// tooLarge), not as a failed export.
func TestOTLPRequestTooLarge(t *testing.T) {
	r := startTestReceiver(t, func(context.Context, http.ResponseWriter) error { return nil })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	_, sp := tp.Tracer("t").Start(context.Background(), "big")
	sp.SetAttributes(attribute.String("body", strings.Repeat("x", 2000)))
	sp.End()
	for _, proto := range []Protocol{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			e := r.exporter(t, proto)
			e.cfg.maxRequest = 1000
			err := e.ExportSpans(context.Background(), rec.Ended())
			if err == nil || !tooLarge(err) || r.attempts.Load() != 0 {
				t.Fatalf("ExportSpans: %v (tooLarge %v), %d requests", err, err != nil && tooLarge(err), r.attempts.Load())
			}
		})
	}
}

// TestOTLPInvalidUTF8: the exporter fails a batch with a string that is
// not UTF-8 with otlptracehttp's error, and sends nothing.
func TestOTLPInvalidUTF8(t *testing.T) {
	r := startTestReceiver(t, func(context.Context, http.ResponseWriter) error { return nil })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	_, sp := tp.Tracer("t").Start(context.Background(), "op\xff")
	sp.End()
	for i, proto := range []Protocol{ProtocolHTTPProtobuf, ProtocolGRPC} {
		t.Run(string(proto), func(t *testing.T) {
			// The gRPC server decodes the request, checking UTF-8, and
			// would answer an error for an invalid string.
			if err := r.exporter(t, proto).ExportSpans(context.Background(), rec.Ended()); err != nil || r.attempts.Load() != int32(i+1) {
				t.Fatalf("ExportSpans: %v, %d requests", err, r.attempts.Load())
			}
		})
	}
}
