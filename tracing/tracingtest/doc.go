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
//
// Backends that export to a collector or agent also pass RunFaults (down,
// black hole, never answers, 500, 503, 429, slow, an answer trickling one
// byte a second, a connection closed mid-answer, a collector restarted
// mid-stream, and a 50,000-span burst against a black hole: Start/End
// never wait, Shutdown is bounded by its deadline, every span is
// accounted for in Stats the moment Shutdown returns, drops are counted
// as they happen within the queue, memory stays bounded), RunLimits (value, attribute and event limits, their defaults, the
// OTEL_* limit variables and the backend's options, on what was sent) and
// RunLossless (10,000 spans ended in a burst all arrive; a queue that
// overflows counts every loss); RunAll runs them with Run. For these a
// backend supplies a Rig: how to start it against a fake receiver of its
// own (otlptest, ddtest, jaegertest) set up as the test says, with a
// Fault, a queue size, limits, and how it legitimately differs. The fake
// receivers share Fault and FaultGate (how they misbehave), Changes (how
// tests wait for what they received) and, for the collector that is down
// or never answers, RefusedURL and Blackhole; a Proxy in front of one
// misbehaves on the network (trickles, cuts, restarts) whatever the
// protocol.
package tracingtest
