// Package traceecho traces requests served by labstack/echo v4, with
// whatever backend polytrace's tracing package was given.
//
//	e := echo.New()
//	e.Use(traceecho.Middleware())
//	e.GET("/notes/:id", getNote)
//
// Each request gets one server span that continues the caller's trace
// (extracted from the request headers by the tracer's propagator), named
// by the route echo matched (Context.Path), "GET /notes/:id". A request
// that matched no route is named by its method alone ("GET"), as
// OpenTelemetry names it; the raw path is never a span name. The span
// carries OpenTelemetry's HTTP attributes (http.request.method,
// http.route, http.response.status_code, url.path, url.scheme,
// server.address, server.port, client.address, user_agent.original,
// network.protocol.version, body sizes), span type "web" and a resource
// equal to its name, which each backend maps to its vendor's form.
//
// A 5xx response marks the span failed, a 4xx does not. The error a
// handler returns is recorded (the cause inside an *echo.HTTPError when it
// has one) and returned unchanged to echo's error handler. Because the
// span ends before that handler writes the response, the status of an
// error that was not written yet is the *echo.HTTPError's code, or 500 for
// any other error, which is what echo's default error handler sends; an
// application whose error handler maps errors differently should write
// the response itself or return *echo.HTTPError. An error whose status
// is not a failure (echo.ErrNotFound → 404) is recorded as an exception
// event without failing the span.
//
// A panic is recorded with its stack and re-raised unchanged, so echo's
// Recover middleware (install it before this one) or net/http still see
// it; http.ErrAbortHandler is not recorded as an error.
//
// Spans are started on the process default tracer (tracing.Default(), at
// each request) unless WithTracer says otherwise. The options are shared
// with tracehttp, tracechi and tracegin.
package traceecho
