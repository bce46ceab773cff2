// Package tracegrpc traces gRPC servers and clients (google.golang.org/grpc)
// with whatever backend polytrace's tracing package was given:
//
//	srv := grpc.NewServer(grpc.StatsHandler(tracegrpc.NewServerHandler()))
//	conn, err := grpc.NewClient(target, grpc.WithStatsHandler(tracegrpc.NewClientHandler()), …)
//
// The stats handlers are what gRPC (and otelgrpc) recommend; unary and
// stream interceptors (UnaryServerInterceptor, StreamClientInterceptor, …)
// do the same for code that chains interceptors. Install one or the
// other: each makes spans of its own. Unary, server-streaming,
// client-streaming and bidirectional calls are traced alike.
//
// # Spans
//
// Each call gets a span of kind server or client named as OpenTelemetry
// names it, "pkg.Service/Method", with the RPC semantic conventions:
// rpc.system=grpc, rpc.service, rpc.method, rpc.grpc.status_code (the
// numeric code), server.address and server.port (servers: the :authority
// the client asked for; clients: the dial target with the interceptors,
// the address connected to with the stats handler, which is not told the
// target), network.peer.address and network.peer.port (the other end of
// the connection). A server span is the child of the caller's span, read
// from the request metadata; a client span is the child of the span in
// the call's context, and its context is written into the request
// metadata. Both use the tracer's propagator: W3C trace context and
// baggage plus the backend's own format (Datadog's x-datadog-* headers,
// Jaeger's uber-trace-id), so a call between a polytrace service and one
// instrumented by otelgrpc, dd-trace-go's gRPC contrib or
// opentracing-contrib/go-grpc (otgrpc) stays in one trace, both ways.
//
// Client spans fail for every status code but OK; server spans only for
// Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable and
// DataLoss, as OpenTelemetry says (the others are the caller's doing, and
// are kept as an "exception" event that does not fail the span);
// WithErrorCodes changes the rule. A span ends exactly once, however its
// call ends: returned, failed, canceled by either side, past its deadline,
// or abandoned by a client that canceled its context. With the stats
// handlers, a call whose context was done before it started makes no span
// (gRPC starts no attempt).
//
// # Backends
//
// Each backend maps the conventions to what its vendor's own gRPC
// instrumentation shows:
//
//	facade (OpenTelemetry)     OpenTelemetry    Datadog (as dd contrib grpc)          Jaeger (as otgrpc)
//	span name pkg.Service/M    the name         operation grpc.server / grpc.client   the name
//	                                            (schema v1: grpc.server.request, …),
//	                                            resource /pkg.Service/M, type rpc,
//	                                            grpc.method.name, rpc.grpc.full_method
//	kind                       kind             span.kind                             span.kind
//	rpc.system=grpc            as is            rpc.system                            component=gRPC
//	rpc.service, rpc.method    as is            rpc.service, rpc.method               as is
//	rpc.grpc.status_code       as is (int)      grpc.code (the name: "NotFound")      response_code (the name)
//	server.address, .port      as is            client: peer.hostname,                client: peer.hostname, peer.port
//	                                            network.destination.port              server: as is
//	                                            server: as is
//	network.peer.address, .port  as is          client: out.host, out.port (string)   peer.address, peer.port
//	                                            server: as is
//	failed span                status Error     error=1, error.message, error.type    error=true, otel.status_code
//
// # Options
//
// Health checks — calls of the standard grpc.health.v1.Health service —
// are not traced by default (WithHealthChecks traces them); WithFilter
// drops other calls. WithSpanNamer, WithService, WithTracer and
// WithPropagator are as in polytrace's HTTP adapters; WithPublicEndpoint
// and WithPublicEndpointFn make a server span start a new trace linked to
// the caller's, for services that face callers outside the trust
// boundary.
//
// Nothing secret is recorded by default: no metadata and no message
// contents. WithRequestMetadata and WithResponseMetadata record the
// metadata keys they list, except that keys that may carry credentials
// (authorization, cookie, x-api-key, anything with "auth", "token",
// "secret", "session", "password", …) are recorded as "REDACTED" even
// when listed. WithMessageEvents records one event per message with its
// size, never its contents.
//
// Spans are started on the process default tracer (tracing.Default(), at
// each call) unless WithTracer says otherwise. With tracing off (the none
// backend), no span is made but trace context still flows: a server's
// handler gets the caller's, and a client passes on its context's.
package tracegrpc
