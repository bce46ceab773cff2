// Package console is a tracing backend that draws traces in a terminal,
// for development and demos: no agent, no setup.
//
//	TRACING_BACKEND=console go run ./cmd/myservice
//
// It gathers the spans of each trace and, when nothing in the trace is
// still running, writes the trace as an indented tree with each span's
// kind, duration, a bar showing when it ran within the trace, its most
// telling attributes, events and errors:
//
//	trace 5b8aa5a2d2c872e8321cf37308d69df2 · notes · 8.12ms · 4 spans · 1 error
//	POST /notes           server      8.12ms ▕██████████████▏ status=201 type=web +10
//	└─ CreateNote         internal    7.60ms ▕ ████████████ ▏ note.id=3
//	   ├─ INSERT notes    client       310µs ▕ █            ▏ service=db +7
//	   └─ GET             client      6.90ms ▕  ███████████ ▏ status=500 resource="GET /calendar" +7
//	         ✗ calendar: 500 Internal Server Error (*errors.errorString) +6.88ms
//
// Trees fit the terminal: lines are at most COLUMNS wide (WithWidth; 100
// when COLUMNS is unset). A span's line shows its outcome (the status, the
// error type) first, then the application's own attributes, the service,
// resource and type, then the semantic-convention ones, as many as fit,
// and counts the rest ("+7"). WithVerbose, or POLYTRACE_CONSOLE_VERBOSE=1,
// shows every attribute, event and error whole, folded onto lines under
// the span.
//
// Spans of the same trace started by several services in one process (as
// in the demo) are drawn as one tree. Traces are written whole, one at a
// time, so concurrent traces never interleave.
//
// Memory is bounded: a trace keeps at most 1000 spans (WithMaxSpansPerTrace),
// at most 1000 unfinished traces are held (WithMaxTraces; past it the oldest
// is written early, with a note), and a trace with spans still running is
// written with a note after 30 s without activity (WithTraceTimeout).
// Shutdown writes whatever is left. A span keeps 128 attributes and 128
// events and string values of 25000 characters at most (WithMaxAttributes,
// WithMaxEvents, WithMaxValueLen, or the OpenTelemetry variables
// OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT,
// OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_COUNT_LIMIT and
// OTEL_SPAN_EVENT_COUNT_LIMIT). Stats counts the spans ended and those
// dropped because they ended after Shutdown.
//
// Output goes to standard error (WithWriter), in colour only when that is a
// terminal and NO_COLOR is unset (WithColor forces it). WithFormat(FormatJSON)
// writes one JSON object per span instead, for tools.
//
// The backend propagates W3C trace context and baggage, samples
// parent-based (every new trace, or WithSampleRatio), and takes its service
// name from OTEL_SERVICE_NAME, DD_SERVICE or JAEGER_SERVICE_NAME.
package console
