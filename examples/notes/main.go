// Command notes is the notes service: a REST API for notes, traced by
// polytrace and reporting to whatever backend TRACING_BACKEND selects.
//
//	TRACING_BACKEND=console go run ./examples/notes
//	curl -X POST 'localhost:8080/notes?desc=hello&add_date=y'
//
// Environment:
//
//	NOTES_ADDR          listen address (default :8080)
//	CALENDAR_HOST       calendar service host (default localhost)
//	CALENDAR_PORT       calendar service port (default 9090)
//	CALENDAR_URL        full URL of GET /calendar, overriding the two above
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
	calendarURL := svc.Env("CALENDAR_URL",
		"http://"+svc.Env("CALENDAR_HOST", "localhost")+":"+svc.Env("CALENDAR_PORT", "9090")+"/calendar")

	tracer, err := svc.Tracer(ctx, "notes")
	if err != nil {
		return err
	}
	store, err := notes.OpenStore(ctx, tracer)
	if err != nil {
		return err
	}
	defer store.Close()
	srv := &notes.Server{
		Store:       store,
		Calendar:    notes.NewCalendarClient(calendarURL, tracer),
		HelperDelay: delay,
		Tracer:      tracer,
	}
	log.Info("calendar", "url", calendarURL)
	return svc.Serve(ctx, svc.Env("NOTES_ADDR", ":8080"), srv.Routes(), tracer, log)
}
