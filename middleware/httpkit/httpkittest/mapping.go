package httpkittest

import (
	"net"
	"net/url"
	"strconv"

	"github.com/polytrace/polytrace/tracing"
)

// Mapping is how a backend records what the middleware sets, as read back
// through the backend's own decoder: the semantic mapping of DESIGN.md §4
// (and of each backend's package documentation), written out as
// expectations. The zero Mapping is the identity: the recorder, the
// console and the OpenTelemetry backend keep the facade's OpenTelemetry
// keys, values and names.
type Mapping struct {
	// Common, Server and Client map a facade attribute key to where the
	// backend records it; Server and Client (by span kind) are looked up
	// before Common. A key in none of them is recorded as it is.
	Common, Server, Client map[string]Rule

	// Operation is the vendor's operation name of HTTP server and client
	// spans ("" when the backend has no such notion: the operation is the
	// span's name). On such backends the facade's span name is not
	// recorded at all: the decoded name of an HTTP or database span is
	// its resource.
	Operation string
	// DBOperation is the operation name of database client spans, from
	// the database system ("" as for Operation).
	DBOperation func(system string) string

	// ExportsUnsampled says that spans of traces sampled out by their
	// caller still reach the backend's receiver, marked not sampled:
	// Datadog's tracer sends them with sampling priority 0 (AUTO_REJECT)
	// and the agent drops them, unless the agent lets the tracer drop
	// them itself (client_drop_p0s).
	ExportsUnsampled bool

	// TraceID formats a trace id as the backend's tracing.IDFormatter
	// does (WithTraceIDResponseHeader); nil means the W3C hex form.
	TraceID func(tracing.TraceID) string

	// NoRandomFlag says the trace context the backend sends on cannot
	// carry the W3C Level 2 random flag (B3). Every backend draws its
	// trace ids at random and sets the flag on the traces it starts, as
	// Level 2 says it should.
	NoRandomFlag bool

	// Inject names the trace context format the backend sends on: ""
	// for W3C traceparent, "b3" for the single B3 header, "b3multi" for
	// the X-B3-* headers.
	Inject string

	// TracestateKey is the tracestate member the backend writes itself
	// (Datadog: "dd"), leftmost, as W3C Trace Context lets a vendor do.
	TracestateKey string
}

// Rule says where a backend records one facade attribute.
type Rule struct {
	// Key is the attribute the value is recorded under ("" when the value
	// is the span's resource: see Resource).
	Key string
	// Value converts the facade's value into the one recorded; nil keeps
	// it (it is then compared with the harness's ValueEqual, which
	// accepts the backend's documented type mapping).
	Value func(tracing.Value) tracing.Value
	// Part, when set, says the value is one component of the composite
	// string recorded under Key, and extracts that component from it
	// (false if it has none).
	Part func(recorded string) (string, bool)
	// Resource says the value is the span's resource, not an attribute.
	Resource bool
}

// Rule returns the rule for key on a span of kind k.
func (m Mapping) Rule(k tracing.SpanKind, key string) Rule {
	switch k {
	case tracing.SpanKindServer:
		if r, ok := m.Server[key]; ok {
			return r
		}
	case tracing.SpanKindClient:
		if r, ok := m.Client[key]; ok {
			return r
		}
	}
	if r, ok := m.Common[key]; ok {
		return r
	}
	return Rule{Key: key}
}

func rename(key string) Rule { return Rule{Key: key} }

// decimal is the value as the decimal string Datadog's contrib packages
// write for status codes.
func decimal(v tracing.Value) tracing.Value {
	return tracing.StringValue(strconv.FormatInt(v.AsInt64(), 10))
}

// strippedURL is url.full without what jaeger's mapping removes: the
// query, the fragment and any user information.
func strippedURL(v tracing.Value) tracing.Value {
	u, err := url.Parse(v.AsString())
	if err != nil {
		return v
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return tracing.StringValue(u.String())
}

// urlPart returns a Part that extracts a component of an absolute URL
// "scheme://host[:port]/path" with nothing else in it (no user
// information, query or fragment: Datadog composes http.url from
// url.scheme, server.address, server.port and url.path, and never adds
// more).
func urlPart(get func(*url.URL) string) func(string) (string, bool) {
	return func(s string) (string, bool) {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return "", false
		}
		v := get(u)
		return v, v != ""
	}
}

// hostPart returns a Part that extracts the host or the port of
// "host[:port]".
func hostPart(port bool) func(string) (string, bool) {
	return func(s string) (string, bool) {
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			h, p = s, ""
		}
		if port {
			return p, p != ""
		}
		return h, h != ""
	}
}

// Datadog is the Datadog backend's mapping (tracing/ddbackend's package
// documentation, Mapping), in the form dd-trace-go's contrib packages
// give their spans.
var Datadog = Mapping{
	Common: map[string]Rule{
		"http.request.method":       rename("http.method"),
		"http.response.status_code": {Key: "http.status_code", Value: decimal},
		"url.full":                  rename("http.url"),
		"client.address":            rename("http.client_ip"),
		"user_agent.original":       rename("http.useragent"),
		"network.protocol.version":  rename("http.version"),
		"http.request.body.size":    rename("http.request.content_length"),
		"http.response.body.size":   rename("http.response.content_length"),
		"db.system.name":            rename("db.system"),
		"db.namespace":              rename("db.name"),
		"db.query.text":             {Resource: true},
	},
	Server: map[string]Rule{
		// http.url = scheme://host[:port]path and http.host = host[:port].
		"url.scheme":     {Key: "http.url", Part: urlPart(func(u *url.URL) string { return u.Scheme })},
		"url.path":       {Key: "http.url", Part: urlPart(func(u *url.URL) string { return u.EscapedPath() })},
		"server.address": {Key: "http.host", Part: hostPart(false)},
		"server.port":    {Key: "http.host", Part: hostPart(true)},
	},
	Client: map[string]Rule{
		"server.address": rename("network.destination.name"),
		"server.port":    rename("network.destination.port"),
	},
	Operation:        "http.request",
	DBOperation:      func(system string) string { return system + ".query" },
	ExportsUnsampled: true,
	TraceID:          func(id tracing.TraceID) string { return id.LowDecimal() },
	TracestateKey:    "dd",
}

// Jaeger is the jaeger backend's mapping to OpenTracing's tags
// (tracing/jaegerbackend's package documentation, Mapping).
var Jaeger = Mapping{
	Common: map[string]Rule{
		"http.request.method":       rename("http.method"),
		"http.response.status_code": rename("http.status_code"),
		"url.full":                  {Key: "http.url", Value: strippedURL},
		"url.path":                  rename("http.url"),
		"db.system.name":            rename("db.type"),
		"db.query.text":             rename("db.statement"),
		"db.namespace":              rename("db.instance"),
	},
	Client: map[string]Rule{
		"server.address": rename("peer.hostname"),
		"server.port":    rename("peer.port"),
	},
}

// OTel is the OpenTelemetry backend's mapping: the facade's keys are
// OpenTelemetry's, kept as they are.
var OTel = Mapping{}
