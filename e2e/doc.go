// Package e2e is polytrace's end-to-end suite: the example services run as
// real processes, report to real tracing servers, and the tests read back
// what those servers stored.
//
// Every test file has the build tag e2e, so `go test ./...` does not run
// them. Run the suite with
//
//	scripts/e2e.sh                    # builds the servers if needed, then runs every leg
//	go test -tags e2e -count=1 -v ./e2e/... -run 'TestBackends/otel-grpc'
//
// The servers are .tools/bin/jaeger (Jaeger v2 all-in-one, in-memory
// storage) and .tools/bin/otelcol-dd (the OpenTelemetry Collector with the
// contrib datadog receiver, exporting to that Jaeger over OTLP), built by
// scripts/build-tools.sh (TOOLS_BIN overrides the directory) and started
// with the committed configs tools/jaeger/config.yaml and
// tools/otelcol/config.yaml. Their ports are fixed (4317, 4318, 6831, 14268,
// 16686, 13133, 8126, …), so the legs run one after the other and the suite
// fails at once, naming the port, when one of them is taken. Without the
// binaries the legs are skipped with a message naming build-tools.sh.
//
// Each leg (one subtest of TestBackends) starts a fresh Jaeger, so its
// in-memory store holds that leg's spans only, and gives the services
// names of their own (notes-<leg>, calendar-<leg>). It starts calendar and
// notes from binaries built once per run with go build, on loopback ports
// the kernel picks (each service logs the addresses it listens on:
// calendar's HTTP and gRPC ones; notes asks calendar for dates over gRPC),
// sends
// them the demo's sequence of requests (list, create, read, update, create
// with a date from calendar, list, delete, read the deleted note: 404,
// then, calendar stopped, create with a date: 502), stops both with
// SIGTERM — the graceful shutdown flushes the spans — and polls Jaeger's
// query API until the spans are in. It then checks every trace:
//
//   - each request made exactly one trace, found by the User-Agent the test
//     sent, with the tree its handler should make (server span, handler
//     span, SQL span, helper spans, the calendar call) and no other span;
//   - the create-with-date trace is one 128-bit trace across both
//     processes: notes' server span → CreateNote → the gRPC client span →
//     calendar's gRPC server span → GetDate, and the INSERT under
//     CreateNote; the gRPC spans carry each backend's own names (otel:
//     calendar.v1.Calendar/GetDate with rpc.system and
//     rpc.grpc.status_code; jaeger: component=gRPC and response_code, as
//     otgrpc writes them; datadog: operations grpc.client and grpc.server,
//     resource /calendar.v1.Calendar/GetDate, grpc.code), and with
//     calendar down the client span fails with Unavailable;
//   - operation names, the resource, the method, route and status code tags
//     in each backend's own keys and types, and span kinds;
//   - errors: 5xx and a failed client call are error=true, a 404 is not,
//     and its handler span says why (a "rejected" event, reason "note not
//     found": a Jaeger log, or dd-trace-go's events tag through the
//     collector);
//   - services: Jaeger lists exactly the leg's two services, and each
//     process carries the tag of the tracer the leg selects;
//   - the graceful shutdown delivers the spans: the otel and jaeger legs
//     set an export interval of a minute, and calendar's spans must be in
//     Jaeger once it has stopped while none of notes' are before it stops;
//   - no request data (note descriptions from query strings, SQL
//     arguments) appears in any tag or log.
//
// The legs: otel over OTLP gRPC (4317) and OTLP HTTP (4318), jaeger over
// the UDP agent protocol (6831) and the HTTP collector (14268), and datadog
// through the collector's datadog receiver (8126). A jaeger leg is skipped,
// saying why, when the services were built without the jaeger backend.
//
// What the datadog leg shows is what Jaeger stores after the collector's
// translation (receiver/datadogreceiver v0.140, run with the feature gate
// receiver.datadogreceiver.Enable128BitTraceID so that the high 64 bits of
// the trace id, sent in _dd.p.tid, are kept): operation names are
// Datadog's (http.request, sqlite.query, the facade name for custom spans)
// with the resource in the tag dd.span.Resource; Datadog's tags are renamed
// to OpenTelemetry's (http.status_code becomes http.response.status_code,
// still a string; http.method becomes http.request.method, http.url
// url.full, http.useragent user_agent.original); and spans are grouped
// into Jaeger services by their service after the receiver replaced it by
// _dd.base_service, so the per-span services db and noteshelper are not
// kept anywhere: those spans belong to the notes service and carry
// _dd.base_service=notes-<leg>.
package e2e
