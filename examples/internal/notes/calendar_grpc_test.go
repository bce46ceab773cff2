package notes_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/notes"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// With the calendar called over gRPC, the create-with-date trace is one
// tree across both services: POST /notes → CreateNote → the gRPC client
// span → calendar's gRPC server span → GetDate, with the INSERT under
// CreateNote. With calendar down, the call fails (Unavailable), the
// client span is failed and notes answers 502.
func TestCalendarOverGRPC(t *testing.T) {
	rec := tracingtest.NewRecorder()
	tracer := rec.Tracer()
	cal := &calendar.Server{Tracer: tracer, Service: "calendar",
		Now: func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }, Days: func() int { return 30 }}
	client, stop := serveCalendarGRPC(t, cal, tracer)
	store, err := notes.OpenStore(context.Background(), tracer)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer((&notes.Server{Store: store, Calendar: client, Tracer: tracer}).Routes())
	defer srv.Close()
	e := &env{rec: rec, notes: srv}

	status, body := e.do(t, "POST", "/notes?desc=dentist&add_date=y")
	if status != http.StatusCreated || !equalJSON(body, note(1, "dentist with date 2026-01-31")) {
		t.Fatalf("create with date: %d %v", status, body)
	}
	spans := rec.WaitForSpans(6, 5*time.Second)
	server := only(t, spans, "POST /notes")
	create := only(t, spans, "CreateNote")
	var cli, gsrv tracingtest.SpanData
	for _, s := range tracingtest.Named(spans, "calendar.v1.Calendar/GetDate") {
		switch s.Kind {
		case tracing.SpanKindClient:
			cli = s
		case tracing.SpanKindServer:
			gsrv = s
		}
	}
	date := only(t, spans, "GetDate")
	insert := only(t, spans, "INSERT notes")
	for _, c := range []struct {
		child, parent tracingtest.SpanData
	}{{create, server}, {cli, create}, {gsrv, cli}, {date, gsrv}, {insert, create}} {
		if c.child.ParentID != c.parent.SpanID || c.child.TraceID != server.TraceID {
			t.Errorf("%s (%v) is not a child of %s (%v) in trace %s", c.child.Name, c.child.Kind, c.parent.Name, c.parent.Kind, server.TraceID)
		}
	}
	if gsrv.Service != "calendar" || gsrv.AttrString("rpc.grpc.status_code") != "0" || cli.Status != tracing.StatusUnset {
		t.Errorf("gRPC spans: server service %q code %s, client status %v", gsrv.Service, gsrv.AttrString("rpc.grpc.status_code"), cli.Status)
	}

	stop()
	rec.Reset()
	status, _ = e.do(t, "POST", "/notes?desc=party&add_date=y")
	if status != http.StatusBadGateway {
		t.Fatalf("create with calendar down: %d, want 502", status)
	}
	spans = rec.WaitForSpans(3, 5*time.Second)
	for _, s := range spans {
		if s.Kind == tracing.SpanKindClient && (s.Status != tracing.StatusError || s.AttrString("rpc.grpc.status_code") != "14") {
			t.Errorf("the failed call's span: status %v, code %s; want error, 14 (Unavailable)", s.Status, s.AttrString("rpc.grpc.status_code"))
		}
	}
}

// serveCalendarGRPC serves cal over gRPC on a loopback port until the test
// ends and returns a notes client of it (closed when the test ends) and a
// function that stops the server (at once; the test's end does it too).
func serveCalendarGRPC(t *testing.T, cal *calendar.Server, tracer *tracing.Tracer) (*notes.GRPCCalendarClient, func()) {
	t.Helper()
	gs := cal.GRPC()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	stop := func() { gs.Stop(); <-served }
	client, err := notes.NewGRPCCalendarClient(lis.Addr().String(), tracer)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); stop() })
	return client, stop
}
