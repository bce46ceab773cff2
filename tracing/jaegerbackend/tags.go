package jaegerbackend

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// Tags and log fields the backend writes beyond the mapped attributes
// (see doc.go for the whole mapping; OpenTracing's standard tags come from
// opentracing-go's ext, its log fields from backendkit.OTField*).
const (
	tagStatusCode        = "otel.status_code"
	tagStatusDescription = "otel.status_description"

	eventError      = "error"
	eventLink       = "link"
	fieldLinkTrace  = "link.trace_id"
	fieldLinkSpan   = "link.span_id"
	defaultEventLog = "log"
)

// kindTags are the start tags of each span kind. They are passed to
// jaeger-client-go at start (rather than set afterwards) because it reads
// span.kind=server there to mark the first span of a trace in this process;
// the maps are shared and only ever read.
var kindTags = [...]opentracing.Tags{
	tracing.SpanKindServer:   {string(ext.SpanKind): ext.SpanKindRPCServerEnum},
	tracing.SpanKindClient:   {string(ext.SpanKind): ext.SpanKindRPCClientEnum},
	tracing.SpanKindProducer: {string(ext.SpanKind): ext.SpanKindProducerEnum},
	tracing.SpanKindConsumer: {string(ext.SpanKind): ext.SpanKindConsumerEnum},
}

func startTags(k tracing.SpanKind) opentracing.Tags {
	if int(k) < len(kindTags) {
		return kindTags[k]
	}
	return nil
}

// tagKey maps a facade (OpenTelemetry semantic convention) attribute key
// to the OpenTracing tag Jaeger users expect; other keys are kept.
func tagKey(key string, kind tracing.SpanKind) string {
	switch key {
	case "http.request.method":
		return "http.method"
	case "http.response.status_code":
		return "http.status_code"
	case "url.full", "url.path":
		return "http.url"
	case "db.system.name", "db.system":
		return "db.type"
	case "db.query.text":
		return "db.statement"
	case "db.namespace":
		return "db.instance"
	case "messaging.destination.name":
		return "message_bus.destination"
	case "rpc.system":
		// otgrpc's component=gRPC (see tagValue).
		return "component"
	case "rpc.grpc.status_code":
		// otgrpc's response_code, the code's name (see tagValue).
		return "response_code"
	case "network.peer.address":
		return "peer.address"
	case "network.peer.port":
		return "peer.port"
	case "server.address":
		if kind == tracing.SpanKindClient || kind == tracing.SpanKindProducer {
			return "peer.hostname"
		}
	case "server.port":
		if kind == tracing.SpanKindClient || kind == tracing.SpanKindProducer {
			return "peer.port"
		}
	}
	return key
}

// tagValue converts a value to the Go type jaeger-client-go encodes
// natively (string, bool, int64, float64). Slices, which Jaeger's tags
// cannot hold, become JSON arrays in a string, as OpenTelemetry's Jaeger
// mapping does.
func tagValue(key string, v tracing.Value) any {
	switch v.Kind() {
	case tracing.KindString:
		if key == "url.full" || key == "http.url" {
			return backendkit.StripURL(v.AsString())
		}
		if key == "rpc.system" && v.AsString() == "grpc" {
			return "gRPC"
		}
		return v.AsString()
	case tracing.KindBool:
		return v.AsBool()
	case tracing.KindInt64:
		if key == "rpc.grpc.status_code" {
			return grpcCodeName(v.AsInt64())
		}
		return v.AsInt64()
	case tracing.KindFloat64:
		return v.AsFloat64()
	case tracing.KindEmpty:
		return ""
	}
	return encodeSlice(v)
}

// logField converts an event attribute to a log field of the same type.
func logField(key string, v tracing.Value) log.Field {
	switch v.Kind() {
	case tracing.KindString:
		return log.String(key, v.AsString())
	case tracing.KindBool:
		return log.Bool(key, v.AsBool())
	case tracing.KindInt64:
		return log.Int64(key, v.AsInt64())
	case tracing.KindFloat64:
		return log.Float64(key, v.AsFloat64())
	case tracing.KindEmpty:
		return log.String(key, "")
	}
	return log.String(key, encodeSlice(v))
}

// encodeSlice writes a slice value as a JSON array. NaN and infinities,
// which JSON has no numbers for, are written as the strings "NaN", "+Inf"
// and "-Inf".
func encodeSlice(v tracing.Value) string {
	var x any
	switch v.Kind() {
	case tracing.KindStringSlice:
		x = v.AsStringSlice()
	case tracing.KindBoolSlice:
		x = v.AsBoolSlice()
	case tracing.KindInt64Slice:
		x = v.AsInt64Slice()
	case tracing.KindFloat64Slice:
		fs := v.AsFloat64Slice()
		x = fs
		for _, f := range fs {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				out := make([]any, len(fs))
				for i, f := range fs {
					out[i] = f
					if math.IsNaN(f) || math.IsInf(f, 0) {
						out[i] = tracing.Float64Value(f).String()
					}
				}
				x = out
				break
			}
		}
	default:
		return v.String()
	}
	b, err := json.Marshal(x)
	if err != nil {
		return v.String()
	}
	return string(b)
}

// grpcCodeNames are the names of gRPC's status codes, as codes.Code's
// String method gives them: otgrpc's response_code tag is a codes.Code,
// which jaeger-client-go records as its name.
var grpcCodeNames = [...]string{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}

// grpcCodeName returns the name of gRPC status code c ("Code(42)" for
// codes gRPC does not know, as codes.Code's String method says).
func grpcCodeName(c int64) string {
	if c >= 0 && c < int64(len(grpcCodeNames)) {
		return grpcCodeNames[c]
	}
	return "Code(" + strconv.FormatInt(c, 10) + ")"
}
