package backendkit

// OpenTracing's conventional log fields (its semantic conventions for
// span logs): what the jaeger backend writes for events and errors, and
// what tracing/otshim reads from legacy LogFields and LogKV calls.
const (
	OTFieldEvent       = "event"        // the event's name; "error" for an error record
	OTFieldErrorObject = "error.object" // the error value
	OTFieldErrorKind   = "error.kind"   // the error's type
	OTFieldMessage     = "message"      // a human-readable message
	OTFieldStack       = "stack"        // a stack trace
)

// OTTagKey maps an OpenTracing standard tag (opentracing-go's ext) to the
// OpenTelemetry semantic-convention key the facade's backends map
// natively; other keys are returned as they are (resource.name,
// service.name and span.type among them, which the facade reads as its
// overrides). otshim records tags under these keys, and polytrace-migrate
// rewrites SetTag calls to them, so that both record the same.
func OTTagKey(key string) string {
	switch key {
	case "http.method":
		return "http.request.method"
	case "http.status_code":
		return "http.response.status_code"
	case "http.url":
		return "url.full"
	case "db.type":
		return "db.system.name"
	case "db.statement":
		return "db.query.text"
	case "db.instance":
		return "db.namespace"
	case "peer.hostname":
		return "server.address"
	case "peer.port":
		return "server.port"
	case "peer.address", "peer.ipv4", "peer.ipv6":
		return "network.peer.address"
	case "message_bus.destination":
		return "messaging.destination.name"
	}
	return key
}
