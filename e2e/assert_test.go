//go:build e2e

package e2e

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// checkServices: Jaeger, fresh for the leg, knows exactly the leg's two
// services. The per-span services (db, noteshelper) are never services of
// their own: the backends keep them as a span tag (otel, jaeger) or lose
// them (datadog through the collector).
func checkServices(t *testing.T, notesSvc, calSvc string, services []string) {
	t.Helper()
	want := []string{calSvc, notesSvc}
	if !slices.Equal(services, want) {
		t.Errorf("Jaeger's services: %q, want %q", services, want)
	}
}

// checkTraces checks every trace Jaeger has for the leg's services against
// the sequence.
func checkTraces(t *testing.T, lg leg, notesSvc, calSvc string, notesTraces, calTraces []*trace) {
	t.Helper()
	m := lg.m
	byStep := make([][]*trace, len(sequence))
	for _, tr := range notesTraces {
		if !checkTraceShape(t, m, tr) {
			continue
		}
		ua := tr.roots()[0].tagString("user_agent.original")
		i := -1
		for j, s := range sequence {
			if userAgent(lg.name, j, s) == ua {
				i = j
			}
		}
		if i < 0 {
			t.Errorf("a trace of %s that no request of the sequence made (user_agent.original %q):\n%s", notesSvc, ua, tr.dump())
			continue
		}
		byStep[i] = append(byStep[i], tr)
	}
	// Nothing missing, nothing twice: one trace per request.
	for i, s := range sequence {
		switch trs := byStep[i]; len(trs) {
		case 1:
			t.Run(strings.Join([]string{strconv.Itoa(i + 1), s.name}, "-"), func(t *testing.T) {
				checkStep(t, m, s, notesSvc, calSvc, trs[0])
			})
		case 0:
			t.Errorf("step %d %s (%s %s): no trace in Jaeger", i+1, s.name, s.method, s.path)
		default:
			var dumps []string
			for _, tr := range trs {
				dumps = append(dumps, tr.dump())
			}
			t.Errorf("step %d %s (%s %s): %d traces, want 1:\n%s", i+1, s.name, s.method, s.path, len(trs), strings.Join(dumps, "\n"))
		}
	}
	// calendar served one request: its only trace is the create-with-date one.
	withDate := slices.IndexFunc(sequence, func(s step) bool { return s.calendar })
	if len(calTraces) != 1 {
		t.Errorf("%s has %d traces, want 1 (the create-with-date request)", calSvc, len(calTraces))
	} else if len(byStep[withDate]) == 1 && calTraces[0].TraceID != byStep[withDate][0].TraceID {
		t.Errorf("%s's trace is %s, not the create-with-date trace %s:\n%s",
			calSvc, calTraces[0].TraceID, byStep[withDate][0].TraceID, calTraces[0].dump())
	}
	checkNoPrivateData(t, notesTraces)
}

// checkTraceShape checks what every trace must be: a 128-bit trace id,
// one root, and every other span a CHILD_OF a span of the same trace. It
// reports whether the trace can be checked further.
func checkTraceShape(t *testing.T, m mapping, tr *trace) bool {
	t.Helper()
	ok := true
	if len(tr.TraceID) != 32 || strings.Trim(tr.TraceID[:16], "0") == "" {
		t.Errorf("trace id %s is not a 128-bit id (Jaeger prints those as 32 hex digits, the high half non-zero)", tr.TraceID)
		ok = false
	}
	for id, p := range tr.Processes {
		if !slices.ContainsFunc(p.Tags, func(tg tag) bool { return tg.Key == m.sdkKey && strings.HasPrefix(tg.String(), m.sdkPrefix) }) {
			var tags []string
			for _, tg := range p.Tags {
				tags = append(tags, tg.Key+"="+tg.String())
			}
			t.Errorf("trace %s: process %s (%s) lacks the tag %s=%s…, so another tracer sent it: %s",
				tr.TraceID, id, p.ServiceName, m.sdkKey, m.sdkPrefix, strings.Join(tags, ", "))
		}
	}
	if len(tr.Warnings) > 0 {
		t.Errorf("trace %s: Jaeger's warnings %q", tr.TraceID, tr.Warnings)
	}
	roots := tr.roots()
	if len(roots) != 1 {
		t.Errorf("trace %s has %d root spans, want 1:\n%s", tr.TraceID, len(roots), tr.dump())
		ok = false
	}
	for _, s := range tr.Spans {
		if s.TraceID != tr.TraceID {
			t.Errorf("trace %s holds a span of trace %s: %s", tr.TraceID, s.TraceID, s)
		}
		if len(s.Warnings) > 0 {
			t.Errorf("trace %s: Jaeger's warnings %q on %s", tr.TraceID, s.Warnings, s)
		}
		if len(s.References) == 0 {
			continue
		}
		r := s.References[0]
		switch {
		case len(s.References) != 1 || r.RefType != "CHILD_OF":
			t.Errorf("trace %s: span has references %+v, want one CHILD_OF: %s", tr.TraceID, s.References, s)
			ok = false
		case r.TraceID != tr.TraceID:
			t.Errorf("trace %s: span's parent is in trace %s: %s", tr.TraceID, r.TraceID, s)
			ok = false
		case tr.byID[r.SpanID] == nil:
			t.Errorf("trace %s: span's parent %s is missing:\n%s", tr.TraceID, r.SpanID, tr.dump())
			ok = false
		}
	}
	if ok && m.ddIDs {
		root := roots[0]
		if tid := root.tagString("_dd.p.tid"); tid != tr.TraceID[:16] {
			t.Errorf("trace %s: the high half is not the root's _dd.p.tid %q: %s", tr.TraceID, tid, root)
		}
		low, _ := strconv.ParseUint(tr.TraceID[16:], 16, 64)
		if got := root.tagString("datadog.trace.id"); got != strconv.FormatUint(low, 10) {
			t.Errorf("trace %s: the low half is not the root's datadog.trace.id %q: %s", tr.TraceID, got, root)
		}
	}
	return ok
}

// checkStep checks the trace of one request: its whole tree, span by span.
func checkStep(t *testing.T, m mapping, s step, notesSvc, calSvc string, tr *trace) {
	t.Helper()
	if len(tr.Spans) != s.spanCount() {
		t.Errorf("%d spans, want %d", len(tr.Spans), s.spanCount())
	}
	defer func() {
		if t.Failed() {
			t.Logf("the trace in Jaeger:\n%s", tr.dump())
		}
	}()
	fail5xx := s.status >= 500

	root := tr.roots()[0]
	checkServerSpan(t, m, root, notesSvc, s.method, s.route, s.status)
	if s.status >= 400 && s.status < 500 && root.tagString("otel.status_code") == "ERROR" {
		t.Errorf("a %d is not a server error, but the server span's otel.status_code is ERROR: %s", s.status, root)
	}

	handler := onlyChild(t, tr, root, "the handler span")
	if handler == nil {
		return
	}
	checkSpan(t, handler, notesSvc, s.handler, fail5xx)
	if s.status >= 400 && s.status < 500 {
		checkRejected(t, m, handler)
	}

	var sqls, others []*span
	for _, c := range tr.children(handler) {
		if _, ok := c.tag("db.operation.name"); ok {
			sqls = append(sqls, c)
		} else {
			others = append(others, c)
		}
	}
	if s.sql == "" {
		if len(sqls) > 0 {
			t.Errorf("SQL spans under %s, want none: %v", s.handler, sqls)
		}
	} else if len(sqls) != 1 {
		t.Errorf("%d SQL spans under %s, want one %s: %v", len(sqls), s.handler, s.sql, sqls)
	} else {
		checkSQLSpan(t, m, sqls[0], notesSvc, s.sql)
	}

	var wantOthers []string
	if s.helpers {
		wantOthers = append(wantOthers, "NotesHelper.doLongRunningProcess", "NotesHelper.anotherProcess")
	}
	if s.calendar || s.calendarDown {
		wantOthers = append(wantOthers, m.clientOp)
	}
	var gotOthers []string
	for _, c := range others {
		gotOthers = append(gotOthers, c.OperationName)
	}
	slices.Sort(gotOthers)
	slices.Sort(wantOthers)
	if !slices.Equal(gotOthers, wantOthers) {
		t.Errorf("spans under %s (besides SQL): %q, want %q", s.handler, gotOthers, wantOthers)
	}
	for _, c := range others {
		switch c.OperationName {
		case "NotesHelper.doLongRunningProcess":
			checkSpan(t, c, notesSvc, c.OperationName, false)
			if p := onlyChild(t, tr, c, "privateMethod1"); p != nil {
				checkSpan(t, p, notesSvc, "NotesHelper.privateMethod1", false)
				checkServiceOverride(t, m, p, notesSvc, "noteshelper")
			}
		case "NotesHelper.anotherProcess":
			checkSpan(t, c, notesSvc, c.OperationName, false)
			if cs := tr.children(c); len(cs) > 0 {
				t.Errorf("anotherProcess has children: %v", cs)
			}
		case m.clientOp:
			checkClientSpan(t, m, tr, c, s, notesSvc, calSvc)
		}
	}
}

// checkClientSpan checks the calendar call, made over gRPC, and, when
// calendar answered, calendar's side of the trace: notes' gRPC client span
// → calendar's gRPC server span → GetDate.
func checkClientSpan(t *testing.T, m mapping, tr *trace, c *span, s step, notesSvc, calSvc string) {
	t.Helper()
	checkSpan(t, c, notesSvc, m.clientOp, s.calendarDown)
	checkRPCSpan(t, m, c, "client", s.calendarDown)
	if s.calendarDown {
		// Nothing answered: no calendar span.
		if cs := tr.children(c); len(cs) > 0 {
			t.Errorf("calendar was down, yet the client span has children: %v", cs)
		}
		return
	}
	server := onlyChild(t, tr, c, "calendar's gRPC server span")
	if server == nil {
		return
	}
	checkSpan(t, server, calSvc, m.rpcServerOp, false)
	checkRPCSpan(t, m, server, "server", false)
	if date := onlyChild(t, tr, server, "GetDate"); date != nil {
		checkSpan(t, date, calSvc, "GetDate", false)
		if d := date.tagString("calendar.date"); len(d) != len("2006-01-02") {
			t.Errorf("GetDate's calendar.date is %q: %s", d, date)
		}
	}
}

// checkRPCSpan checks the tags of a gRPC span in the backend's keys: its
// kind, what says gRPC, the service and method, the status code (OK, or
// Unavailable when calendar was down), and none of the HTTP keys.
func checkRPCSpan(t *testing.T, m mapping, s *span, kind string, down bool) {
	t.Helper()
	checkTag(t, s, "span.kind", "string", kind)
	for k, v := range m.rpcTags {
		checkTag(t, s, k, "string", v)
	}
	code := m.rpcCodeOK
	if down {
		code = m.rpcCodeDown
	}
	checkTag(t, s, m.rpcCodeKey, m.rpcCodeType, code)
	for _, k := range []string{m.methodKey, m.statusKey, "http.route", "http.url", "url.full"} {
		if tg, ok := s.tag(k); ok {
			t.Errorf("a gRPC span has the HTTP tag %s=%v: %s", k, tg.Value, s)
		}
	}
}

// checkServerSpan checks an HTTP server span: operation, kind, method,
// route, status in the backend's key and type, resource, error mark.
func checkServerSpan(t *testing.T, m mapping, s *span, service, method, route string, status int) {
	t.Helper()
	checkSpan(t, s, service, m.serverOp(method, route), status >= 500)
	checkTag(t, s, "span.kind", "string", "server")
	checkTag(t, s, m.methodKey, "string", method)
	checkTag(t, s, "http.route", "string", route)
	checkTag(t, s, m.statusKey, m.statusType, strconv.Itoa(status))
	checkTag(t, s, m.resourceKey, "string", method+" "+route)
	checkWrongKeys(t, m, s)
}

// checkSQLSpan checks a database span: operation, kind, statement (never
// its arguments) and service.
func checkSQLSpan(t *testing.T, m mapping, s *span, service, op string) {
	t.Helper()
	checkSpan(t, s, service, m.sqlOp(op), false)
	checkTag(t, s, "span.kind", "string", "client")
	text := s.tagString(m.sqlTextKey)
	if !strings.HasPrefix(text, op+" ") || !strings.Contains(text, "notes") {
		t.Errorf("%s span's %s is %q, want the %s statement: %s", op, m.sqlTextKey, text, op, s)
	}
	checkServiceOverride(t, m, s, service, "db")
}

// checkServiceOverride checks how a span started WithService(override)
// shows in Jaeger.
func checkServiceOverride(t *testing.T, m mapping, s *span, service, override string) {
	t.Helper()
	switch m.serviceOverride {
	case "tag":
		checkTag(t, s, "service.name", "string", override)
	case "base":
		// The datadog receiver replaces the span's service by
		// _dd.base_service before grouping spans into resources.
		checkTag(t, s, "_dd.base_service", "string", service)
		if _, ok := s.tag("service.name"); ok {
			t.Errorf("a service.name tag: %s", s)
		}
	}
}

// checkSpan checks the service, operation and error mark of a span.
func checkSpan(t *testing.T, s *span, service, op string, failed bool) {
	t.Helper()
	if s.service != service {
		t.Errorf("span of service %q, want %q: %s", s.service, service, s)
	}
	if s.OperationName != op {
		t.Errorf("operation %q, want %q: %s", s.OperationName, op, s)
	}
	if s.failed() != failed {
		t.Errorf("error=%v, want %v: %s", s.failed(), failed, s)
	}
	if failed && s.tagString("otel.status_code") != "ERROR" {
		t.Errorf("failed span without otel.status_code=ERROR: %s", s)
	}
}

// checkTag checks that the span has the tag with that type and value.
func checkTag(t *testing.T, s *span, key, typ, value string) {
	t.Helper()
	tg, ok := s.tag(key)
	switch {
	case !ok:
		t.Errorf("no tag %s (want %s %q): %s", key, typ, value, s)
	case tg.Type != typ || tg.String() != value:
		t.Errorf("tag %s is %s %q, want %s %q: %s", key, tg.Type, tg.String(), typ, value, s)
	}
}

// checkWrongKeys checks that an HTTP span has none of the keys the backend
// maps to others.
func checkWrongKeys(t *testing.T, m mapping, s *span) {
	t.Helper()
	for _, k := range m.wrongKeys {
		if tg, ok := s.tag(k); ok {
			t.Errorf("tag %s=%v in the wrong key for this backend: %s", k, tg.Value, s)
		}
	}
}

// onlyChild returns the one child of s, or reports an error and returns nil.
func onlyChild(t *testing.T, tr *trace, s *span, what string) *span {
	t.Helper()
	cs := tr.children(s)
	if len(cs) != 1 {
		t.Errorf("%d spans under %q, want one (%s): %v", len(cs), s.OperationName, what, cs)
		return nil
	}
	return cs[0]
}

// checkNoPrivateData checks that no tag or log of any span holds a note
// description: query values and SQL arguments stay out of spans.
func checkNoPrivateData(t *testing.T, traces []*trace) {
	t.Helper()
	for _, tr := range traces {
		for _, s := range tr.Spans {
			fields := s.Tags
			for _, l := range s.Logs {
				fields = append(fields[:len(fields):len(fields)], l.Fields...)
			}
			for _, f := range fields {
				if strings.Contains(f.String(), privateMarker) {
					t.Errorf("request data (%q) in %s=%q: %s", privateMarker, f.Key, f.String(), s)
				}
			}
		}
	}
}

// checkRejected checks that a handler span that answered 4xx says why, in
// its "rejected" event, without failing. OpenTelemetry and Jaeger spans
// carry events as Jaeger logs; dd-trace-go sends them in its "events" tag
// (JSON), which the collector's datadog receiver keeps as a tag.
func checkRejected(t *testing.T, m mapping, s *span) {
	t.Helper()
	type event struct {
		Name       string
		Attributes map[string]any
	}
	var events []event
	if m.eventsTag {
		if tg, ok := s.tag("events"); ok {
			if err := json.Unmarshal([]byte(tg.String()), &events); err != nil {
				t.Errorf("the events tag is not dd-trace-go's JSON: %v: %s", err, s)
			}
		}
	} else {
		for _, l := range s.Logs {
			e := event{Attributes: map[string]any{}}
			for _, f := range l.Fields {
				if f.Key == "event" {
					e.Name = f.String()
				} else {
					e.Attributes[f.Key] = f.String()
				}
			}
			events = append(events, e)
		}
	}
	for _, e := range events {
		if e.Name == "rejected" && e.Attributes["reason"] == "note not found" {
			return
		}
	}
	t.Errorf("the 4xx handler span has no \"rejected\" event with reason \"note not found\": %s\nlogs: %+v", s, s.Logs)
}
