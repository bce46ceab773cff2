//go:build e2e

package e2e

// leg is one way of getting the services' spans into Jaeger.
type leg struct {
	name      string
	backend   string // TRACING_BACKEND
	router    string // calendar's router: each leg takes another, so all three are covered
	collector bool   // through otelcol-dd's datadog receiver
	// flushOnly: env sets an export interval of a minute, so spans reach
	// Jaeger only through the graceful shutdown's flush (dd-trace-go's
	// 2s interval cannot be set, so not for datadog).
	flushOnly bool
	env       func(service string) []string
	m         mapping
}

// mapping is how a leg's spans look in Jaeger: the operation names and
// tag keys the backend (and, for datadog, the collector) write.
type mapping struct {
	serverOp    func(method, route string) string
	clientOp    string // the calendar call's client span (gRPC)
	rpcServerOp string // calendar's gRPC server span
	// rpcTags are tags both gRPC spans carry (what says gRPC, the service
	// and method), and rpcCodeKey/rpcCodeType/rpcCode the status code's
	// tag, its Jaeger type and its value for OK and for Unavailable.
	rpcTags                map[string]string
	rpcCodeKey             string
	rpcCodeType            string
	rpcCodeOK, rpcCodeDown string
	sqlOp                  func(op string) string // a database span
	resourceKey            string                 // the tag that holds WithResource's value
	methodKey              string
	statusKey              string
	statusType             string // Jaeger's type of the status tag
	sqlTextKey             string // the tag that holds the SQL text
	// wrongKeys must not appear on HTTP spans: the other vendors' names
	// for the same attributes.
	wrongKeys []string
	// serviceOverride is where the per-span services (WithService "db",
	// "noteshelper") show: "tag" (a service.name tag on the span, its
	// process staying the service's) or "base" (dropped: the datadog
	// receiver groups spans by _dd.base_service).
	serviceOverride string
	// sdkKey and sdkPrefix: a process tag that says which tracer sent the
	// spans (a leg must not pass on another backend's spans).
	sdkKey, sdkPrefix string
	// ddIDs: the trace id's high half is the root span's _dd.p.tid, the low
	// half its datadog.trace.id (decimal).
	ddIDs bool
	// eventsTag: span events are in an "events" tag (dd-trace-go's JSON),
	// not Jaeger logs.
	eventsTag bool
}

var (
	otelMapping = mapping{
		serverOp:    func(method, route string) string { return method + " " + route },
		clientOp:    "calendar.v1.Calendar/GetDate",
		rpcServerOp: "calendar.v1.Calendar/GetDate",
		rpcTags:     map[string]string{"rpc.system": "grpc", "rpc.service": "calendar.v1.Calendar", "rpc.method": "GetDate"},
		rpcCodeKey:  "rpc.grpc.status_code", rpcCodeType: "int64", rpcCodeOK: "0", rpcCodeDown: "14",
		sqlOp:           func(op string) string { return op + " notes" },
		resourceKey:     "resource.name",
		methodKey:       "http.request.method",
		statusKey:       "http.response.status_code",
		statusType:      "int64",
		sqlTextKey:      "db.query.text",
		wrongKeys:       []string{"http.status_code", "http.method", "http.url"},
		serviceOverride: "tag",
		sdkKey:          "telemetry.sdk.name",
		sdkPrefix:       "opentelemetry",
	}
	jaegerMapping = mapping{
		serverOp:    func(method, route string) string { return method + " " + route },
		clientOp:    "calendar.v1.Calendar/GetDate",
		rpcServerOp: "calendar.v1.Calendar/GetDate",
		// otgrpc's tags: component=gRPC, response_code the code's name.
		rpcTags:    map[string]string{"component": "gRPC", "rpc.service": "calendar.v1.Calendar", "rpc.method": "GetDate"},
		rpcCodeKey: "response_code", rpcCodeType: "string", rpcCodeOK: "OK", rpcCodeDown: "Unavailable",
		sqlOp:           func(op string) string { return op + " notes" },
		resourceKey:     "resource.name",
		methodKey:       "http.method",
		statusKey:       "http.status_code",
		statusType:      "int64",
		sqlTextKey:      "db.statement",
		wrongKeys:       []string{"http.response.status_code", "http.request.method", "url.full", "db.query.text"},
		serviceOverride: "tag",
		// Jaeger's receiver turns jaeger-client-go's jaeger.version process
		// tag into this one.
		sdkKey:    "opencensus.exporterversion",
		sdkPrefix: "Jaeger-Go-",
	}
	// datadogMapping is what Jaeger stores after the collector's datadog
	// receiver translated dd-trace-go's spans to OpenTelemetry: Datadog's
	// operation names, the resource in dd.span.Resource, and Datadog's tag
	// names turned into OpenTelemetry's (http.status_code →
	// http.response.status_code, keeping dd-trace-go's string value).
	datadogMapping = mapping{
		serverOp:    func(string, string) string { return "http.request" },
		clientOp:    "grpc.client",
		rpcServerOp: "grpc.server",
		rpcTags:     map[string]string{"dd.span.Resource": "/calendar.v1.Calendar/GetDate", "rpc.system": "grpc", "rpc.service": "calendar.v1.Calendar"},
		rpcCodeKey:  "grpc.code", rpcCodeType: "string", rpcCodeOK: "OK", rpcCodeDown: "Unavailable",
		sqlOp:           func(string) string { return "sqlite.query" },
		resourceKey:     "dd.span.Resource",
		methodKey:       "http.request.method",
		statusKey:       "http.response.status_code",
		statusType:      "string",
		sqlTextKey:      "dd.span.Resource",
		wrongKeys:       []string{"http.status_code", "http.method", "http.url", "resource.name"},
		serviceOverride: "base",
		sdkKey:          "telemetry.sdk.name",
		sdkPrefix:       "Datadog",
		ddIDs:           true,
		eventsTag:       true,
	}
)

func jaegerEnv(extra ...string) func(string) []string {
	return func(service string) []string {
		return append([]string{"TRACING_BACKEND=jaeger", "JAEGER_SERVICE_NAME=" + service,
			"JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1", "JAEGER_REPORTER_FLUSH_INTERVAL=60s"}, extra...)
	}
}

var legs = []leg{
	{
		name: "otel-grpc", backend: "otel", router: "echo", flushOnly: true, m: otelMapping,
		env: func(service string) []string {
			return []string{"TRACING_BACKEND=otel", "OTEL_SERVICE_NAME=" + service, "OTEL_BSP_SCHEDULE_DELAY=60000",
				"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
				"OTEL_EXPORTER_OTLP_INSECURE=true"}
		},
	},
	{
		name: "otel-http", backend: "otel", router: "gin", flushOnly: true, m: otelMapping,
		env: func(service string) []string {
			return []string{"TRACING_BACKEND=otel", "OTEL_SERVICE_NAME=" + service, "OTEL_BSP_SCHEDULE_DELAY=60000",
				"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"}
		},
	},
	{
		name: "jaeger-udp", backend: "jaeger", router: "http", flushOnly: true, m: jaegerMapping,
		env: jaegerEnv("JAEGER_AGENT_HOST=127.0.0.1", "JAEGER_AGENT_PORT=6831"),
	},
	{
		name: "jaeger-http", backend: "jaeger", router: "echo", flushOnly: true, m: jaegerMapping,
		env: jaegerEnv("JAEGER_ENDPOINT=http://127.0.0.1:14268/api/traces"),
	},
	{
		name: "datadog", backend: "datadog", router: "gin", collector: true, m: datadogMapping,
		env: func(service string) []string {
			return []string{"TRACING_BACKEND=datadog", "DD_SERVICE=" + service,
				"DD_TRACE_AGENT_URL=http://127.0.0.1:8126",
				// Quiet: no startup banner (a long JSON line), no telemetry
				// requests (the receiver has no such endpoint).
				"DD_TRACE_STARTUP_LOGS=false", "DD_INSTRUMENTATION_TELEMETRY_ENABLED=false"}
		},
	},
}
