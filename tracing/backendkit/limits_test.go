package backendkit_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

func TestTruncateString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", -1, "hello"},
		{"hello", 0, ""},
		{"hello", 3, "hel"},
		{"hello", 5, "hello"},
		{"hello", 9, "hello"},
		{"héllo", 2, "hé"},     // characters, not bytes
		{"日本語テキスト", 3, "日本語"},  // three bytes each
		{"a\xffb", 2, "a\xff"}, // an invalid byte counts as one character
		{strings.Repeat("é", 10), 10, strings.Repeat("é", 10)},
	} {
		if got := backendkit.TruncateString(tc.in, tc.n); got != tc.want {
			t.Errorf("TruncateString(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	long := strings.Repeat("€", 1000)
	if got := backendkit.TruncateString(long, 999); !utf8.ValidString(got) || utf8.RuneCountInString(got) != 999 {
		t.Errorf("cut %d characters, valid %v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}

func TestTruncateValue(t *testing.T) {
	orig := []string{"short", "much too long"}
	v := backendkit.TruncateValue(tracing.StringSliceValue(orig), 5)
	if got := v.AsStringSlice(); len(got) != 2 || got[0] != "short" || got[1] != "much " {
		t.Errorf("slice cut to %q", got)
	}
	if orig[1] != "much too long" {
		t.Error("TruncateValue changed the caller's slice")
	}
	if v := tracing.Int64Value(7); !backendkit.TruncateValue(v, 0).Equal(v) || backendkit.Truncated(v, 0) {
		t.Error("a number was changed")
	}
	if backendkit.Truncated(tracing.StringValue("abc"), 3) || !backendkit.Truncated(tracing.StringValue("abcd"), 3) {
		t.Error("Truncated is wrong at the boundary")
	}
}

func TestLimitsFromEnv(t *testing.T) {
	for _, k := range []string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
		"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"} {
		t.Setenv(k, "")
	}
	l, set, err := backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	if err != nil || set || l != backendkit.DefaultLimits {
		t.Fatalf("unset: %+v %v %v, want the defaults", l, set, err)
	}
	t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "10")
	t.Setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "3")
	t.Setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "5") // the span variable wins
	t.Setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "0")
	t.Setenv("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "2")
	l, set, err = backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	if err != nil || !set || l != (backendkit.Limits{AttrValueLen: 10, Attrs: 5, Events: 0, AttrsPerEvent: 2}) {
		t.Errorf("got %+v %v %v", l, set, err)
	}
	t.Setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1")
	t.Setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "x")
	_, _, err = backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") || !strings.Contains(err.Error(), "OTEL_SPAN_EVENT_COUNT_LIMIT") {
		t.Errorf("bad values: %v, want an error naming both variables", err)
	}
}

// TestStatsAfterShutdown: spans ending after Shutdown are not handed on,
// and are counted.
func TestStatsAfterShutdown(t *testing.T) {
	var got int
	b := backendkit.NewMemoryBackend(backendkit.MemoryOptions{OnEnd: func(*backendkit.SpanData) { got++ }})
	tr := tracing.New(b)
	_, before := tr.Start(context.Background(), "before")
	_, straddle := tr.Start(context.Background(), "straddle")
	before.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	straddle.End()
	straddle.End()
	if st := b.Stats(); got != 1 || st != (tracing.Stats{Ended: 2, Exported: 1, Dropped: 1, DroppedBy: tracing.DropCounts{AfterShutdown: 1}}) {
		t.Errorf("%d spans handed on, stats %+v; want 2 ended: 1 exported, 1 dropped after Shutdown", got, st)
	}
}
