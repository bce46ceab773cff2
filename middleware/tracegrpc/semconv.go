package tracegrpc

import (
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/polytrace/polytrace/middleware/httpkit"
)

// Attribute keys, from OpenTelemetry's RPC semantic conventions (the gRPC
// conventions of semconv v1.37, which otelgrpc records with
// OTEL_SEMCONV_STABILITY_OPT_IN=rpc/old); each backend maps them to its
// vendor's names (see the package documentation).
const (
	KeyRPCSystem        = "rpc.system"
	KeyRPCService       = "rpc.service"
	KeyRPCMethod        = "rpc.method"
	KeyStatusCode       = "rpc.grpc.status_code"
	KeyServerAddress    = "server.address"
	KeyServerPort       = "server.port"
	KeyPeerAddress      = "network.peer.address"
	KeyPeerPort         = "network.peer.port"
	KeyRequestMDPrefix  = "rpc.grpc.request.metadata."
	KeyResponseMDPrefix = "rpc.grpc.response.metadata."

	// Message events (WithMessageEvents).
	EventMessage         = "message"
	KeyMessageType       = "message.type"
	KeyMessageID         = "message.id"
	KeyMessageSize       = "message.uncompressed_size"
	KeyMessageCompressed = "message.compressed_size"
	MessageSent          = "SENT"
	MessageReceived      = "RECEIVED"
)

// SystemGRPC is the rpc.system value of gRPC calls.
const SystemGRPC = "grpc"

// HealthService is the standard health-checking service, whose calls are
// not traced unless WithHealthChecks is given.
const HealthService = "grpc.health.v1.Health"

// Redacted is recorded instead of the values of sensitive metadata.
const Redacted = httpkit.Redacted

// CallInfo describes a call for filters, span namers and public-endpoint
// deciders. The call's metadata is in the context they are given:
// metadata.FromIncomingContext on servers, metadata.FromOutgoingContext on
// clients.
type CallInfo struct {
	// FullMethod is the method as gRPC names it: "/pkg.Service/Method".
	FullMethod string
	// Service and Method are its parts ("pkg.Service", "Method"); both are
	// empty when FullMethod is malformed.
	Service, Method string
	// Client is true for a call made, false for a call served.
	Client bool
}

// splitMethod splits "/pkg.Service/Method" into "pkg.Service" and
// "Method", as grpc-go does (the last slash separates them). ok is false
// for a malformed name.
func splitMethod(full string) (service, method string, ok bool) {
	s, found := strings.CutPrefix(full, "/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(s, '/')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// SpanName returns the OpenTelemetry name of a call's span:
// "pkg.Service/Method" for "/pkg.Service/Method", and a malformed name as
// it is (the facade names an empty one "unnamed").
func SpanName(fullMethod string) string {
	if _, _, ok := splitMethod(fullMethod); ok {
		return fullMethod[1:]
	}
	return fullMethod
}

// isHealth reports whether fullMethod is a method of the health service.
func isHealth(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/"+HealthService+"/")
}

// ServerFails reports whether a server span with status code c fails: the
// codes OpenTelemetry lists for servers (Unknown, DeadlineExceeded,
// Unimplemented, Internal, Unavailable, DataLoss). The others are the
// caller's doing or a normal outcome.
func ServerFails(c codes.Code) bool {
	switch c {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// ClientFails reports whether a client span with status code c fails:
// every code but OK.
func ClientFails(c codes.Code) bool { return c != codes.OK }

// sensitiveMetadata reports whether a metadata key (lower case) may carry a
// credential: the headers httpkit redacts (authorization, cookie,
// x-api-key, any name with "auth", "token", "secret", "session", …).
func sensitiveMetadata(key string) bool {
	return httpkit.SensitiveHeader(key)
}
