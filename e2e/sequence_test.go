//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// privateMarker is in every note description the test sends (in query
// strings, and so in the SQL arguments): no span may contain it.
const privateMarker = "quokka7"

// step is one request of the sequence and the trace it must make.
type step struct {
	name         string
	method, path string
	status       int    // the response's status
	route        string // the server span's route
	handler      string // the notes handler span under the server span
	sql          string // db.operation.name of the one SQL span under the handler; "" for none
	helpers      bool   // the long-running helper's spans under the handler (GET /notes)
	calendar     bool   // calls calendar, which answers: client span → calendar's server span → GetDate
	calendarDown bool   // calendar is stopped before this step: the client span fails
}

// sequence is the demo's (examples/demo) without its bad-input request.
var sequence = []step{
	{name: "list", method: "GET", path: "/notes", status: 200, route: "/notes", handler: "GetAllNotes", sql: "SELECT", helpers: true},
	{name: "create", method: "POST", path: "/notes?desc=buy+milk+" + privateMarker, status: 201, route: "/notes", handler: "CreateNote", sql: "INSERT"},
	{name: "read", method: "GET", path: "/notes/1", status: 200, route: "/notes/{id}", handler: "GetNote", sql: "SELECT"},
	{name: "update", method: "PUT", path: "/notes/1?desc=buy+oat+milk+" + privateMarker, status: 200, route: "/notes/{id}", handler: "UpdateNote", sql: "UPDATE"},
	{name: "create-with-date", method: "POST", path: "/notes?desc=dentist+" + privateMarker + "&add_date=y", status: 201, route: "/notes", handler: "CreateNote", sql: "INSERT", calendar: true},
	{name: "list-again", method: "GET", path: "/notes", status: 200, route: "/notes", handler: "GetAllNotes", sql: "SELECT", helpers: true},
	{name: "delete", method: "DELETE", path: "/notes/1", status: 200, route: "/notes/{id}", handler: "DeleteNote", sql: "DELETE"},
	{name: "read-deleted", method: "GET", path: "/notes/1", status: 404, route: "/notes/{id}", handler: "GetNote", sql: "SELECT"},
	{name: "calendar-down", method: "POST", path: "/notes?desc=party+" + privateMarker + "&add_date=y", status: 502, route: "/notes", handler: "CreateNote", calendarDown: true},
}

// spanCount is the number of spans the step's trace has.
func (s step) spanCount() int {
	n := 2 // server span and handler span
	if s.sql != "" {
		n++
	}
	if s.helpers {
		n += 3 // doLongRunningProcess → privateMethod1, anotherProcess
	}
	if s.calendar {
		n += 3 // client span, calendar's server span, GetDate
	}
	if s.calendarDown {
		n++ // the failed client span
	}
	return n
}

// userAgent identifies the step's request, and so its trace: the server
// spans of every backend record the User-Agent.
func userAgent(leg string, i int, s step) string {
	return fmt.Sprintf("polytrace-e2e/%s/%02d-%s", leg, i+1, s.name)
}

// runSequence sends the sequence to notes at base, calling stopCalendar
// before the step that needs calendar down. A wrong status is an error of
// the test, but the sequence goes on: the traces are checked all the same.
func runSequence(t *testing.T, leg, base string, stopCalendar func()) {
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i, s := range sequence {
		if s.calendarDown {
			stopCalendar()
		}
		req, err := http.NewRequest(s.method, base+s.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", userAgent(leg, i, s))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("step %d %s: %s %s: %v", i+1, s.name, s.method, s.path, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Errorf("step %d %s: %s %s: %s, want %d: %s", i+1, s.name, s.method, s.path, resp.Status, s.status, body)
		}
		if s.calendar && !strings.Contains(string(body), " with date ") {
			t.Errorf("step %d %s: the note has no date from calendar: %s", i+1, s.name, body)
		}
	}
}
