package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/console"
	"github.com/polytrace/polytrace/tracing/console/consoletest"
)

var limitVars = []string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
	"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT", "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"}

// TestLimits: the console backend keeps values to 25000 characters and
// 128 attributes and events by default, honours the OpenTelemetry limit
// variables, and its options win over them; the JSON it writes shows it.
func TestLimits(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	for _, tc := range []struct {
		name                  string
		env                   map[string]string
		opts                  []console.Option
		valueLen, attrs, evts int
	}{
		{name: "defaults", valueLen: 25000, attrs: 128, evts: 128},
		{name: "env", env: map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "10", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "5",
			"OTEL_SPAN_EVENT_COUNT_LIMIT": "3"}, valueLen: 10, attrs: 5, evts: 3},
		{name: "options", env: map[string]string{"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "10"},
			opts: []console.Option{console.WithMaxValueLen(4), console.WithMaxAttributes(2), console.WithMaxEvents(1)}, valueLen: 4, attrs: 2, evts: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range limitVars {
				t.Setenv(k, tc.env[k])
			}
			b, written := consoletest.Start(tc.opts...)
			tr := tracing.New(b)
			_, sp := tr.Start(context.Background(), "limited", tracing.WithAttrs(tracing.String("big", big)))
			for i := range 200 {
				sp.SetAttrs(tracing.Int(fmt.Sprintf("a%03d", i), i))
				sp.AddEvent("e")
			}
			sp.End()
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := written(t)
			if len(spans) != 1 {
				t.Fatalf("got %d spans", len(spans))
			}
			d := spans[0]
			if v, _ := d.Attr("big"); len(v.String()) != tc.valueLen {
				t.Errorf("value of %d bytes written, want %d", len(v.String()), tc.valueLen)
			}
			if len(d.Attrs) != tc.attrs || len(d.Events) != tc.evts {
				t.Errorf("%d attributes and %d events written, want %d and %d", len(d.Attrs), len(d.Events), tc.attrs, tc.evts)
			}
		})
	}
}

// TestBadLimitVariable: through tracing.Open, a malformed limit variable
// is an error naming it.
func TestBadLimitVariable(t *testing.T) {
	for _, k := range limitVars {
		t.Setenv(k, "")
	}
	t.Setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "some")
	if _, err := tracing.Open(context.Background(), "console", tracing.WithoutSummary()); err == nil || !strings.Contains(err.Error(), "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") {
		t.Errorf("Open with a malformed limit: %v, want an error naming the variable", err)
	}
}
