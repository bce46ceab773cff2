// Package tracehttp traces net/http servers and clients, with whatever
// backend polytrace's tracing package was given (OpenTelemetry, Datadog,
// Jaeger, the console, or none).
//
// # Servers
//
// Handler wraps an http.Handler, usually a ServeMux:
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /notes/{id}", getNote)
//	http.ListenAndServe(":8080", tracehttp.Handler(mux))
//
// Each request gets one server span that continues the caller's trace
// (extracted from the request headers by the tracer's propagator), named
// by the ServeMux pattern that matched without its method and host
// (Request.Pattern, read after the mux has routed): "GET /notes/{id}". A
// request that matched no pattern is named by its method alone ("GET"),
// as OpenTelemetry names it; the raw path is never a span name. The span
// carries OpenTelemetry's HTTP attributes (http.request.method,
// http.route, http.response.status_code, url.path, url.scheme,
// server.address, server.port, client.address, user_agent.original,
// network.protocol.version, body sizes), span type "web" and a resource
// equal to its name, which each backend maps to its vendor's form.
//
// A 5xx response marks the span failed, a 4xx does not. A panic is
// recorded with its stack and re-raised unchanged; http.ErrAbortHandler is
// re-raised without being recorded as an error. The ResponseWriter handed
// to the handler keeps exactly the optional interfaces of the one it wraps
// (http.Flusher, http.Hijacker, http.Pusher, io.ReaderFrom, and the
// methods http.ResponseController uses, through Unwrap), so streaming and
// connection upgrades work unchanged.
//
// # Clients
//
// Transport wraps an http.RoundTripper and WrapClient an http.Client:
//
//	client := tracehttp.WrapClient(&http.Client{Timeout: 5 * time.Second})
//	req, _ := http.NewRequestWithContext(ctx, "GET", calendarURL, nil)
//	resp, err := client.Do(req)
//
// Each attempt gets one client span, a child of the span in the request's
// context, named by its method ("GET"), with span type "http"; the trace
// context is injected into a clone of the request. The span ends when the
// response body is read to its end or closed. url.full never holds query
// values or credentials.
//
// # Tracer and options
//
// Spans are started on the process default tracer (tracing.Default(),
// looked up at each request, so that handlers built before the backend is
// chosen use it) unless WithTracer says otherwise. With the "none"
// backend, or for a request whose trace is not sampled, the middleware
// adds no allocation of its own beyond the request copy that carries the
// caller's trace context on.
//
// The Option type and its constructors are shared with tracechi, tracegin
// and traceecho.
package tracehttp
