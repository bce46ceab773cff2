// Command calendar is the calendar service: GET /calendar answers a random
// date in the coming year, traced by polytrace.
//
//	TRACING_BACKEND=console go run ./examples/calendar [-router echo|gin|http]
//
// Environment:
//
//	CALENDAR_ADDR    listen address (default :9090)
//	CALENDAR_ROUTER  echo (default), gin or http; the -router flag wins
//	TRACING_BACKEND  otel | datadog | jaeger | console | none (default none)
//
// plus each backend's own variables. SIGINT or SIGTERM shuts it down
// gracefully and flushes spans.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

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
	return svc.Serve(ctx, svc.Env("CALENDAR_ADDR", ":9090"), h, tracer, log)
}
