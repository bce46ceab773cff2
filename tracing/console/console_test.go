package console_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
	"github.com/polytrace/polytrace/tracing/console/consoletest"
	"github.com/polytrace/polytrace/tracing/tracingtest"
)

// TestConformance runs the suite on the console backend, reading spans back
// from the JSON lines it really wrote.
func TestConformance(t *testing.T) {
	tracingtest.Run(t, func(t *testing.T) tracingtest.Harness {
		b, spans := consoletest.Start()
		return tracingtest.Harness{
			Backend: b,
			Spans:   func(t testing.TB, want int) []tracingtest.SpanData { return spans(t) },
		}
	})
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTreeDrawsOneTraceWhenItsLastSpanEnds(t *testing.T) {
	var out consoletest.Buffer
	tr := tracing.New(console.New(console.WithWriter(&out), console.WithColor(false)))
	ctx, root := tr.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.String("http.request.method", "GET"), tracing.Int("http.response.status_code", 200)))
	cctx, child := tr.Start(ctx, "GetNote")
	_, q := tr.Start(cctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"), tracing.WithSpanType("sql"),
		tracing.WithResource("SELECT * FROM notes WHERE id = ?"))
	q.RecordError(errors.New("database is locked"))
	q.End()
	child.AddEvent("validated", tracing.Int("items", 3))
	child.End()
	if out.String() != "" {
		t.Fatalf("trace written before its root ended:\n%s", out.String())
	}
	root.End()
	got := out.String()
	t.Logf("\n%s", got)
	if ansi.MatchString(got) {
		t.Error("colour written with WithColor(false)")
	}
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^trace [0-9a-f]{32} · \S+ · [0-9.]+(µs|ms) · 3 spans · 1 error$`),
		regexp.MustCompile(`^GET /notes/\{id\} +server +[0-9.]+(µs|ms) ▕█+ *▏ status=200 http.request.method=GET$`),
		regexp.MustCompile(`^└─ GetNote +internal .*▏$`),
		regexp.MustCompile(`^   │  • validated \+[0-9.]+(µs|ms) items=3$`),
		// The outcome and the application's attributes first, the rest
		// (resource and type) counted.
		regexp.MustCompile(`^   └─ SELECT notes +client .*▏ service=db \+2$`),
		regexp.MustCompile(`^         ✗ database is locked \(\*errors.errorString\) \+[0-9.]+(µs|ms)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q\n does not match %s", i, lines[i], re)
		}
	}
}

func TestTreeIncludesRemoteChildrenInOneProcess(t *testing.T) {
	// Two services in one process (as the demo runs them): the second
	// extracts the first's context; the whole trace is drawn once.
	var out consoletest.Buffer
	tr := tracing.New(console.New(console.WithWriter(&out), console.WithColor(false)))
	ctx, root := tr.Start(context.Background(), "POST /notes", tracing.WithKind(tracing.SpanKindServer))
	ctx, client := tr.Start(ctx, "GET", tracing.WithKind(tracing.SpanKindClient))
	_, server := tr.Start(tracingtest.Hop(ctx, tr, tr), "GET /calendar", tracing.WithKind(tracing.SpanKindServer))
	server.End()
	client.End()
	root.End()
	got := ansi.ReplaceAllString(out.String(), "")
	if strings.Count(got, "trace ") != 1 || !strings.Contains(got, "\n   └─ GET /calendar") {
		t.Errorf("want one tree with the calendar span under the client span:\n%s", got)
	}
}

func TestConcurrentTracesDoNotInterleave(t *testing.T) {
	var out consoletest.Buffer
	tr := tracing.New(console.New(console.WithWriter(&out), console.WithColor(false)))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ctx, root := tr.Start(context.Background(), "root")
			for range 5 {
				_, c := tr.Start(ctx, "child")
				time.Sleep(time.Microsecond)
				c.End()
			}
			root.End()
		})
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimSpace(out.String()), "\n\n")
	if len(blocks) != 20 {
		t.Fatalf("got %d trace blocks, want 20", len(blocks))
	}
	for _, b := range blocks {
		lines := strings.Split(b, "\n")
		if len(lines) != 7 || !strings.HasPrefix(lines[0], "trace ") || strings.Count(b, "trace ") != 1 {
			t.Errorf("interleaved or malformed block:\n%s", b)
		}
	}
}

func TestBoundedMemory(t *testing.T) {
	var out consoletest.Buffer
	b := console.New(console.WithWriter(&out), console.WithColor(false), console.WithMaxSpansPerTrace(3), console.WithMaxTraces(2))
	tr := tracing.New(b)
	// A trace whose root never ends, with more children than the limit.
	ctx, _ := tr.Start(context.Background(), "never-ends")
	for range 5 {
		_, c := tr.Start(ctx, "child")
		c.End()
	}
	// Two more unfinished traces push the first out.
	_, _ = tr.Start(context.Background(), "second")
	_, _ = tr.Start(context.Background(), "third")
	got := out.String()
	if !strings.Contains(got, "2 more spans dropped (limit 3)") || !strings.Contains(got, "too many unfinished traces") {
		t.Errorf("eviction not noted:\n%s", got)
	}
	out2 := consoletest.Buffer{}
	b2 := console.New(console.WithWriter(&out2), console.WithColor(false))
	tr2 := tracing.New(b2)
	ctx, _ = tr2.Start(context.Background(), "open-root")
	_, c := tr2.Start(ctx, "done-child")
	c.End()
	if err := tr2.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := out2.String(); !strings.Contains(got, "done-child") || !strings.Contains(got, "1 span still running") {
		t.Errorf("Shutdown did not flush the unfinished trace with a note:\n%s", got)
	}
}

func TestTraceTimeout(t *testing.T) {
	var out consoletest.Buffer
	tr := tracing.New(console.New(console.WithWriter(&out), console.WithColor(false), console.WithTraceTimeout(time.Nanosecond)))
	ctx, _ := tr.Start(context.Background(), "stuck-root")
	_, c := tr.Start(ctx, "early-child")
	c.End()
	time.Sleep(1100 * time.Millisecond) // sweeps run at most once a second
	_, other := tr.Start(context.Background(), "other")
	other.End()
	if got := out.String(); !strings.Contains(got, "early-child") || !strings.Contains(got, "still running") {
		t.Errorf("timed-out trace not written:\n%s", got)
	}
}

func TestColourOnlyWhenAsked(t *testing.T) {
	var out consoletest.Buffer
	tr := tracing.New(console.New(console.WithWriter(&out), console.WithColor(true)))
	_, sp := tr.Start(context.Background(), "x")
	sp.End()
	if !ansi.MatchString(out.String()) {
		t.Error("WithColor(true) wrote no colour")
	}
	var plain consoletest.Buffer
	tr = tracing.New(console.New(console.WithWriter(&plain))) // not a terminal
	_, sp = tr.Start(context.Background(), "x")
	sp.End()
	if ansi.MatchString(plain.String()) {
		t.Error("colour written to a non-terminal")
	}
}

func TestRegisteredAndSummary(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "notes")
	var out consoletest.Buffer
	tr, err := tracing.Open(context.Background(), "console", tracing.WithBackendOptions(console.WithWriter(&out), console.WithColor(false)))
	if err != nil {
		t.Fatal(err)
	}
	if s := tr.Summary(); s.Backend != "console" || s.Service != "notes" || s.Destination != "trace trees on the writer given to console.WithWriter" || s.Sampler != "every trace (parentbased_always_on)" {
		t.Errorf("summary %+v", s)
	}
	_, sp := tr.Start(context.Background(), "x")
	sp.End()
	if !strings.Contains(out.String(), "· notes ·") {
		t.Errorf("backend options not applied through Open: %q", out.String())
	}
}
