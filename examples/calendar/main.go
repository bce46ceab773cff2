// Command calendar is the calendar service: a random date in the coming
// year, over HTTP (GET /calendar) and gRPC (calendar.v1.Calendar/GetDate),
// traced by polytrace.
//
//	TRACING_BACKEND=console go run ./examples/calendar [-router echo|gin|http]
//
// Environment:
//
//	CALENDAR_ADDR       HTTP listen address (default :9090)
//	CALENDAR_GRPC_ADDR  gRPC listen address (default :9091)
//	CALENDAR_ROUTER     echo (default), gin or http; the -router flag wins
//	TRACING_BACKEND  otel | datadog | jaeger | console | none (default none)
//
// plus each backend's own variables. SIGINT or SIGTERM shuts it down
// gracefully and flushes spans.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/svc"
)

func main() {
	router := flag.String("router", svc.Env("CALENDAR_ROUTER", "echo"), "router: "+strings.Join(calendar.Routers, ", "))
	flag.Parse()
	if err := run(context.Background(), *router); err != nil {
		svc.Logger("calendar").Error("calendar stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, router string) error {
	log := svc.Logger("calendar")
	tracer, err := svc.Tracer(ctx, "calendar")
	if err != nil {
		return err
	}
	srv := &calendar.Server{Tracer: tracer}
	h, err := srv.Handler(router)
	if err != nil {
		return fmt.Errorf("-router: %w", err)
	}
	log.Info("router", "name", router)
	ln, err := net.Listen("tcp", svc.Env("CALENDAR_ADDR", ":9090"))
	if err != nil {
		return err
	}
	gln, err := net.Listen("tcp", svc.Env("CALENDAR_GRPC_ADDR", ":9091"))
	if err != nil {
		ln.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return svc.ServeWithGRPC(ctx, ln, h, gln, srv.GRPC(), tracer, log)
}
