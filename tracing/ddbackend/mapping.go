package ddbackend

import (
	"strconv"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"

	"github.com/polytrace/polytrace/tracing"
)

// action says what an attribute key means to the backend beyond a tag.
type action uint8

const (
	actTag           action = iota // a tag under the mapped key
	actMethod                      // http.method; makes a server or client span an HTTP span
	actStatusCode                  // http.status_code, as the string dd contrib writes
	actURLFull                     // http.url
	actURLPath                     // composed into http.url at End
	actURLScheme                   // composed into http.url at End
	actServerAddress               // client: network.destination.name; server: http.host
	actServerPort                  // client: network.destination.port; server: http.host
	actDBSystem                    // db.system; makes a client span a database span
	actQuery                       // the resource of a database span; sql.query elsewhere
	actResource                    // the span's resource
	actService                     // the span's service
	actType                        // the span's type
	actRPCSystem                   // rpc.system; grpc makes a server or client span a gRPC span
	actGRPCCode                    // grpc.code, the code's name as dd contrib writes it
	actPeerAddress                 // gRPC client: out.host; elsewhere kept
	actPeerPort                    // gRPC client: out.port; elsewhere kept
)

// mapKey maps an OpenTelemetry semantic-convention key, as the middleware
// records it, to the tag dd-trace-go's contrib packages write (see ext,
// contrib/net/http and contrib/database/sql, and the Datadog agent's own
// OTLP mapping), with what else it means. Unmapped keys are kept as they
// are.
func mapKey(k string) (string, action) {
	switch k {
	case "http.request.method":
		return ext.HTTPMethod, actMethod
	case "http.response.status_code":
		return ext.HTTPCode, actStatusCode
	case "url.full":
		return ext.HTTPURL, actURLFull
	case "url.path":
		return "", actURLPath
	case "url.scheme":
		return "", actURLScheme
	case "server.address":
		return "", actServerAddress
	case "server.port":
		return "", actServerPort
	case "client.address":
		return ext.HTTPClientIP, actTag
	case "user_agent.original":
		return ext.HTTPUserAgent, actTag
	case "network.protocol.version":
		return "http.version", actTag
	case "http.request.body.size":
		return "http.request.content_length", actTag
	case "http.response.body.size":
		return "http.response.content_length", actTag
	case "db.system.name", "db.system":
		return ext.DBSystem, actDBSystem
	case "db.query.text", "db.statement":
		return "", actQuery
	case "db.namespace":
		return ext.DBName, actTag
	case "rpc.system":
		return ext.RPCSystem, actRPCSystem
	case "rpc.grpc.status_code":
		return "grpc.code", actGRPCCode
	case "network.peer.address":
		return k, actPeerAddress
	case "network.peer.port":
		return k, actPeerPort
	case tracing.KeyResource:
		return ext.ResourceName, actResource
	case tracing.KeyService:
		return ext.ServiceName, actService
	case tracing.KeySpanType:
		return ext.SpanType, actType
	}
	return k, actTag
}

// toDD converts a value to what span.SetTag takes: strings and booleans
// become meta (booleans as "true"/"false"), numbers become metrics
// (integers beyond ±(2^53-1) become decimal meta, as dd-trace-go does), and
// slices become one tag per element, "key.0", "key.1", … The empty value
// is not recorded.
func toDD(v tracing.Value) (any, bool) {
	switch v.Kind() {
	case tracing.KindString:
		return v.AsString(), true
	case tracing.KindBool:
		return v.AsBool(), true
	case tracing.KindInt64:
		return v.AsInt64(), true
	case tracing.KindFloat64:
		return v.AsFloat64(), true
	case tracing.KindStringSlice:
		return v.AsStringSlice(), true
	case tracing.KindInt64Slice:
		return v.AsInt64Slice(), true
	case tracing.KindFloat64Slice:
		return v.AsFloat64Slice(), true
	case tracing.KindBoolSlice:
		return v.AsBoolSlice(), true
	}
	return nil, false
}

// toEventValue converts a value for a span event attribute, copying slices
// (dd-trace-go keeps them when the agent lacks native span events).
func toEventValue(v tracing.Value) (any, bool) {
	switch v.Kind() {
	case tracing.KindStringSlice, tracing.KindInt64Slice, tracing.KindFloat64Slice, tracing.KindBoolSlice:
		return toDD(v.Clone())
	}
	return toDD(v)
}

// asString formats a value for tags that dd-trace-go writes as strings.
func asString(v tracing.Value) string {
	if v.Kind() == tracing.KindInt64 {
		return strconv.FormatInt(v.AsInt64(), 10)
	}
	return v.String()
}

// Pre-boxed tag values, so that setting them does not allocate.
var (
	kindValues     = [...]any{"internal", ext.SpanKindServer, ext.SpanKindClient, ext.SpanKindProducer, ext.SpanKindConsumer}
	typeWeb    any = ext.SpanTypeWeb
	typeHTTP   any = ext.SpanTypeHTTP
	typeRPC    any = ext.AppTypeRPC
	topLevel1  any = 1.0
	topLevel0  any = 0.0
	boolTrue   any = true
	boolFalse  any = false
)

// dbSystem normalises an OpenTelemetry db.system.name to dd-trace-go's
// db.system value where they differ.
func dbSystem(s string) string {
	switch s {
	case "microsoft.sql_server", "mssql":
		return ext.DBSystemMicrosoftSQLServer
	case "postgres":
		return ext.DBSystemPostgreSQL
	}
	return s
}

// dbSpanType returns the span type dd-trace-go's contrib packages give
// spans of a database system.
func dbSpanType(system string) string {
	switch system {
	case ext.DBSystemRedis, ext.DBSystemValkey:
		return ext.SpanTypeRedis
	case ext.DBSystemMongoDB:
		return ext.SpanTypeMongoDB
	case ext.DBSystemCassandra:
		return ext.SpanTypeCassandra
	case ext.DBSystemElasticsearch:
		return ext.SpanTypeElasticSearch
	case ext.DBSystemMemcached:
		return ext.SpanTypeMemcached
	}
	return ext.SpanTypeSQL
}

// dbServiceFor returns the default service of a database span of system:
// dd-trace-go's database/sql contrib names it "<driver>.db" under naming
// schema v0 and leaves the application's service under v1.
func (b *Backend) dbServiceFor(system string) string {
	if b.s.dbService != nil {
		return *b.s.dbService
	}
	if b.s.schemaV1 {
		return ""
	}
	return system + ".db"
}

// classify says whether a server or client span is an HTTP span (it has
// http.request.method) or, for a client span, a database span (it has
// db.system.name), from the attributes given at start.
func classify(kind tracing.SpanKind, attrs *tracing.Attrs) (op opKind, system, query string) {
	for i := range attrs.Len() {
		a := attrs.At(i)
		switch a.Key {
		case "http.request.method":
			op = opHTTP
		case "db.system.name", "db.system":
			system = dbSystem(a.Value.String())
		case "db.query.text", "db.statement":
			query = a.Value.String()
		}
	}
	if op == opPlain && kind == tracing.SpanKindClient && system != "" {
		op = opDB
	}
	return op, system, query
}

// urlParts collects the pieces of an HTTP span's URL, composed into
// http.url (and http.host for a server span) when the span ends.
type urlParts struct {
	scheme, host, port, path string
}

func (u *urlParts) hostPort() string {
	if u.host == "" || u.port == "" || u.scheme == "http" && u.port == "80" || u.scheme == "https" && u.port == "443" {
		return u.host
	}
	return joinHostPort(u.host, u.port)
}

// url returns scheme://host[:port]path, or the path alone without a host,
// as dd-trace-go's contrib writes http.url. Query strings are never
// included.
func (u *urlParts) url() string {
	if u.host == "" {
		return u.path
	}
	scheme := u.scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + u.hostPort() + u.path
}

// rpcOf reads the RPC conventions of a span's start attributes: the
// rpc.system, and the method as dd contrib's gRPC integration writes it
// ("/pkg.Service/Method": the resource and the grpc.method.name and
// rpc.grpc.full_method tags), "" without rpc.service and rpc.method.
func rpcOf(attrs *tracing.Attrs) (system, fullMethod string) {
	var svc, method string
	for i := range attrs.Len() {
		a := attrs.At(i)
		switch a.Key {
		case "rpc.system":
			system = a.Value.String()
		case "rpc.service":
			svc = a.Value.String()
		case "rpc.method":
			method = a.Value.String()
		}
	}
	if svc != "" && method != "" {
		fullMethod = "/" + svc + "/" + method
	}
	return system, fullMethod
}

// rpcOp returns the operation name dd contrib's gRPC integration gives
// server and client spans under the backend's naming schema.
func (b *Backend) rpcOp(kind tracing.SpanKind) string {
	switch {
	case kind == tracing.SpanKindServer && b.s.schemaV1:
		return "grpc.server.request"
	case kind == tracing.SpanKindServer:
		return "grpc.server"
	case b.s.schemaV1:
		return "grpc.client.request"
	}
	return "grpc.client"
}

// grpcCodeNames are the names of gRPC's status codes, as codes.Code's
// String method gives them (and dd contrib writes them in grpc.code).
var grpcCodeNames = [...]string{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}

// grpcCodeName returns the name of gRPC status code v (an integer), as
// codes.Code's String method does ("Code(42)" for codes it does not know);
// a value that is not an integer is written as it is.
func grpcCodeName(v tracing.Value) string {
	if v.Kind() != tracing.KindInt64 {
		return v.String()
	}
	c := v.AsInt64()
	if c >= 0 && c < int64(len(grpcCodeNames)) {
		return grpcCodeNames[c]
	}
	return "Code(" + strconv.FormatInt(c, 10) + ")"
}
