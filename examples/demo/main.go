// Command demo shows polytrace with no setup: it starts the notes and
// calendar services in one process on free loopback ports, sends them a
// realistic sequence of requests, and prints each request, its response and
// the trace it made, drawn by the console backend. notes asks calendar for
// dates over gRPC, so the create-with-date trace goes HTTP → gRPC → SQL.
//
//	go run ./examples/demo
//	go run ./examples/demo -backend otel    # the same traffic to another backend
//
// -backend (or TRACING_BACKEND) sends the spans to any backend instead,
// configured by its vendor's variables; -router picks calendar's router
// (echo, gin, http). The trees fit the terminal (COLUMNS, else 100
// columns): each span shows its outcome and its most telling attributes;
// -v shows every attribute.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/polytrace/polytrace/examples/internal/calendar"
	"github.com/polytrace/polytrace/examples/internal/notes"
	"github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/all"
	"github.com/polytrace/polytrace/tracing/console"
)

func main() {
	backend := flag.String("backend", os.Getenv(tracing.EnvBackend), "tracing backend (default console): "+strings.Join(tracing.Backends(), ", "))
	router := flag.String("router", "echo", "calendar's router: echo, gin or http")
	delay := flag.Duration("helper-delay", 20*time.Millisecond, "duration of the notes helper's long-running process")
	verbose := flag.Bool("v", false, "show every attribute of every span (also: POLYTRACE_CONSOLE_VERBOSE=1)")
	flag.Parse()
	if *verbose {
		os.Setenv(console.EnvVerbose, "1")
	}
	if err := run(os.Stdout, *backend, *router, *delay); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// step is one request of the demo.
type step struct {
	what, method, path string
	stopCalendar       bool // stop the calendar service first
}

var steps = []step{
	{what: "list the notes (none yet)", method: "GET", path: "/notes"},
	{what: "create a note", method: "POST", path: "/notes?desc=buy+milk"},
	{what: "read it", method: "GET", path: "/notes/1"},
	{what: "update it", method: "PUT", path: "/notes/1?desc=buy+oat+milk"},
	{what: "create a note with a date from the calendar service", method: "POST", path: "/notes?desc=dentist&add_date=y"},
	{what: "list the notes (the long-running helper shows up)", method: "GET", path: "/notes"},
	{what: "delete the first note", method: "DELETE", path: "/notes/1"},
	{what: "read it again: not found", method: "GET", path: "/notes/1"},
	{what: "bad input", method: "POST", path: "/notes?desc="},
	{what: "the calendar service is down: the call fails", method: "POST", path: "/notes?desc=party&add_date=y", stopCalendar: true},
}

func run(out io.Writer, backend, router string, delay time.Duration) error {
	ctx := context.Background()
	if backend == "" {
		backend = "console"
	}
	trees := &treeWriter{w: out, wrote: make(chan struct{}, 64)}
	tracer, err := tracing.Open(ctx, backend, tracing.WithServiceName("notes"),
		tracing.WithBackendOptions(console.WithWriter(trees), console.WithWidth(terminalWidth()-treeIndent)))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, fold(tracer.Summary().String(), terminalWidth(), "    "))
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracer.Shutdown(sctx); err != nil {
			fmt.Fprintln(out, "flushing spans:", err)
		}
	}()

	// calendar: its spans carry the service name "calendar".
	cal := &calendar.Server{Tracer: tracer, Service: "calendar"}
	ch, err := cal.Handler(router)
	if err != nil {
		return err
	}
	calSrv, calURL, err := serve(ch)
	if err != nil {
		return err
	}
	defer calSrv.Close()
	gs := cal.GRPC()
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = gs.Serve(gln) }()
	defer gs.Stop()
	calendarClient, err := notes.NewGRPCCalendarClient(gln.Addr().String(), tracer)
	if err != nil {
		return err
	}
	defer calendarClient.Close()

	store, err := notes.OpenStore(ctx, tracer)
	if err != nil {
		return err
	}
	defer store.Close()
	ns := &notes.Server{Store: store, Calendar: calendarClient, HelperDelay: delay, Tracer: tracer}
	notesSrv, notesURL, err := serve(ns.Routes())
	if err != nil {
		return err
	}
	defer notesSrv.Close()
	fmt.Fprintf(out, "notes on %s, calendar (%s) on %s and gRPC %s\n\n", notesURL, router, calURL, gln.Addr())

	client := &http.Client{Timeout: 10 * time.Second}
	for i, s := range steps {
		if s.stopCalendar {
			_ = calSrv.Close()
			gs.Stop()
		}
		fmt.Fprintf(out, "%d. %s\n   → %s %s\n", i+1, s.what, s.method, s.path)
		req, _ := http.NewRequest(s.method, notesURL+s.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintln(out, fold("   ← "+resp.Status+" "+strings.TrimSpace(string(body)), terminalWidth(), "     "))
		if backend == "console" {
			trees.wait(2 * time.Second) // the server span ends just after the response
		}
	}
	if backend != "console" {
		fmt.Fprintf(out, "\nspans sent to the %s backend (%s)\n", backend, tracer.Summary().Destination)
	}
	return nil
}

// serve serves h on a free loopback port.
func serve(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo: serve:", err)
		}
	}()
	return srv, "http://" + ln.Addr().String(), nil
}

// fold breaks s at spaces into lines of at most width columns, the lines
// after the first indented by indent (a word longer than a line stays
// whole).
func fold(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Split(s, " ") {
		wl := utf8.RuneCountInString(w)
		if i > 0 && n+1+wl > width {
			b.WriteString("\n" + indent)
			n = utf8.RuneCountInString(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += wl
	}
	return b.String()
}

// treeIndent is how far treeWriter indents the trees.
const treeIndent = 3

// terminalWidth is COLUMNS, else the console's default.
func terminalWidth() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("COLUMNS"), &n); err == nil && n > 0 {
		return n
	}
	return console.DefaultWidth
}

// treeWriter passes the console's output on, indented under the request
// that made it, and says when a trace has been written (the console writes
// each trace in one Write).
type treeWriter struct {
	mu    sync.Mutex
	w     io.Writer
	wrote chan struct{}
}

func (t *treeWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimRight(string(p), "\n")
	pad := strings.Repeat(" ", treeIndent)
	fmt.Fprintf(t.w, "\n%s%s\n\n", pad, strings.ReplaceAll(s, "\n", "\n"+pad))
	select {
	case t.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// wait waits for the next trace, or gives up after d.
func (t *treeWriter) wait(d time.Duration) {
	select {
	case <-t.wrote:
	case <-time.After(d):
	}
}
