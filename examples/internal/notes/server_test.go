package notes_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/notes"
	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// env is a notes service backed by a real calendar service, both traced
// into one recorder.
type env struct {
	rec      *tracingtest.Recorder
	notes    *httptest.Server
	calendar *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	rec := tracingtest.NewRecorder()
	tracer := rec.Tracer()
	cal := &calendar.Server{Tracer: tracer, Now: func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }, Days: func() int { return 30 }}
	calSrv := httptest.NewServer(cal.Echo())
	t.Cleanup(calSrv.Close)
	store, err := notes.OpenStore(context.Background(), tracer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := &notes.Server{Store: store, Calendar: notes.NewCalendarClient(calSrv.URL+"/calendar", tracer), Tracer: tracer}
	notesSrv := httptest.NewServer(srv.Routes())
	t.Cleanup(notesSrv.Close)
	return &env{rec: rec, notes: notesSrv, calendar: calSrv}
}

// do sends a request and returns the status and the decoded JSON body.
func (e *env) do(t *testing.T, method, path string) (int, any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.notes.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
	}
	return resp.StatusCode, v
}

func note(id float64, desc string) map[string]any {
	return map[string]any{"id": id, "description": desc}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", notes.MaxDescription+1)
	steps := []struct {
		method, path string
		status       int
		body         any
	}{
		{"GET", "/notes", 200, []any{}},
		{"POST", "/notes?desc=buy+milk", 201, note(1, "buy milk")},
		{"POST", "/notes?desc=dentist&add_date=y", 201, note(2, "dentist with date 2026-01-31")},
		{"POST", "/notes?desc=+call+mum+&add_date=n", 201, note(3, "call mum")},
		{"GET", "/notes/1", 200, note(1, "buy milk")},
		{"GET", "/notes", 200, []any{note(1, "buy milk"), note(2, "dentist with date 2026-01-31"), note(3, "call mum")}},
		{"PUT", "/notes/1?desc=buy+oat+milk", 200, note(1, "buy oat milk")},
		{"GET", "/notes/1", 200, note(1, "buy oat milk")},
		{"DELETE", "/notes/3", 200, map[string]any{"deleted": 3.0}},
		// Ids are never reused, even for the newest note.
		{"POST", "/notes?desc=again", 201, note(4, "again")},
		// Errors.
		{"GET", "/notes/3", 404, map[string]any{"error": "note not found"}},
		{"PUT", "/notes/3?desc=x", 404, map[string]any{"error": "note not found"}},
		{"DELETE", "/notes/3", 404, map[string]any{"error": "note not found"}},
		{"GET", "/notes/abc", 400, map[string]any{"error": "note id must be a positive integer"}},
		{"GET", "/notes/0", 400, map[string]any{"error": "note id must be a positive integer"}},
		{"DELETE", "/notes/-1", 400, map[string]any{"error": "note id must be a positive integer"}},
		{"POST", "/notes", 400, map[string]any{"error": "desc is required"}},
		{"POST", "/notes?desc=+++", 400, map[string]any{"error": "desc is required"}},
		{"POST", "/notes?desc=" + long, 400, map[string]any{"error": "desc is longer than 1000 characters"}},
		{"POST", "/notes?desc=%ff", 400, map[string]any{"error": "desc must be UTF-8 text"}},
		{"POST", "/notes?desc=x&add_date=maybe", 400, map[string]any{"error": "add_date must be y or n"}},
		{"PUT", "/notes/1", 400, map[string]any{"error": "desc is required"}},
	}
	for _, s := range steps {
		status, body := e.do(t, s.method, s.path)
		if status != s.status {
			t.Errorf("%s %.40s: status %d, want %d (body %v)", s.method, s.path, status, s.status, body)
			continue
		}
		if !equalJSON(body, s.body) {
			t.Errorf("%s %.40s: body %v, want %v", s.method, s.path, body, s.body)
		}
	}
	// Unknown routes and methods are chi's.
	resp, err := http.Get(e.notes.URL + "/nope")
	if err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /nope: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("PATCH", e.notes.URL+"/notes/1", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Errorf("PATCH /notes/1: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestCalendarFailures(t *testing.T) {
	e := newEnv(t)
	// The calendar answers 500.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }))
	defer broken.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`"not a date"`)) }))
	defer garbage.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(notes.CalendarTimeout + 2*time.Second):
		}
	}))
	defer slow.Close()
	e.calendar.Close() // and the real one is down

	rec := e.rec
	for _, c := range []struct {
		url  string
		want []string // any of
	}{
		{e.calendar.URL + "/calendar", []string{"connection refused"}},
		{broken.URL, []string{"500 Internal Server Error"}},
		{garbage.URL, []string{`answer "not a date" is not a date`}},
		// net/http words a client timeout "request canceled
		// (Client.Timeout exceeded …)" or "context deadline exceeded",
		// depending on which of its timers notices first.
		{slow.URL, []string{"Client.Timeout exceeded", "context deadline exceeded"}},
	} {
		store, _ := notes.OpenStore(context.Background(), rec.Tracer())
		srv := &notes.Server{Store: store, Calendar: notes.NewCalendarClient(c.url, rec.Tracer()), Tracer: rec.Tracer()}
		ts := httptest.NewServer(srv.Routes())
		resp, err := http.Post(ts.URL+"/notes?desc=x&add_date=y", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		found := slices.ContainsFunc(c.want, func(w string) bool { return strings.Contains(body["error"], w) })
		if resp.StatusCode != 502 || !strings.Contains(body["error"], "calendar unavailable") || !found {
			t.Errorf("calendar %s: %d %q, want 502 with %q", c.url, resp.StatusCode, body["error"], c.want)
		}
		// No note was created without its date.
		list, _ := store.List(context.Background())
		if len(list) != 0 {
			t.Errorf("a note was created although the calendar failed: %v", list)
		}
		ts.Close()
		store.Close()
	}
}

// TestCreateWithDateTrace checks the whole trace of a note created with a
// date: notes' server span → CreateNote → the client span → calendar's
// server span → GetDate, and the SQL span, in one trace.
func TestCreateWithDateTrace(t *testing.T) {
	e := newEnv(t)
	if status, _ := e.do(t, "POST", "/notes?desc=x&add_date=y"); status != 201 {
		t.Fatalf("status %d", status)
	}
	spans := e.rec.WaitFor(2*time.Second, func(s []tracingtest.SpanData) bool {
		return len(tracingtest.Named(s, "POST /notes")) == 1 && len(tracingtest.Named(s, "GET /calendar")) == 1
	})
	server := only(t, spans, "POST /notes")
	create := only(t, spans, "CreateNote")
	client := only(t, spans, "GET")
	calServer := only(t, spans, "GET /calendar")
	getDate := only(t, spans, "GetDate")
	insert := only(t, spans, "INSERT notes")

	for _, s := range []tracingtest.SpanData{create, client, calServer, getDate, insert} {
		if s.TraceID != server.TraceID {
			t.Errorf("%s is in trace %s, want %s", s.Name, s.TraceID, server.TraceID)
		}
	}
	parent := func(child, p tracingtest.SpanData) {
		t.Helper()
		if child.ParentID != p.SpanID {
			t.Errorf("%s's parent is %s, want %s (%s)", child.Name, child.ParentID, p.Name, p.SpanID)
		}
	}
	if !server.IsRoot() {
		t.Error("notes' server span has a parent")
	}
	parent(create, server)
	parent(client, create)
	parent(calServer, client)
	parent(getDate, calServer)
	parent(insert, create)

	kinds := map[string]tracing.SpanKind{"POST /notes": tracing.SpanKindServer, "GET": tracing.SpanKindClient, "GET /calendar": tracing.SpanKindServer, "INSERT notes": tracing.SpanKindClient, "CreateNote": tracing.SpanKindInternal}
	for name, k := range kinds {
		if s := only(t, spans, name); s.Kind != k {
			t.Errorf("%s: kind %v, want %v", name, s.Kind, k)
		}
	}
	if client.Resource != "GET /calendar" || client.Type != "http" {
		t.Errorf("client span resource %q type %q", client.Resource, client.Type)
	}
	if insert.Service != "db" || insert.Type != "sql" || insert.AttrString("db.system.name") != "sqlite" {
		t.Errorf("sql span service %q type %q system %q", insert.Service, insert.Type, insert.AttrString("db.system.name"))
	}
	if strings.Contains(insert.AttrString("db.query.text"), "dentist") {
		t.Error("the SQL argument reached the span")
	}
	if create.AttrString("note.date") != "2026-01-31" || create.AttrString("note.id") != "1" {
		t.Errorf("CreateNote attributes %v", create.Attrs)
	}
	if server.AttrString("http.response.status_code") != "201" || server.AttrString("http.route") != "/notes" {
		t.Errorf("server span attributes %v", server.Attrs)
	}
}

func only(t *testing.T, spans []tracingtest.SpanData, name string) tracingtest.SpanData {
	t.Helper()
	n := tracingtest.Named(spans, name)
	if len(n) != 1 {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("%d spans named %q among %v", len(n), name, names)
	}
	return n[0]
}

func TestSpansOfErrors(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/notes/42")
	e.calendar.Close()
	e.do(t, "POST", "/notes?desc=x&add_date=y")
	spans := e.rec.WaitFor(2*time.Second, func(s []tracingtest.SpanData) bool {
		return len(tracingtest.Named(s, "GET /notes/{id}")) == 1 && len(tracingtest.Named(s, "POST /notes")) == 1
	})
	// Not found: a client error, recorded but not failing anything.
	for _, name := range []string{"GET /notes/{id}", "GetNote"} {
		if s := only(t, spans, name); s.Status == tracing.StatusError {
			t.Errorf("%s failed on a 404", name)
		}
	}
	if ev, ok := only(t, spans, "GetNote").Event("rejected"); !ok || ev.Attrs[0].Value.String() != "note not found" {
		t.Error("GetNote does not say why it was rejected")
	}
	// Calendar down: the client span, CreateNote and the 502 server span fail.
	for _, name := range []string{"GET", "CreateNote", "POST /notes"} {
		if s := only(t, spans, name); s.Status != tracing.StatusError {
			t.Errorf("%s did not fail when the calendar was down", name)
		}
	}
	if s := only(t, spans, "CreateNote"); !strings.Contains(s.ErrorMessage, "connection refused") {
		t.Errorf("CreateNote error %q", s.ErrorMessage)
	}
}

func TestListRunsTheHelpers(t *testing.T) {
	e := newEnv(t)
	e.do(t, "GET", "/notes")
	spans := e.rec.WaitFor(2*time.Second, func(s []tracingtest.SpanData) bool { return len(tracingtest.Named(s, "GET /notes")) == 1 })
	list := only(t, spans, "GetAllNotes")
	long := only(t, spans, "NotesHelper.doLongRunningProcess")
	private := only(t, spans, "NotesHelper.privateMethod1")
	another := only(t, spans, "NotesHelper.anotherProcess")
	if long.ParentID != list.SpanID || another.ParentID != list.SpanID || private.ParentID != long.SpanID {
		t.Error("helper spans are not nested as in the tutorial")
	}
	if private.Service != "noteshelper" || private.Type != "web" || private.Resource != "privateMethod1" {
		t.Errorf("privateMethod1: service %q type %q resource %q", private.Service, private.Type, private.Resource)
	}
}

func TestHealthIsNotTraced(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.notes.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	e.do(t, "GET", "/notes/1") // a traced request after it
	spans := e.rec.WaitFor(2*time.Second, func(s []tracingtest.SpanData) bool { return len(tracingtest.Named(s, "GET /notes/{id}")) == 1 })
	for _, s := range spans {
		if strings.Contains(s.Name, "health") {
			t.Errorf("health check traced: %s", s.Name)
		}
	}
}
