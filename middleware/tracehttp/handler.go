package tracehttp

import (
	"net/http"

	"github.com/polytrace/polytrace/middleware/httpkit"
)

// Handler returns h wrapped so that every request it serves is traced: one
// server span per request, continuing the caller's trace, named by the
// ServeMux pattern that matched ("GET /notes/{id}"; "GET" alone when none
// did). Wrap the ServeMux itself, or a handler registered on one: the
// pattern is read after h has run, so both work.
func Handler(h http.Handler, opts ...Option) http.Handler {
	return &handler{next: h, srv: httpkit.NewServer(opts)}
}

// Middleware returns a func(http.Handler) http.Handler that applies
// Handler with opts, for routers that take middleware in that form.
func Middleware(opts ...Option) func(http.Handler) http.Handler {
	srv := httpkit.NewServer(opts)
	return func(next http.Handler) http.Handler { return &handler{next: next, srv: srv} }
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
	ctx, ss := h.srv.Start(r, httpkit.RouteFromPattern(r.Pattern))
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
	r = r.WithContext(ctx)
	defer func() {
		o := httpkit.Outcome{
			// A ServeMux below sets the pattern on the request it is
			// given: this one.
			Route:        httpkit.RouteFromPattern(r.Pattern),
			Status:       st.Status,
			RespBodySize: st.Written,
			Hijacked:     st.Hijacked,
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
	h.next.ServeHTTP(ww, r)
}
