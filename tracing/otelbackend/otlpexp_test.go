package otelbackend

import (
	"testing"
	"time"

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
