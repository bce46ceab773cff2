package calendar_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEveryRouter(t *testing.T) {
	for _, router := range calendar.Routers {
		t.Run(router, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			srv := &calendar.Server{
				Tracer: rec.Tracer(), Service: "calendar",
				Now:  func() time.Time { return time.Date(2026, 12, 30, 23, 0, 0, 0, time.UTC) },
				Days: func() int { return 3 },
			}
			h, err := srv.Handler(router)
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()

			resp, err := http.Get(ts.URL + "/calendar")
			if err != nil {
				t.Fatal(err)
			}
			var date string
			err = json.NewDecoder(resp.Body).Decode(&date)
			resp.Body.Close()
			if resp.StatusCode != 200 || err != nil || date != "2027-01-02" {
				t.Fatalf("GET /calendar: %d %q %v", resp.StatusCode, date, err)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}

			resp, err = http.Get(ts.URL + "/nope")
			if err != nil || resp.StatusCode != 404 {
				t.Errorf("GET /nope: %v %v", resp.StatusCode, err)
			}
			resp.Body.Close()

			spans := rec.WaitForSpans(3, 2*time.Second)
			var server, get tracingtest.SpanData
			for _, s := range spans {
				switch s.Name {
				case "GET /calendar":
					server = s
				case "GetDate":
					get = s
				}
			}
			if server.Kind != tracing.SpanKindServer || server.AttrString("http.route") != "/calendar" || server.Service != "calendar" {
				t.Errorf("server span %q kind %v route %q service %q", server.Name, server.Kind, server.AttrString("http.route"), server.Service)
			}
			if get.ParentID != server.SpanID || get.TraceID != server.TraceID || get.AttrString("calendar.date") != "2027-01-02" || get.Service != "calendar" {
				t.Errorf("GetDate: parent %s (want %s), attrs %v, service %q", get.ParentID, server.SpanID, get.Attrs, get.Service)
			}
		})
	}
	if _, err := (&calendar.Server{}).Handler("fiber"); err == nil {
		t.Error("an unknown router is accepted")
	}
}

func TestRandomDatesAreInTheComingYear(t *testing.T) {
	srv := &calendar.Server{Tracer: tracing.New(tracing.NoopBackend())}
	ts := httptest.NewServer(srv.Mux())
	defer ts.Close()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for range 50 {
		resp, err := http.Get(ts.URL + "/calendar")
		if err != nil {
			t.Fatal(err)
		}
		var s string
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
		d, err := time.Parse(time.DateOnly, s)
		if err != nil || d.Before(today.AddDate(0, 0, -1)) || d.After(today.AddDate(1, 0, 1)) {
			t.Fatalf("date %q (%v) outside the coming year", s, err)
		}
	}
}
