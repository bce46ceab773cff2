// Command demo shows polytrace with no setup: a client and a server in one
// process pass a trace over real HTTP, and the console backend draws it.
//
//	go run ./examples/demo
//
// (This is the foundation's demo; the notes and calendar services replace
// it with a fuller one.)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/polytrace/polytrace/tracing"
	_ "github.com/polytrace/polytrace/tracing/console"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx := context.Background()
	backend := os.Getenv(tracing.EnvBackend)
	if backend == "" {
		backend = "console"
	}
	tracer, err := tracing.Open(ctx, backend, tracing.WithServiceName("demo"))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, tracer.Summary())
	tracing.SetDefault(tracer)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tracer.Shutdown(sctx)
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(calendar), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	url := "http://" + ln.Addr().String() + "/calendar"
	for _, path := range []string{url, url + "?fail=1"} {
		body, err := createNote(ctx, path)
		fmt.Fprintf(out, "GET %s → %q %v\n", path, body, err)
	}
	return nil
}

// createNote is the "notes" side: a span for the work, a client span for
// the call, and the trace context injected into the request.
func createNote(ctx context.Context, url string) (string, error) {
	ctx, span := tracing.Start(ctx, "CreateNote", tracing.WithAttrs(tracing.String("note.description", "buy milk")))
	defer span.End()

	ctx, client := tracing.Start(ctx, "GET", tracing.WithKind(tracing.KindClient),
		tracing.WithResource("GET /calendar"), tracing.WithSpanType(tracing.TypeHTTP))
	defer client.End()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		client.RecordError(err)
		return "", err
	}
	tracing.Inject(ctx, tracing.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		client.RecordError(err)
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	client.SetAttrs(tracing.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		err := fmt.Errorf("calendar: %s", resp.Status)
		client.RecordError(err)
		span.RecordError(err)
		return "", err
	}
	return string(body), nil
}

// calendar is the "calendar" side: it continues the caller's trace.
func calendar(w http.ResponseWriter, r *http.Request) {
	ctx := tracing.Extract(r.Context(), tracing.HeaderCarrier(r.Header))
	ctx, span := tracing.Start(ctx, "GET /calendar", tracing.WithKind(tracing.KindServer),
		tracing.WithAttrs(tracing.String("http.request.method", r.Method), tracing.String("http.route", "/calendar")))
	defer span.End()

	_, get := tracing.Start(ctx, "GetDate")
	time.Sleep(2 * time.Millisecond) // look something up
	get.End()

	if r.URL.Query().Get("fail") != "" {
		span.RecordError(errors.New("calendar is unavailable"))
		span.SetAttrs(tracing.Int("http.response.status_code", http.StatusInternalServerError))
		http.Error(w, "calendar is unavailable", http.StatusInternalServerError)
		return
	}
	span.SetAttrs(tracing.Int("http.response.status_code", http.StatusOK))
	fmt.Fprintf(w, "%q", time.Now().Format(time.DateOnly))
}
