package console_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
)

// drawWide draws one trace whose spans have long names and many long
// attributes, and returns the lines written.
func drawWide(t *testing.T, opts ...console.Option) []string {
	t.Helper()
	var buf bytes.Buffer
	tr := tracing.New(console.New(append([]console.Option{console.WithWriter(&buf), console.WithColor(false)}, opts...)...))
	ctx, root := tr.Start(context.Background(), "POST /notes/{id}/attachments/{attachment}/versions", tracing.WithKind(tracing.SpanKindServer),
		tracing.WithAttrs(tracing.Int("http.response.status_code", 500), tracing.String("http.request.method", "POST"),
			tracing.String("url.path", "/notes/42/attachments/7/versions"), tracing.String("user_agent.original", strings.Repeat("Mozilla/5.0 ", 10)),
			tracing.String("note.id", "42")))
	_, q := tr.Start(ctx, "SELECT notes", tracing.WithKind(tracing.SpanKindClient), tracing.WithService("db"),
		tracing.WithResource("SELECT id, description, created_at, updated_at, owner FROM notes WHERE id = ? AND owner = ?"),
		tracing.WithAttrs(tracing.String("db.system.name", "sqlite")))
	q.AddEvent("retry", tracing.String("reason", strings.Repeat("database is locked ", 10)))
	q.RecordError(errors.New(strings.Repeat("constraint failed ", 12)))
	q.End()
	root.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}

// TestTreeFitsTheWidth: every line of a tree with long names, attributes,
// events and errors fits the width, and a span line still shows its outcome
// first and says how many attributes it left out.
func TestTreeFitsTheWidth(t *testing.T) {
	for _, width := range []int{80, 100, 120} {
		lines := drawWide(t, console.WithWidth(width))
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("width %d: line of %d columns: %q", width, n, l)
			}
		}
		if !strings.Contains(lines[1], "status=500") || !strings.Contains(lines[1], "+") {
			t.Errorf("width %d: the server span's line lacks its status or the count of attributes left out: %q", width, lines[1])
		}
	}
}

// TestVerboseShowsEveryAttribute: WithVerbose (or POLYTRACE_CONSOLE_VERBOSE)
// folds every attribute, whole, onto lines under its span, within the
// width.
func TestVerboseShowsEveryAttribute(t *testing.T) {
	check := func(t *testing.T, lines []string) {
		t.Helper()
		// Folded rows continue each other: join them without the tree's
		// prefixes.
		var all string
		for _, l := range lines {
			all += strings.TrimLeft(l, " │├└─")
		}
		for _, want := range []string{"http.response.status_code=500", "http.request.method=POST", "url.path=/notes/42/attachments/7/versions",
			"note.id=42", "db.system.name=sqlite", `resource="SELECT id, description, created_at, updated_at, owner FROM notes WHERE id = ? AND owner = ?"`,
			`reason="` + strings.Repeat("database is locked ", 10) + `"`, strings.TrimSpace(strings.Repeat("constraint failed ", 12))} {
			if !strings.Contains(all, want) {
				t.Errorf("verbose tree lacks %s:\n%s", want, all)
			}
		}
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > 100 {
				t.Errorf("line of %d columns: %q", n, l)
			}
		}
	}
	t.Run("option", func(t *testing.T) { check(t, drawWide(t, console.WithWidth(100), console.WithVerbose(true))) })
	t.Run("variable", func(t *testing.T) {
		t.Setenv(console.EnvVerbose, "1")
		check(t, drawWide(t, console.WithWidth(100)))
	})
	t.Run("COLUMNS", func(t *testing.T) {
		t.Setenv("COLUMNS", "70")
		for _, l := range drawWide(t) {
			if n := utf8.RuneCountInString(l); n > 70 {
				t.Errorf("COLUMNS=70: line of %d columns: %q", n, l)
			}
		}
	})
}
