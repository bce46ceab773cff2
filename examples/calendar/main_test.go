package main

import (
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/examples/internal/svctest"
)

func TestMain(m *testing.M) {
	svctest.MaybeRunMain(main)
	goleak.VerifyTestMain(m)
}

func TestEveryRouterServesAndShutsDown(t *testing.T) {
	for _, router := range []string{"echo", "gin", "http"} {
		t.Run(router, func(t *testing.T) {
			p := svctest.Start(t, []string{"-router", router}, "TRACING_BACKEND=console", "NO_COLOR=1",
				"CALENDAR_ADDR=127.0.0.1:0", "OTEL_SERVICE_NAME=", "DD_SERVICE=", "JAEGER_SERVICE_NAME=")
			resp, err := http.Get("http://" + p.Addr() + "/calendar")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /calendar: %s", resp.Status)
			}
			if err := p.Stop(t); err != nil {
				t.Fatalf("exit: %v\n%s", err, p.Stderr())
			}
			out := p.Stderr()
			for _, want := range []string{"backend=console service=calendar", `"name":"` + router + `"`, "GET /calendar", "└─ GetDate"} {
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
