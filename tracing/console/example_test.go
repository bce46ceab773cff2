package console_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
)

func Example() {
	var out bytes.Buffer
	tracer := tracing.New(console.New(console.WithWriter(&out), console.WithColor(false)))

	ctx, req := tracer.Start(context.Background(), "GET /notes/{id}", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.Int("http.response.status_code", 200)))
	_, get := tracer.Start(ctx, "GetNote", tracing.WithAttrs(tracing.String("note.id", "3")))
	get.End()
	req.End() // the trace is complete: it is written now

	// Ids, durations and bars vary from run to run.
	s := regexp.MustCompile(`[0-9a-f]{32}`).ReplaceAllString(out.String(), "<trace id>")
	s = regexp.MustCompile(` +[0-9.]+(µs|ms) ▕[█ ]+▏`).ReplaceAllString(s, " <duration> <bar>")
	s = regexp.MustCompile(`· [0-9.]+(µs|ms) ·`).ReplaceAllString(s, "· <duration> ·")
	s = regexp.MustCompile(` · \S+ · `).ReplaceAllString(s, " · <service> · ")
	fmt.Print(s)
	// Output:
	// trace <trace id> · <service> · <duration> · 2 spans
	// GET /notes/{id}  server <duration> <bar> status=200
	// └─ GetNote       internal <duration> <bar> note.id=3
}
