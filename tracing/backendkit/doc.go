// Package backendkit is the kit for writing a polytrace backend, as
// database/sql/driver is for writing a database driver: what every
// backend needs and should not write again. polytrace's own backends
// (otel, datadog, jaeger, console and tracingtest's recorder) are built on
// it, and a fourth one, for another vendor, is a few hundred lines: see
// the package example, a complete backend that writes each span as a
// logfmt line.
//
// A backend implements tracing.Backend (Start, Shutdown) and a span type
// implementing tracing.BackendSpan, and registers a factory with
// tracing.Register in an init function. The kit supplies:
//
//   - NoopSpan, to embed in non-recording span types, and NonRecording, the
//     span and context node a backend returns for a span it does not
//     sample (so that its children and outgoing headers continue the
//     trace);
//   - Options, which picks a backend's own options out of what
//     tracing.WithBackendOptions passed, and Apply;
//   - Counters, the span counts behind tracing.Stats (ended, exported,
//     dropped by reason, pending, settled when Shutdown gives up) and
//     tracing.ExportStats, with a warning when drops begin (WarnDrops);
//   - Limits, LimitsFromEnv and the truncation functions: attribute,
//     event and value-length limits with the OpenTelemetry variables that
//     set them, cutting strings on character boundaries;
//   - ResolveIdentity and the environment helpers (Getenv, EnvBool,
//     EnvInt, EnvFloat, ResourceAttributes): the service name,
//     environment and version from any vendor's variables, and variables
//     parsed with errors that name them;
//   - NewTraceID and NewSpanID;
//   - ProbeContextKey, to find the context key a vendor keeps its current
//     span under, so that the backend's context nodes answer it and the
//     vendor's own API sees facade spans;
//   - MemoryBackend, a complete in-process span implementation (sampling,
//     limits, callbacks when spans start and end) for backends whose
//     vendor has no span type of its own; the console backend is one.
//
// tracing/tracingtest's Run is the conformance suite a backend must pass,
// with spans decoded from what it really sent.
package backendkit
