// Package tracingtest helps test code that traces, and tests backends.
//
// For code that traces, a Recorder is an in-memory backend that keeps every
// finished span, with ids, parents, kind, attributes, events, links and
// status:
//
//	rec := tracingtest.Install(t) // the default tracer for this test
//	handler.ServeHTTP(w, req)
//	spans := rec.WaitForSpans(1, time.Second)
//	if spans[0].Name != "GET /notes/{id}" { … }
//
// For backends, Run is the conformance suite that every backend in this
// module passes: parent/child within one trace; every attribute type;
// errors, status, events, kinds, links, renames, timestamps and the
// Datadog-style overrides; inject → extract in a second instance continues
// the trace with the right parent; unsampled parents; new roots; End twice;
// use after End; bare and nil contexts; concurrent use; and Shutdown, which
// must export every span ended before it and drop those after it. A backend
// supplies a Harness whose Spans hook decodes what the backend really sent.
package tracingtest
