// Command shop runs three services in one process — frontend, orders and
// inventory — each with its own jaeger-client-go tracer, traced with
// OpenTracing: the net/http middleware of opentracing-contrib on the
// frontend and orders, tracer.Extract and tracer.Inject by hand between
// orders and inventory, baggage from the frontend to inventory, and an
// error in inventory. It serves one checkout and exits, flushing its
// tracers: polytrace-migrate's end-to-end test runs it before and after
// the rewrite and compares the traces it sent.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	otlog "github.com/opentracing/opentracing-go/log"
	"github.com/uber/jaeger-client-go/config"
)

// service is one of the shop's services, with its own tracer.
type service struct {
	name   string
	tracer opentracing.Tracer
	client *http.Client
	next   string // the URL of the service it calls
}

func newTracer(name string) (opentracing.Tracer, io.Closer) {
	cfg, err := config.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.ServiceName = name
	tracer, closer, err := cfg.NewTracer()
	if err != nil {
		log.Fatal(err)
	}
	return tracer, closer
}

func newService(name string, tracer opentracing.Tracer) *service {
	return &service{name: name, tracer: tracer, client: &http.Client{Transport: &nethttp.Transport{}}}
}

// middleware traces a service's requests, named "HTTP GET /path".
func (s *service) middleware(h http.Handler) http.Handler {
	return nethttp.Middleware(s.tracer, h, nethttp.OperationNameFunc(func(r *http.Request) string {
		return "HTTP " + r.Method + " " + r.URL.Path
	}))
}

// checkout is the frontend: it names the user in baggage and asks orders.
func (s *service) checkout(w http.ResponseWriter, r *http.Request) {
	span, ctx := opentracing.StartSpanFromContextWithTracer(r.Context(), s.tracer, "checkout")
	defer span.Finish()
	span.SetBaggageItem("user", "alice")
	span.SetTag("cart.items", 3)
	validate, _ := startSpan(ctx, "validate-cart", opentracing.Tag{Key: "cart.items", Value: 3})
	validate.Finish()
	status, err := s.getOrder(ctx)
	if err != nil {
		ext.Error.Set(span, true)
		span.LogFields(otlog.Error(err))
	}
	w.WriteHeader(status)
}

func (s *service) getOrder(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.next+"/order", nil)
	if err != nil {
		return 0, err
	}
	req, ht := nethttp.TraceRequest(s.tracer, req, nethttp.OperationName("get-order"))
	defer ht.Finish()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("orders: %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// order reserves stock in inventory for the user in the baggage.
func (s *service) order(w http.ResponseWriter, r *http.Request) {
	parent := opentracing.SpanFromContext(r.Context())
	user := parent.BaggageItem("user")
	span := s.tracer.StartSpan("reserve", opentracing.ChildOf(parent.Context()))
	defer span.Finish()
	span.SetTag("user", user)
	ctx := opentracing.ContextWithSpan(r.Context(), span)
	w.WriteHeader(s.callInventory(ctx))
}

func (s *service) callInventory(ctx context.Context) int {
	span, _ := opentracing.StartSpanFromContextWithTracer(ctx, s.tracer, "call-inventory")
	defer span.Finish()
	ext.SpanKindRPCClient.Set(span)
	req, err := http.NewRequest("POST", s.next+"/stock", nil)
	if err != nil {
		return http.StatusInternalServerError
	}
	if err := s.tracer.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		log.Print(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ext.Error.Set(span, true)
		return http.StatusBadGateway
	}
	resp.Body.Close()
	ext.HTTPStatusCode.Set(span, uint16(resp.StatusCode))
	if resp.StatusCode >= 500 {
		ext.Error.Set(span, true)
	}
	return resp.StatusCode
}

// stock is inventory: it extracts the caller's span by hand and fails.
func (s *service) stock(w http.ResponseWriter, r *http.Request) {
	sc, _ := s.tracer.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(r.Header))
	span := s.tracer.StartSpan("reserve-stock", ext.RPCServerOption(sc))
	defer span.Finish()
	span.SetTag("user", span.BaggageItem("user"))
	err := errors.New("out of stock")
	ext.Error.Set(span, true)
	span.LogFields(otlog.String("event", "error"), otlog.Error(err))
	w.WriteHeader(http.StatusInternalServerError)
}

// startSpan is the shop's helper for spans on the global tracer.
func startSpan(ctx context.Context, name string, opts ...opentracing.StartSpanOption) (opentracing.Span, context.Context) {
	return opentracing.StartSpanFromContext(ctx, name, opts...)
}

func serve(h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Shutdown(context.Background()) }
}

func main() {
	var services []*service
	for _, name := range []string{"frontend", "orders", "inventory"} {
		tracer, closer := newTracer(name)
		defer closer.Close()
		services = append(services, newService(name, tracer))
	}
	front, orders, inventory := services[0], services[1], services[2]
	opentracing.SetGlobalTracer(front.tracer)

	invURL, stop := serve(http.HandlerFunc(inventory.stock))
	defer stop()
	orders.next = invURL
	ordURL, stop := serve(orders.middleware(http.HandlerFunc(orders.order)))
	defer stop()
	front.next = ordURL
	frontURL, stop := serve(front.middleware(http.HandlerFunc(front.checkout)))
	defer stop()

	resp, err := http.Get(frontURL + "/checkout")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Fprintln(os.Stdout, "checkout:", resp.StatusCode)
}
