package calendar_test

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/calendarpb"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// Over gRPC, calendar.v1.Calendar/GetDate answers the same date as GET
// /calendar, in a server span with GetDate under it; health checks are
// served and not traced.
func TestGRPC(t *testing.T) {
	rec := tracingtest.NewRecorder()
	srv := &calendar.Server{Tracer: rec.Tracer(), Service: "calendar",
		Now:  func() time.Time { return time.Date(2026, 12, 30, 23, 0, 0, 0, time.UTC) },
		Days: func() int { return 3 }}
	gs := srv.GRPC()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	defer func() { gs.Stop(); <-served }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	date, err := calendarpb.NewCalendarClient(conn).GetDate(ctx)
	if err != nil || date != "2027-01-02" {
		t.Fatalf("GetDate: %q %v", date, err)
	}
	spans := rec.WaitForSpans(2, 2*time.Second)
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the call's two (health checks are not traced)", len(spans))
	}
	var server, get tracingtest.SpanData
	for _, s := range spans {
		switch s.Name {
		case "calendar.v1.Calendar/GetDate":
			server = s
		case "GetDate":
			get = s
		}
	}
	if server.Kind != tracing.SpanKindServer || server.Service != "calendar" || get.ParentID != server.SpanID ||
		server.AttrString("rpc.service") != "calendar.v1.Calendar" || get.AttrString("calendar.date") != "2027-01-02" {
		t.Errorf("spans: %+v", spans)
	}
}
