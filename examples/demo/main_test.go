package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDemo runs the demo on every calendar router and checks that each
// request got its answer and its trace, drawn as one tree across both
// services.
func TestDemo(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	t.Setenv("COLUMNS", "")
	for _, router := range []string{"echo", "gin", "http"} {
		t.Run(router, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(&out, "console", router, 0); err != nil {
				t.Fatal(err)
			}
			s := out.String()
			statuses := regexp.MustCompile(`← (\d{3})`).FindAllStringSubmatch(s, -1)
			var got []string
			for _, m := range statuses {
				got = append(got, m[1])
			}
			if want := "200 201 200 200 201 200 200 404 400 502"; strings.Join(got, " ") != want {
				t.Errorf("statuses %v, want %s\n%s", got, want, s)
			}
			// It fits a 100-column terminal: the trees, the startup line
			// and the answers.
			for _, l := range strings.Split(s, "\n") {
				if n := utf8.RuneCountInString(l); n > 100 {
					t.Errorf("line of %d columns: %q", n, l)
				}
			}
			if strings.Contains(s, "destination=writer") {
				t.Error("the startup line says destination=writer")
			}
			if n := strings.Count(s, "   trace "); n != len(steps) {
				t.Errorf("%d traces drawn for %d requests:\n%s", n, len(steps), s)
			}
			// The create-with-date tree spans both services: HTTP → gRPC
			// → GetDate, and SQL.
			for _, want := range []string{
				"      ├─ calendar.v1.Calendar/GetDate     client", "      │  └─ calendar.v1.Calendar/GetDate  server",
				"      │     └─ GetDate", "      └─ INSERT notes",
				"NotesHelper.privateMethod1", "service=noteshelper", "✗ HTTP 502", "code = Unavailable",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("output lacks %q:\n%s", want, s)
				}
			}
		})
	}
}
