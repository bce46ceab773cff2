// Package httpkit is the kit for HTTP adapters: the HTTP semantics that
// polytrace's adapters (tracehttp, tracechi, tracegin, traceecho) share —
// span names, OpenTelemetry semantic-convention attributes, status rules,
// redaction, the options, and the ResponseWriter wrapper. An adapter only
// translates its framework's request, route template, status and errors
// into it, so an adapter for another framework is a few dozen lines (see
// tracechi's middleware.go). Applications use tracehttp or an adapter, not
// this package; httpkittest is the test suite every adapter passes.
//
// # Semantics
//
// Server spans are named "METHOD route-template" ("GET /notes/{id}"),
// never with the raw path. A request that matched no route gets the
// method alone ("GET"), as OpenTelemetry's instrumentation names it
// (Datadog's contrib uses "GET unknown" as the resource; here the resource
// is the span name). Methods outside RFC 9110/5789 are named "HTTP" and
// recorded as http.request.method "_OTHER" with the original in
// http.request.method_original. Spans have span type "web" (client spans
// "http") and resource = span name unless a resource namer says otherwise.
//
// Server spans fail on 5xx, never on 4xx; client spans on 4xx and 5xx and
// on transport errors (WithErrorStatus changes the rule). Errors a
// framework reports are recorded: with a failing status through
// Span.RecordError, otherwise as "exception" events that keep their
// details without failing the span. A panic is recorded with its value,
// type and stack and re-raised unchanged; http.ErrAbortHandler is
// re-raised without being recorded as an error.
//
// No secret is recorded by default: no query values anywhere (query keys
// only with WithQueryKeys on servers; on clients url.full keeps keys with
// "REDACTED" values), URL credentials replaced by "REDACTED:REDACTED", and
// credential-bearing headers (Authorization, Cookie, Set-Cookie,
// X-Api-Key, any name with "token", "secret", "session", …) recorded as
// "REDACTED" even when listed in WithRequestHeaders/WithResponseHeaders.
package httpkit
