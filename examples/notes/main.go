// Command notes is the notes service: a REST API for notes, traced by
// polytrace and reporting to whatever backend TRACING_BACKEND selects.
//
//	TRACING_BACKEND=console go run ./examples/notes
//	curl -X POST 'localhost:8080/notes?desc=hello&add_date=y'
//	curl localhost:8080/metrics   # the tracer's own metrics (Prometheus)
//
// Environment:
//
//	NOTES_ADDR          listen address (default :8080)
//	CALENDAR_PROTOCOL   how to ask calendar for a date: grpc (default) or http
//	CALENDAR_HOST       calendar service host (default localhost)
//	CALENDAR_GRPC_PORT  calendar's gRPC port (default 9091)
//	CALENDAR_GRPC       gRPC target of calendar, overriding the two above
//	CALENDAR_PORT       calendar's HTTP port (default 9090)
//	CALENDAR_URL        full URL of GET /calendar, overriding host and port
//	NOTES_HELPER_DELAY  duration of the tutorial's long-running helper (default 300ms)
//	TRACING_BACKEND     otel | datadog | jaeger | console | none (default none)
//
// plus each backend's own variables (OTEL_*, DD_*, JAEGER_*). SIGINT or
// SIGTERM shuts it down gracefully and flushes spans.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/polytrace/polytrace/examples/internal/notes"
	"github.com/polytrace/polytrace/examples/internal/svc"
)

func main() {
	log := svc.Logger("notes")
	if err := run(context.Background()); err != nil {
		log.Error("notes stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	log := svc.Logger("notes")
	delay, err := time.ParseDuration(svc.Env("NOTES_HELPER_DELAY", "300ms"))
	if err != nil {
		return fmt.Errorf("NOTES_HELPER_DELAY: %w", err)
	}
	host := svc.Env("CALENDAR_HOST", "localhost")
	calendarURL := svc.Env("CALENDAR_URL", "http://"+host+":"+svc.Env("CALENDAR_PORT", "9090")+"/calendar")
	calendarTarget := svc.Env("CALENDAR_GRPC", host+":"+svc.Env("CALENDAR_GRPC_PORT", "9091"))
	protocol := svc.Env("CALENDAR_PROTOCOL", "grpc")
	if protocol != "grpc" && protocol != "http" {
		return fmt.Errorf("CALENDAR_PROTOCOL=%q: want grpc or http", protocol)
	}

	tracer, err := svc.Tracer(ctx, "notes")
	if err != nil {
		return err
	}
	var cal interface {
		Date(ctx context.Context) (string, error)
	}
	if protocol == "grpc" {
		gc, err := notes.NewGRPCCalendarClient(calendarTarget, tracer)
		if err != nil {
			return err
		}
		defer gc.Close()
		cal = gc
		log.Info("calendar", "grpc", calendarTarget)
	} else {
		cal = notes.NewCalendarClient(calendarURL, tracer)
		log.Info("calendar", "url", calendarURL)
	}
	store, err := notes.OpenStore(ctx, tracer)
	if err != nil {
		return err
	}
	defer store.Close()
	srv := &notes.Server{
		Store:       store,
		Calendar:    cal,
		HelperDelay: delay,
		Tracer:      tracer,
	}
	return svc.Serve(ctx, svc.Env("NOTES_ADDR", ":8080"), withMetrics(srv.Routes(), tracer), tracer, log)
}
