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
