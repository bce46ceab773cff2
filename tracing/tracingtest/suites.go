package tracingtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
)

// Rig is what a backend that exports to a receiver supplies to RunFaults,
// RunLimits and RunLossless (and RunAll, which runs Run too): how to start
// the backend, configured as a user would, exporting to a fake receiver of
// its own (otlptest, ddtest, jaegertest) set up as a test says, and the
// few ways in which it legitimately differs from the other backends.
type Rig struct {
	// Start starts a receiver as s says and a new backend exporting to
	// it, with the backend's defaults except what s sets, and returns
	// them as a Harness whose Spans decodes what the receiver kept (and,
	// if it can, WaitAttempts). The backend is shut down, then the
	// receiver closed, when the test ends. Start fails t if the receiver
	// cannot start; it returns the error of the backend's constructor
	// (RunLimits checks a malformed limit variable is one).
	Start func(t *testing.T, s Setup) (Harness, error)

	// Unacknowledged says the transport gets no answer from the receiver
	// (UDP): a span sent counts as exported whether or not anything
	// received it, and no receiver can hold, refuse or fail an export.
	// RunFaults then runs only "down", where it checks that every span is
	// accounted for and Shutdown returns; RunLossless skips QueueOverflow.
	Unacknowledged bool

	// Retries says the backend retries failed exports with a backoff
	// (OTLP: 429, 502, 503, 504 and gRPC Unavailable, a refused
	// connection included), so that Shutdown may end by its deadline
	// against a receiver that is down or fails. Otherwise Shutdown must
	// return nil at once against those (it must return the deadline error
	// against one that never answers either way).
	Retries bool

	// TraceQueue, if not 0, says the backend queues whole traces, at most
	// this many, and that its queue cannot be set (dd-trace-go: 1000): a
	// burst of more one-span traces than that may lose some, which
	// RunLossless then checks are all counted. With 0 the backend queues
	// spans and applies Setup.QueueSize.
	TraceQueue int

	// Queue is the size of the backend's span queue by default, and
	// InFlight how many spans the export under way may hold besides
	// (a batch): Faults/hang-burst checks that no more are pending while
	// the collector hangs, the rest counted as dropped as they are lost.
	// 0 (a vendor's queue that cannot be observed) skips that check.
	Queue, InFlight int

	// ValueLimits are the backend's default value lengths, which RunLimits
	// checks a 10 MB value is cut to.
	ValueLimits ValueLimits

	// PayloadLimit, if not "", says the receiver refuses an export over a
	// size limit, as the real one does (for example "4 MiB per OTLP/gRPC
	// request"): RunLimits then checks that with the default value length
	// a 10 MB value does not lose the spans exported with it, and that
	// without a limit what is lost is counted. "" skips that test (with
	// the reason printed).
	PayloadLimit string

	// LosesBatch says an export over PayloadLimit loses every span
	// batched with the big one, and ForceFlush reports the failure (an
	// OTLP batch); otherwise only some spans may be lost (those in the
	// same Datadog payload, or the one span too big for a UDP datagram).
	LosesBatch bool

	// Skip names subtests of RunFaults, RunLimits and RunLossless that
	// cannot hold for this backend, by their path under the suite
	// ("Faults/blackhole", "Limits/AttributeCountKeepsUpdates"), with the
	// reason, which is printed.
	Skip map[string]string
}

// Setup says how Rig.Start sets up a receiver and a backend.
type Setup struct {
	// Down says nothing listens where the backend exports (a collector or
	// agent that is down). Endpoint applies it.
	Down bool
	// Blackhole, if not nil, is where the backend exports instead of the
	// receiver: it accepts connections and never answers. Endpoint
	// applies it.
	Blackhole *Blackhole
	// Proxy, if not nil, stands between the backend and the receiver
	// (trickling, cutting answers, restarting). Endpoint applies it.
	Proxy *Proxy
	// Fault is how the receiver answers exports (SetFault).
	Fault Fault
	// Context bounds what the backend does while it is created (a
	// Datadog backend asks its agent for /info): it has a short deadline
	// when Blackhole is set. Never nil.
	Context context.Context
	// QueueSize, if not 0, is the size of the backend's span queue
	// (never set when Rig.TraceQueue is not 0).
	QueueSize int
	// Limits, if not nil, are set through the backend's options.
	Limits *Limits
	// Env holds variables to set (t.Setenv) once the rig has cleared
	// those of the machine running the tests.
	Env map[string]string
}

// Endpoint returns the URL the backend must export to, given its
// receiver's (which may have a path): that URL, or for Down the same path
// on a port nothing listens on, or for Blackhole the same path on the
// black hole.
func (s Setup) Endpoint(t testing.TB, receiver string) string {
	t.Helper()
	base := ""
	switch {
	case s.Down:
		base = RefusedURL(t)
	case s.Blackhole != nil:
		base = s.Blackhole.URL
	case s.Proxy != nil:
		s.Proxy.point(t, receiver)
		base = s.Proxy.URL()
	default:
		return receiver
	}
	u, err := url.Parse(receiver)
	if err != nil {
		t.Fatalf("receiver URL %q: %v", receiver, err)
	}
	return base + u.Path
}

// Limits are span limits set through a backend's options: 0 keeps the
// default, a negative value means no limit.
type Limits struct {
	ValueLen int // characters of a string value
	Attrs    int // attributes of a span
	Events   int // events of a span
}

// LimitOptions returns the options that set l (none if l is nil), made by
// a backend's option constructors for each limit.
func LimitOptions[O any](l *Limits, valueLen, attrs, events func(int) O) []O {
	if l == nil {
		return nil
	}
	var out []O
	for _, o := range []struct {
		n   int
		opt func(int) O
	}{{l.ValueLen, valueLen}, {l.Attrs, attrs}, {l.Events, events}} {
		if o.n != 0 {
			out = append(out, o.opt(o.n))
		}
	}
	return out
}

// ValueLimits are the lengths, in characters, a backend cuts string
// values to by default.
type ValueLimits struct {
	// Attr: attribute values (tags), the resource and the status
	// description (25000; jaeger's tags: jaeger-client-go's 256).
	Attr int
	// Event: event attribute values and the error message (25000;
	// jaeger's log fields: 16384).
	Event int
}

// RunAll runs Run with the rig's backend against a healthy receiver, then
// RunFaults, RunLimits and RunLossless, as subtests named Conformance,
// Faults, Limits and Lossless.
func RunAll(t *testing.T, rig Rig) {
	t.Helper()
	t.Run("Conformance", func(t *testing.T) {
		Run(t, func(t *testing.T) Harness { return rig.start(t, Setup{}) })
	})
	t.Run("Faults", func(t *testing.T) { RunFaults(t, rig) })
	t.Run("Limits", func(t *testing.T) { RunLimits(t, rig) })
	t.Run("Lossless", func(t *testing.T) { RunLossless(t, rig) })
}

// start starts the rig and fails t if the backend could not be created.
func (r Rig) start(t *testing.T, s Setup) Harness {
	t.Helper()
	if s.Context == nil {
		s.Context = context.Background()
	}
	h, err := r.Start(t, s)
	if err != nil {
		t.Fatalf("creating the backend: %v", err)
	}
	if h.Backend == nil || h.Spans == nil {
		t.Fatal("the rig's harness has no Backend or Spans hook")
	}
	if _, ok := h.Backend.(tracing.StatsReporter); !ok {
		t.Fatal("the backend does not report Stats")
	}
	if h.ValueEqual == nil {
		h.ValueEqual = tracing.Value.Equal
	}
	return h
}

type rigTest struct {
	name string
	f    func(t *testing.T, rig Rig)
}

// runRigTests runs tests as subtests, skipping those rig.Skip names under
// suite.
func runRigTests(t *testing.T, rig Rig, suite string, tests []rigTest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if reason, ok := rig.Skip[suite+"/"+tc.name]; ok {
				t.Skipf("%s/%s: not applicable to this backend: %s", suite, tc.name, reason)
			}
			tc.f(t, rig)
		})
	}
}

// shutdown shuts tr down, failing t if it does not succeed within half a
// minute.
func shutdown(t *testing.T, tr *tracing.Tracer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// distinct returns how many distinct span ids spans hold, failing t if
// one comes twice.
func distinct(t testing.TB, spans []SpanData) int {
	t.Helper()
	seen := map[tracing.SpanID]bool{}
	for _, s := range spans {
		if seen[s.SpanID] {
			t.Errorf("span %s (%s) sent twice", s.SpanID, s.Name)
		}
		seen[s.SpanID] = true
	}
	return len(seen)
}

// asInt reads an integer attribute that a backend may have sent as a
// float (Datadog metrics).
func asInt(v tracing.Value) int64 { return v.AsInt64() + int64(math.Round(v.AsFloat64())) }

// received returns what the receiver kept after Shutdown: at least what
// Stats says was exported, once it has all arrived.
func received(t *testing.T, h Harness, tr *tracing.Tracer) []SpanData {
	t.Helper()
	return h.Spans(t, int(tr.Stats().Exported))
}

// accounted checks that every one of n spans ended is either exported
// (and was received, once) or counted as dropped.
func accounted(t *testing.T, tr *tracing.Tracer, got []SpanData, n int) tracing.Stats {
	t.Helper()
	st := tr.Stats()
	if kept := distinct(t, got); st.Ended != uint64(n) || st.Exported != uint64(kept) || st.Exported+st.Dropped != uint64(n) ||
		st.Pending != 0 || st.Dropped != st.DroppedBy.Total() {
		t.Errorf("stats %+v with %d spans received: want %d ended, the received exported, the rest dropped (by reason), none pending", st, kept, n)
	}
	return st
}

// burstSize is how many spans burst ends.
const burstSize = 1000

// burst ends burstSize spans: 100 traces of a root and 9 children, each
// given an attribute (dd-trace-go queues whole traces, 1000 at most).
func burst(tr *tracing.Tracer) {
	for i := range 100 {
		ctx, root := tr.Start(context.Background(), "burst", tracing.WithAttrs(tracing.Int("i", i)))
		for range 9 {
			_, c := tr.Start(ctx, "burst.child")
			c.SetAttrs(tracing.String("k", "v"))
			c.End()
		}
		root.End()
	}
}

// faultCase is a receiver that misbehaves for RunFaults.
type faultCase struct {
	name      string
	down      bool
	blackhole bool
	// fault is how the receiver answers, given a channel closed to let
	// the exports it holds go.
	fault func(hold <-chan struct{}) Fault
	// holds: the first export is never answered (until released).
	holds bool
	// delivers: released once the burst is over, the receiver accepts
	// everything.
	delivers bool
	// proxy, if not ProxyPass, puts a Proxy in this mode between the
	// backend and the receiver: the receiver may then keep spans whose
	// export the backend saw fail (an answer trickling past Shutdown's
	// deadline, or cut), and keep some twice (the backend retried).
	proxy ProxyMode
}

var faultCases = []faultCase{
	{name: "down", down: true},
	{name: "blackhole", blackhole: true, holds: true},
	{name: "never-answers", holds: true, fault: func(hold <-chan struct{}) Fault { return Fault{Hold: hold} }},
	{name: "500", fault: func(<-chan struct{}) Fault { return Fault{Status: 500} }},
	{name: "503", fault: func(<-chan struct{}) Fault { return Fault{Status: 503} }},
	{name: "429", fault: func(<-chan struct{}) Fault { return Fault{Status: 429, RetryAfter: time.Second} }},
	{name: "slow", holds: true, delivers: true, fault: func(hold <-chan struct{}) Fault {
		return Fault{Hold: hold, Delay: 20 * time.Millisecond}
	}},
	{name: "trickle", holds: true, proxy: ProxyTrickle},
	{name: "cut-mid-response", proxy: ProxyCut},
}

// RunFaults runs a burst of spans against receivers that misbehave, each
// case a subtest: down (nothing listens), blackhole (connections accepted,
// never answered), never-answers (the request is read, never answered),
// 500, 503, 429 (with Retry-After), slow (holds the first export until
// the burst is over, then answers every export 20 ms late), trickle (the
// answer comes one byte a second, through a Proxy) and cut-mid-response
// (the connection closes in the middle of the answer). With the backend's
// defaults, in each:
//
//   - the first export reaches the receiver before the burst, and 1000
//     Start/End complete while the receiver still holds it (ordering,
//     not timing);
//   - when the receiver never answers, a ForceFlush and Shutdown return
//     by their context's deadline with its error, and a second Shutdown
//     returns nil once the cancelled exports are over; against one that
//     fails, Shutdown returns nil (or, if the backend retries, by its
//     deadline);
//   - Stats accounts for every span the moment Shutdown returns (drained
//     or not): Ended = Exported + Dropped, none pending, and Stats no
//     longer changes; Exported is what the receiver kept, nothing unless
//     it recovered (through the proxy: at most what it kept);
//   - the slow receiver gets every span, once, and Stats says so;
//   - nothing leaks (the caller's TestMain runs goleak).
//
// Then restart (the collector restarts in the middle of a stream of
// exports: see faultRestart) and hang-burst (50,000 spans against a black
// hole: see faultHangBurst).
func RunFaults(t *testing.T, rig Rig) {
	t.Helper()
	tests := make([]rigTest, 0, len(faultCases)+2)
	for _, fc := range faultCases {
		tests = append(tests, rigTest{fc.name, func(t *testing.T, rig Rig) { runFault(t, rig, fc) }})
	}
	tests = append(tests, rigTest{"restart", faultRestart}, rigTest{"hang-burst", faultHangBurst})
	runRigTests(t, rig, "Faults", tests)
}

func runFault(t *testing.T, rig Rig, fc faultCase) {
	if rig.Unacknowledged && !fc.down {
		t.Skipf("%s: the transport gets no answer (UDP): a receiver cannot hold, refuse or fail an export", fc.name)
	}
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	s := Setup{Down: fc.down, Context: context.Background()}
	if fc.blackhole {
		s.Blackhole = StartBlackhole(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		s.Context = ctx
	}
	if fc.fault != nil {
		s.Fault = fc.fault(hold)
	}
	// Through a proxy, the receiver holds the first export until the
	// proxy is set to misbehave, so that its answer is the first to
	// trickle or be cut (the connection's setup passed unharmed).
	arm := make(chan struct{})
	armOnce := sync.OnceFunc(func() { close(arm) })
	if fc.proxy != ProxyPass {
		s.Proxy = StartProxy(t, ProxyPass)
		s.Fault = Fault{Hold: arm}
	}
	h := rig.start(t, s)
	t.Cleanup(armOnce)
	t.Cleanup(release) // before the backend's shutdown
	tr := tracing.New(h.Backend)

	// One span, flushed: the receiver gets (and, for the faults that
	// hold, keeps) the first export.
	_, first := tr.Start(context.Background(), "first")
	first.End()
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), time.Minute)
	defer cancelFlush()
	flushed := make(chan error, 1)
	go func() { flushed <- tr.ForceFlush(flushCtx) }()
	switch {
	case s.Blackhole != nil:
		if !s.Blackhole.WaitAccepted(1, 30*time.Second) {
			t.Fatal("the backend never connected to the black hole")
		}
	case !fc.down && h.WaitAttempts != nil:
		if !h.WaitAttempts(1, 30*time.Second) {
			t.Fatal("the backend's first export never reached the receiver")
		}
	}
	if s.Proxy != nil {
		s.Proxy.SetMode(fc.proxy)
		armOnce()
	}

	done := make(chan struct{})
	go func() { defer close(done); burst(tr) }()
	Guard(t, done, "Start/End blocked on a misbehaving receiver")
	if fc.holds {
		select {
		case err := <-flushed:
			t.Fatalf("the first export finished (%v) while the receiver held it", err)
		default: // still held: the burst did not wait for it
		}
	}
	const n = burstSize + 1

	if fc.delivers {
		release()
		shutdown(t, tr)
		<-flushed
		if got := distinct(t, h.Spans(t, n)); got != n {
			t.Errorf("the receiver got %d distinct spans, want %d", got, n)
		}
		if st := tr.Stats(); st != (tracing.Stats{Ended: n, Exported: n}) {
			t.Errorf("stats %+v, want %d ended and exported", st, n)
		}
		return
	}

	if fc.holds {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := tr.ForceFlush(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush while the receiver holds an export: %v, want the context's deadline error", err)
		}
	}
	err := ShutdownWithin(t, tr.Shutdown, 100*time.Millisecond)
	switch {
	case fc.holds:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown while the receiver holds an export: %v, want the context's deadline error", err)
		}
	case rig.Retries:
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want nil or the deadline error", err)
		}
	case err != nil:
		t.Errorf("Shutdown: %v, want nil (the backend does not retry)", err)
	}
	// Every span is accounted for the moment Shutdown returns, whether
	// it drained or gave up at its deadline (what it abandoned counts as
	// dropped).
	if s := tr.Stats(); s.Ended != n || s.Exported+s.Dropped != n || s.Pending != 0 {
		t.Errorf("stats %+v as Shutdown returned: want %d ended = exported + dropped, none pending", s, n)
	}
	atShutdown := tr.Stats()
	<-flushed
	// The exports still running were cancelled at the deadline; the
	// backend finishes closing soon after, and a second Shutdown of the
	// backend itself waits for that.
	if err := ShutdownWithin(t, h.Backend.Shutdown, 30*time.Second); err != nil {
		t.Errorf("second Shutdown of the backend: %v", err)
	}
	if s := tr.Stats(); s != atShutdown {
		t.Errorf("stats changed once Shutdown had returned: %+v, then %+v (an abandoned export counted twice?)", atShutdown, s)
	}
	if rig.Unacknowledged {
		return // datagrams sent count as exported: nothing says they arrived
	}
	if fc.proxy != ProxyPass {
		// The receiver got requests whose answers never arrived whole: it
		// may keep more than was exported, but keeps all that was.
		got := h.Spans(t, int(atShutdown.Exported))
		ids := map[tracing.SpanID]bool{}
		for _, d := range got {
			ids[d.SpanID] = true
		}
		if atShutdown.Exported > uint64(len(ids)) || atShutdown.Dropped != atShutdown.DroppedBy.Total() {
			t.Errorf("stats %+v with %d distinct spans received: exported more than arrived", atShutdown, len(ids))
		}
		return
	}
	if st := accounted(t, tr, received(t, h, tr), n); st.Exported != 0 {
		t.Errorf("stats %+v: spans counted as exported to a receiver that kept none", st)
	}
}

// bigValue is a 10 MB string.
var bigValue = sync.OnceValue(func() string { return strings.Repeat("0123456789", 1<<20) })

// RunLimits checks the span limits on what the backend really sends:
//
//   - Defaults: a 10 MB value is cut to Rig.ValueLimits (by characters,
//     never inside a UTF-8 sequence) in an attribute, the resource, an
//     event attribute, the error message and the status description; a
//     span keeps 128 events; the spans exported with them all arrive;
//   - Settings: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (over
//     OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT), OTEL_ATTRIBUTE_COUNT_LIMIT and
//     OTEL_SPAN_EVENT_COUNT_LIMIT apply, to event attributes too, and the
//     backend's options win over them;
//   - AttributeCountKeepsUpdates: the attribute count limit bounds
//     distinct keys, not the updates of a key set again;
//   - NamesAndLinks: a span's name (given at start or by SetName) is cut
//     like an attribute value (Rig.ValueLimits.Attr), a link's attribute
//     values like an event's (Rig.ValueLimits.Event), and both by the
//     value length set through the backend's options too; a link keeps
//     at most 128 attributes;
//   - BigValue: with the default limit a 10 MB value does not make the
//     receiver refuse the export (Rig.PayloadLimit), and without a limit
//     what is lost is counted;
//   - BadVariable: a malformed limit variable is an error naming it.
func RunLimits(t *testing.T, rig Rig) {
	t.Helper()
	runRigTests(t, rig, "Limits", []rigTest{
		{"Defaults", limitsDefaults},
		{"Settings", limitsSettings},
		{"AttributeCountKeepsUpdates", limitsCountKeepsUpdates},
		{"NamesAndLinks", limitsNamesAndLinks},
		{"BigValue", limitsBigValue},
		{"BadVariable", limitsBadVariable},
	})
}

func limitsDefaults(t *testing.T, rig Rig) {
	h := rig.start(t, Setup{})
	tr := tracing.New(h.Backend)
	big := bigValue()
	accents := strings.Repeat("é", 30000)
	_, sp := tr.Start(context.Background(), "big", tracing.WithResource(big),
		tracing.WithAttrs(tracing.String("big", big), tracing.String("accents", accents)))
	sp.AddEvent("dump", tracing.String("body", big))
	sp.RecordError(errors.New(big), tracing.WithStack())
	sp.End()
	_, st := tr.Start(context.Background(), "status")
	st.SetStatus(tracing.StatusError, big)
	st.End()
	_, many := tr.Start(context.Background(), "many")
	for i := range 200 {
		many.AddEvent("e", tracing.Int("i", i))
	}
	many.End()
	for i := range 20 {
		_, sp := tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	shutdown(t, tr)

	const total = 23
	got := h.Spans(t, total)
	attr, event := rig.ValueLimits.Attr, rig.ValueLimits.Event
	cut := func(what, v string, n int) {
		t.Helper()
		if v != big[:n] {
			t.Errorf("%s: %d bytes sent, want the first %d characters", what, len(v), n)
		}
	}
	d := One(t, got, "big")
	cut("attribute", d.AttrString("big"), attr)
	cut("resource", d.Resource, attr)
	if v := d.AttrString("accents"); utf8.RuneCountInString(v) != attr || !utf8.ValidString(v) {
		t.Errorf("multi-byte attribute: %d characters sent (valid UTF-8: %v), want %d", utf8.RuneCountInString(v), utf8.ValidString(v), attr)
	}
	if e, ok := d.Event("dump"); !ok {
		t.Error("the event with a 10 MB attribute is missing")
	} else {
		v, _ := e.Attr("body")
		cut("event attribute", v.String(), event)
	}
	cut("error message", d.ErrorMessage, event)
	cut("status description", One(t, got, "status").StatusMsg, attr)
	if n := len(One(t, got, "many").Events); n != 128 {
		t.Errorf("a span given 200 events sent %d, want 128", n)
	}
	if n := len(Named(got, "neighbour")); n != 20 {
		t.Errorf("%d of the 20 spans exported with the big ones arrived", n)
	}
	if st := tr.Stats(); st != (tracing.Stats{Ended: total, Exported: total}) {
		t.Errorf("stats %+v, want %d ended and exported", st, total)
	}
}

// limitVars are the limit variables every backend reads.
var limitVars = map[string]string{
	"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "5",
	"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT":      "9", // the span variable wins
	"OTEL_ATTRIBUTE_COUNT_LIMIT":             "4",
	"OTEL_SPAN_EVENT_COUNT_LIMIT":            "2",
}

func limitsSettings(t *testing.T, rig Rig) {
	general := map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "7"}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		opts  *Limits
		value int // characters kept of a 20-character value
		attrs int // of 10
		evts  int // of 10
	}{
		{name: "variables", env: limitVars, value: 5, attrs: 4, evts: 2},
		{name: "general-value-variable", env: general, value: 7, attrs: 10, evts: 10},
		{name: "options", env: limitVars, opts: &Limits{ValueLen: 3, Attrs: 6, Events: 1}, value: 3, attrs: 6, evts: 1},
		{name: "options-unlimited", env: general, opts: &Limits{ValueLen: -1}, value: 20, attrs: 10, evts: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := rig.start(t, Setup{Env: tc.env, Limits: tc.opts})
			tr := tracing.New(h.Backend)
			const v = "abcdefghijklmnopqrst"
			_, sp := tr.Start(context.Background(), "lim") // a name within every limit below
			for i := range 10 {
				sp.SetAttrs(tracing.String(fmt.Sprintf("k%d", i), v))
				sp.AddEvent("e", tracing.String("f", v), tracing.StringSlice("fs", []string{"ok", v}))
			}
			sp.End()
			shutdown(t, tr)
			d := One(t, h.Spans(t, 1), "lim")
			var kept []string
			for i := range 10 {
				k := fmt.Sprintf("k%d", i)
				if got, ok := d.Attr(k); ok {
					kept = append(kept, k)
					if got.String() != v[:tc.value] {
						t.Errorf("attribute %s = %q, want %d characters", k, got, tc.value)
					}
				}
			}
			if len(kept) != tc.attrs || len(d.Events) != tc.evts {
				t.Errorf("kept attributes %v and %d events, want %d and %d", kept, len(d.Events), tc.attrs, tc.evts)
			}
			if len(d.Events) == 0 {
				return
			}
			e := d.Events[0]
			if f, _ := e.Attr("f"); f.String() != v[:tc.value] {
				t.Errorf("event attribute %q, want %d characters", f, tc.value)
			}
			if fs, _ := e.Attr("fs"); !h.ValueEqual(tracing.StringSliceValue([]string{"ok", v[:tc.value]}), fs) {
				t.Errorf("event attribute %v, want the slice's strings cut to %d characters", fs, tc.value)
			}
		})
	}
}

func limitsCountKeepsUpdates(t *testing.T, rig Rig) {
	h := rig.start(t, Setup{Limits: &Limits{Attrs: 10}})
	tr := tracing.New(h.Backend)
	_, sp := tr.Start(context.Background(), "job")
	for i := range 1000 {
		sp.SetAttrs(tracing.Int("done", i))
	}
	for i := range 50 {
		sp.SetAttrs(tracing.Int(fmt.Sprintf("k%02d", i), i))
	}
	sp.SetAttrs(tracing.Int("done", 1000))
	sp.End()
	shutdown(t, tr)
	d := One(t, h.Spans(t, 1), "job")
	if v, _ := d.Attr("done"); !h.ValueEqual(tracing.Int64Value(1000), v) {
		t.Errorf("done = %v, want the last update, 1000", v)
	}
	kept := 0
	for i := range 50 {
		if _, ok := d.Attr(fmt.Sprintf("k%02d", i)); ok {
			kept++
		}
	}
	if kept+1 > 10 || kept == 0 {
		t.Errorf("kept %d new keys besides done, want between 1 and 9", kept)
	}
}

func limitsNamesAndLinks(t *testing.T, rig Rig) {
	for _, tc := range []struct {
		name        string
		limits      *Limits
		name0, link int // characters kept of a name, of a link attribute value
	}{
		{"defaults", nil, rig.ValueLimits.Attr, rig.ValueLimits.Event},
		{"options", &Limits{ValueLen: 10}, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := rig.start(t, Setup{Limits: tc.limits})
			tr := tracing.New(h.Backend)
			big := bigValue()
			_, target := tr.Start(context.Background(), "target")
			target.End()
			_, named := tr.Start(context.Background(), big, tracing.WithAttrs(tracing.String("case", "named")))
			named.End()
			_, renamed := tr.Start(context.Background(), "short", tracing.WithAttrs(tracing.String("case", "renamed")))
			renamed.SetName(big)
			renamed.End()
			attrs := []tracing.Attr{tracing.String("big", big), tracing.String("small", "v")}
			for i := range 200 {
				attrs = append(attrs, tracing.Int(fmt.Sprintf("k%03d", i), i))
			}
			_, linked := tr.Start(context.Background(), "linked",
				tracing.WithLinks(tracing.Link{SpanContext: target.SpanContext(), Attrs: attrs}))
			linked.End()
			shutdown(t, tr)

			got := h.Spans(t, 4)
			byCase := func(c string) SpanData {
				t.Helper()
				for _, d := range got {
					if d.AttrString("case") == c {
						return d
					}
				}
				t.Fatalf("no span with case=%s among %d", c, len(got))
				return SpanData{}
			}
			for _, c := range []string{"named", "renamed"} {
				if d := byCase(c); d.Name != big[:tc.name0] {
					t.Errorf("%s span: a name of %d bytes sent, want the first %d characters", c, len(d.Name), tc.name0)
				}
			}
			l := One(t, got, "linked")
			if len(l.Links) != 1 || l.Links[0].SpanID != target.SpanContext().SpanID() {
				t.Fatalf("links %+v, want the one to the target span", l.Links)
			}
			la := l.Links[0].Attrs
			v, _ := attrOf(la, "big")
			if s := v.String(); s != big[:tc.link] {
				t.Errorf("link attribute: %d bytes sent, want the first %d characters", len(s), tc.link)
			}
			if v, _ := attrOf(la, "small"); v.String() != "v" {
				t.Errorf("link attribute small = %q, want v", v)
			}
			if len(la) > 128 {
				t.Errorf("a link given 202 attributes sent %d, want at most 128", len(la))
			}
		})
	}
}

func limitsBigValue(t *testing.T, rig Rig) {
	if rig.PayloadLimit == "" {
		t.Skip("BigValue: the receiver takes exports of any size")
	}
	for _, unlimited := range []bool{false, true} {
		name, s := "default-limit", Setup{}
		if unlimited {
			name, s.Limits = "no-limit", &Limits{ValueLen: -1}
		}
		t.Run(name, func(t *testing.T) {
			h := rig.start(t, s)
			tr := tracing.New(h.Backend)
			_, big := tr.Start(context.Background(), "big", tracing.WithAttrs(tracing.String("big", bigValue())))
			big.End()
			for i := range 20 {
				_, sp := tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
				sp.End()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			flushErr := tr.ForceFlush(ctx)
			shutdown(t, tr)
			got := received(t, h, tr)
			st := accounted(t, tr, got, 21)
			if !unlimited {
				if flushErr != nil || len(got) != 21 || st.Dropped != 0 {
					t.Errorf("flush %v, %d spans arrived, stats %+v: want all 21 exported (the receiver refuses %s)", flushErr, len(got), st, rig.PayloadLimit)
				}
				return
			}
			if len(Named(got, "big")) != 0 || st.Dropped == 0 {
				t.Errorf("%d spans arrived, stats %+v: want the 10 MB span refused (%s) and counted as dropped", len(got), st, rig.PayloadLimit)
			}
			if rig.LosesBatch && (flushErr == nil || len(got) != 0) {
				t.Errorf("flush %v, %d spans arrived: want the whole batch refused and the flush to fail", flushErr, len(got))
			}
			if h.Refused != nil && (len(got)+h.Refused() != 21 || int(st.Dropped) != h.Refused()) {
				t.Errorf("%d spans arrived, %d refused, stats %+v: want the refused ones counted as dropped", len(got), h.Refused(), st)
			}
		})
	}
}

func limitsBadVariable(t *testing.T, rig Rig) {
	for _, v := range []struct{ name, value string }{
		{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "lots"},
		{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "many"},
		{"OTEL_SPAN_EVENT_COUNT_LIMIT", "-3"},
	} {
		t.Run(v.name, func(t *testing.T) {
			_, err := rig.Start(t, Setup{Context: context.Background(), Env: map[string]string{v.name: v.value}})
			if err == nil || !strings.Contains(err.Error(), v.name) {
				t.Errorf("creating the backend with %s=%q: %v, want an error naming the variable", v.name, v.value, err)
			}
		})
	}
}

// RunLossless checks that a burst of 10,000 spans ended in a tight loop,
// then Shutdown, loses nothing with the backend's defaults, decoded from
// what was sent: every span arrives once and Stats says so; and that when
// a queue does overflow every loss is counted:
//
//   - OneSpanTraces: 10,000 one-span traces (past Rig.TraceQueue some may
//     be lost: every loss is counted);
//   - OneTrace: one trace of 10,000 spans (a batch job);
//   - QueueOverflow: a queue of 100 spans while the receiver holds the
//     first export: the spans lost are exactly those counted as dropped,
//     at least all but twice the queue.
func RunLossless(t *testing.T, rig Rig) {
	t.Helper()
	runRigTests(t, rig, "Lossless", []rigTest{
		{"OneSpanTraces", losslessOneSpanTraces},
		{"OneTrace", losslessOneTrace},
		{"QueueOverflow", losslessQueueOverflow},
	})
}

// losslessSpans is how many spans the lossless tests end.
const losslessSpans = 10000

func losslessOneSpanTraces(t *testing.T, rig Rig) {
	h := rig.start(t, Setup{})
	tr := tracing.New(h.Backend)
	for i := range losslessSpans {
		_, sp := tr.Start(context.Background(), "lossless", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	shutdown(t, tr)
	if rig.TraceQueue > 0 {
		got := received(t, h, tr)
		st := accounted(t, tr, got, losslessSpans)
		t.Logf("%d one-span traces past a queue of %d traces: %d arrived, stats %+v", losslessSpans, rig.TraceQueue, len(got), st)
		return
	}
	got := h.Spans(t, losslessSpans)
	if n := distinct(t, got); n != losslessSpans {
		t.Errorf("the receiver got %d distinct spans, want %d", n, losslessSpans)
	}
	seen := map[int64]bool{}
	for _, d := range got {
		v, _ := d.Attr("i")
		seen[asInt(v)] = true
	}
	if len(seen) != losslessSpans {
		t.Errorf("%d distinct values of i arrived, want %d", len(seen), losslessSpans)
	}
	if st := tr.Stats(); st != (tracing.Stats{Ended: losslessSpans, Exported: losslessSpans}) {
		t.Errorf("stats %+v, want %d ended and exported", st, losslessSpans)
	}
}

func losslessOneTrace(t *testing.T, rig Rig) {
	h := rig.start(t, Setup{})
	tr := tracing.New(h.Backend)
	ctx, root := tr.Start(context.Background(), "job")
	for i := range losslessSpans - 1 {
		_, sp := tr.Start(ctx, "item", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	root.End()
	shutdown(t, tr)
	if n := distinct(t, h.Spans(t, losslessSpans)); n != losslessSpans {
		t.Errorf("the receiver got %d distinct spans, want %d", n, losslessSpans)
	}
	if st := tr.Stats(); st != (tracing.Stats{Ended: losslessSpans, Exported: losslessSpans}) {
		t.Errorf("stats %+v, want %d ended and exported", st, losslessSpans)
	}
}

func losslessQueueOverflow(t *testing.T, rig Rig) {
	switch {
	case rig.TraceQueue > 0:
		t.Skipf("QueueOverflow: the backend's queue (%d traces) cannot be set; OneSpanTraces overflows it", rig.TraceQueue)
	case rig.Unacknowledged:
		t.Skip("QueueOverflow: the transport gets no answer (UDP): no receiver can hold an export while the queue fills")
	}
	const queue = 100
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	h := rig.start(t, Setup{QueueSize: queue, Fault: Fault{Hold: hold}})
	t.Cleanup(release)
	tr := tracing.New(h.Backend)
	_, first := tr.Start(context.Background(), "first")
	first.End()
	flushed := make(chan error, 1)
	go func() { flushed <- tr.ForceFlush(context.Background()) }()
	if h.WaitAttempts == nil || !h.WaitAttempts(1, 30*time.Second) {
		t.Fatal("the backend's first export never reached the receiver")
	}
	for i := range losslessSpans - 1 {
		_, sp := tr.Start(context.Background(), "overflow", tracing.WithAttrs(tracing.Int("i", i)))
		sp.End()
	}
	release()
	if err := <-flushed; err != nil {
		t.Fatalf("ForceFlush once the receiver let the export go: %v", err)
	}
	shutdown(t, tr)
	if st := accounted(t, tr, received(t, h, tr), losslessSpans); st.Dropped < losslessSpans-2*queue {
		t.Errorf("stats %+v: want at least %d dropped from a queue of %d", st, losslessSpans-2*queue, queue)
	}
}
