// Package tracechi traces requests served by a go-chi/chi v5 router, with
// whatever backend polytrace's tracing package was given.
//
//	r := chi.NewRouter()
//	r.Use(tracechi.Middleware())
//	r.Get("/notes/{id}", getNote)
//
// Each request gets one server span that continues the caller's trace
// (extracted from the request headers by the tracer's propagator), named
// by the route pattern chi matched, "GET /notes/{id}", with the patterns
// of mounted routers joined ("GET /api/notes/{id}"). A request that
// matched no route is named by its method alone ("GET"), as OpenTelemetry
// names it; the raw path is never a span name. The span carries
// OpenTelemetry's HTTP attributes (http.request.method, http.route,
// http.response.status_code, url.path, url.scheme, server.address,
// server.port, client.address, user_agent.original,
// network.protocol.version, body sizes), span type "web" and a resource
// equal to its name, which each backend maps to its vendor's form.
//
// A 5xx response marks the span failed, a 4xx does not. A panic in a
// handler is recorded with its stack and re-raised unchanged, so chi's
// Recoverer or net/http still see it; http.ErrAbortHandler is not
// recorded as an error. The ResponseWriter handed on keeps exactly the
// optional interfaces (http.Flusher, http.Hijacker, …) of the one it
// wraps, and Unwrap for http.ResponseController.
//
// Spans are started on the process default tracer (tracing.Default(), at
// each request) unless WithTracer says otherwise. The options are shared
// with tracehttp, tracegin and traceecho.
//
// Install the middleware with Use on the router that routes: chi's route
// context is where the pattern is read from. Wrapping a router from
// outside (tracechi.Middleware()(r)) cannot see the pattern; use
// tracehttp.Handler there.
package tracechi
