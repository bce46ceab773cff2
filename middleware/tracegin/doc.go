// Package tracegin traces requests served by gin-gonic/gin, with whatever
// backend polytrace's tracing package was given.
//
//	r := gin.New()
//	r.Use(gin.Recovery(), tracegin.Middleware())
//	r.GET("/notes/:id", getNote)
//
// Each request gets one server span that continues the caller's trace
// (extracted from the request headers by the tracer's propagator), named
// by the route gin matched (Context.FullPath), "GET /notes/:id". A request
// that matched no route is named by its method alone ("GET"), as
// OpenTelemetry names it; the raw path is never a span name. The span
// carries OpenTelemetry's HTTP attributes (http.request.method,
// http.route, http.response.status_code, url.path, url.scheme,
// server.address, server.port, client.address, user_agent.original,
// network.protocol.version, body sizes), span type "web" and a resource
// equal to its name, which each backend maps to its vendor's form.
//
// A 5xx response marks the span failed, a 4xx does not. Errors handlers
// attach with Context.Error are recorded: as errors that fail the span
// when the status is a failure, otherwise as exception events. A panic is
// recorded with its stack and re-raised unchanged, so gin's Recovery
// (install it before this middleware) still turns it into a 500;
// http.ErrAbortHandler is not recorded as an error. The handlers'
// c.Request carries the span, so tracing.SpanFromContext(c.Request.Context())
// and child spans work as usual.
//
// Spans are started on the process default tracer (tracing.Default(), at
// each request) unless WithTracer says otherwise. The options are shared
// with tracehttp, tracechi and traceecho.
package tracegin
