package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/polytrace/polytrace/examples/internal/calendarpb"
	"github.com/polytrace/polytrace/examples/internal/svctest"
)

// grpcAddr returns the gRPC address of the service's "listening" line.
func grpcAddr(t *testing.T, p *svctest.Process) string {
	t.Helper()
	p.Addr() // the line has been logged
	for _, line := range strings.Split(p.Stderr(), "\n") {
		var rec struct {
			Msg      string
			GRPCAddr string `json:"grpc_addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.GRPCAddr != "" {
			return rec.GRPCAddr
		}
	}
	t.Fatalf("no grpc_addr in the listening line:\n%s", p.Stderr())
	return ""
}

func TestMain(m *testing.M) {
	svctest.MaybeRunMain(main)
	goleak.VerifyTestMain(m)
}

func TestEveryRouterServesAndShutsDown(t *testing.T) {
	for _, router := range []string{"echo", "gin", "http"} {
		t.Run(router, func(t *testing.T) {
			p := svctest.Start(t, []string{"-router", router}, "TRACING_BACKEND=console", "NO_COLOR=1",
				"CALENDAR_ADDR=127.0.0.1:0", "CALENDAR_GRPC_ADDR=127.0.0.1:0", "OTEL_SERVICE_NAME=", "DD_SERVICE=", "JAEGER_SERVICE_NAME=")
			resp, err := http.Get("http://" + p.Addr() + "/calendar")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /calendar: %s", resp.Status)
			}
			// The same service over gRPC.
			conn, err := grpc.NewClient(grpcAddr(t, p), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			date, err := calendarpb.NewCalendarClient(conn).GetDate(ctx)
			cancel()
			conn.Close()
			if _, perr := time.Parse(time.DateOnly, date); err != nil || perr != nil {
				t.Errorf("GetDate over gRPC: %q, %v", date, err)
			}
			if err := p.Stop(t); err != nil {
				t.Fatalf("exit: %v\n%s", err, p.Stderr())
			}
			out := p.Stderr()
			for _, want := range []string{"backend=console service=calendar", `"name":"` + router + `"`, "GET /calendar", "└─ GetDate",
				"calendar.v1.Calendar/GetDate  server"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestUnknownRouter(t *testing.T) {
	t.Setenv("TRACING_BACKEND", "")
	if err := run(t.Context(), "fiber"); err == nil || !strings.Contains(err.Error(), "unknown router") {
		t.Errorf("run with router fiber: %v", err)
	}
}
