// Package jaegertest receives what jaeger-client-go really sends and
// decodes it, for tests of the jaeger backend and of code running over it:
// Agent is a fake jaeger-agent on a loopback UDP port (thrift compact
// emitBatch calls), Collector a fake jaeger-collector HTTP endpoint (thrift
// binary batches). Both decode with jaeger-client-go's own thrift types,
// into its thrift spans or into tracingtest.SpanData.
//
// The decoding into tracingtest.SpanData reverses the backend's mapping
// where it is lossless (span.kind, error and otel.status_* tags, the
// resource.name, service.name and span.type tags, error and link log
// records, FOLLOWS_FROM references) and keeps every other tag and log field
// under the name it was sent with (http.method, not
// http.request.method): it shows what Jaeger stores.
package jaegertest
