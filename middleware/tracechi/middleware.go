package tracechi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/polytrace/polytrace/middleware/httpkit"
)

// Middleware returns chi middleware that traces every request: one server
// span per request, continuing the caller's trace, named by the route
// pattern chi matched ("GET /notes/{id}", patterns of mounted routers
// joined; "GET" alone when no route matched). Install it on the root
// router with Use:
//
//	r := chi.NewRouter()
//	r.Use(tracechi.Middleware())
//
// The pattern is read from chi's route context after the request has been
// routed, so a span is named correctly even though the middleware runs
// before routing.
func Middleware(opts ...Option) func(http.Handler) http.Handler {
	srv := httpkit.NewServer(opts)
	return func(next http.Handler) http.Handler {
		return &handler{next: next, srv: srv}
	}
}

type handler struct {
	next http.Handler
	srv  *httpkit.Server
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.srv.Skip(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	rctx := chi.RouteContext(r.Context())
	startRoute := ""
	if rctx != nil {
		// In a sub-router's middleware, the patterns matched so far.
		startRoute = rctx.RoutePattern()
	}
	ctx, ss := h.srv.Start(r, startRoute)
	if name, id := ss.TraceIDHeader(); name != "" {
		w.Header()[name] = []string{id}
	}
	if !ss.Recording() {
		if ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		h.next.ServeHTTP(w, r)
		return
	}
	ww, st := httpkit.WrapResponseWriter(w)
	defer func() {
		o := httpkit.Outcome{Route: startRoute, Status: st.Status, RespBodySize: st.Written, Hijacked: st.Hijacked}
		if rctx != nil {
			o.Route = rctx.RoutePattern()
		}
		if ss.CapturesResponseHeaders() {
			o.RespHeader = w.Header()
		}
		if v := recover(); v != nil {
			ss.EndPanic(v, o)
			panic(v)
		}
		ss.End(o)
	}()
	h.next.ServeHTTP(ww, r.WithContext(ctx))
}
