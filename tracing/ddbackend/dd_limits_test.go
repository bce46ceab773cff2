package ddbackend_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/ddbackend"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

var tenMB = strings.Repeat("0123456789", 1<<20)

// TestDefaultLimits: dd-trace-go sends every value whole; the backend cuts
// them to 25000 characters (what the agent keeps of a tag) in tags, the
// resource, error tags, event attributes and the status message, counting
// characters, and keeps 128 events.
func TestDefaultLimits(t *testing.T) {
	a := newAgent(t, ddtest.Config{SpanEvents: true})
	b := newBackend(t, a)
	tr := tracing.New(b)
	accents := strings.Repeat("é", 30000)
	_, sp := tr.Start(context.Background(), "big", tracing.WithResource(tenMB),
		tracing.WithAttrs(tracing.String("big", tenMB), tracing.String("accents", accents)))
	for i := range 200 {
		sp.AddEvent("e", tracing.String("body", tenMB), tracing.Int("i", i))
	}
	sp.RecordError(errors.New(tenMB), tracing.WithStack())
	sp.End()
	_, st := tr.Start(context.Background(), "status")
	st.SetStatus(tracing.StatusError, tenMB)
	st.End()
	shutdown(t, b)
	const n = 25000
	want := tenMB[:n]
	s := ddtest.SpanNamed(t, a.Spans(), "big")
	if s.Meta["big"] != want || s.Resource != want || s.Meta["error.message"] != want {
		t.Errorf("sent %d bytes of tag, %d of resource, %d of error message; want the first %d",
			len(s.Meta["big"]), len(s.Resource), len(s.Meta["error.message"]), n)
	}
	if v := s.Meta["accents"]; utf8.RuneCountInString(v) != n || !utf8.ValidString(v) {
		t.Errorf("multi-byte tag: %d characters (valid UTF-8: %v), want %d", utf8.RuneCountInString(v), utf8.ValidString(v), n)
	}
	if len(s.Events) != 128 {
		t.Errorf("%d events sent, want 128", len(s.Events))
	} else if body, _ := s.Events[0].Attributes["body"].(string); body != want {
		t.Errorf("event attribute of %d bytes, want %d", len(body), n)
	}
	if m := ddtest.SpanNamed(t, a.Spans(), "status").Meta["error.message"]; m != want {
		t.Errorf("status description of %d bytes, want %d", len(m), n)
	}
}

// TestLimitsFromEnvAndOptions: the OpenTelemetry limit variables apply to
// the Datadog backend too; options win over them.
func TestLimitsFromEnvAndOptions(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		opts                  []ddbackend.Option
		valueLen, attrs, evts int
	}{
		{name: "env", valueLen: 5, attrs: 4, evts: 2},
		{name: "options", opts: []ddbackend.Option{ddbackend.WithAttributeValueLengthLimit(3),
			ddbackend.WithAttributeCountLimit(6), ddbackend.WithEventCountLimit(1)}, valueLen: 3, attrs: 6, evts: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")
			t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "9") // the span variable wins
			t.Setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "4")
			t.Setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "2")
			a := newAgent(t, ddtest.Config{SpanEvents: true})
			b := newBackend(t, a, tc.opts...)
			tr := tracing.New(b)
			_, sp := tr.Start(context.Background(), "limited")
			for i := range 10 {
				sp.SetAttrs(tracing.String(fmt.Sprintf("k%d", i), "abcdefghij"))
				sp.AddEvent("e")
			}
			sp.End()
			shutdown(t, b)
			s := ddtest.SpanNamed(t, a.Spans(), "limited")
			var keys []string
			for i := range 10 {
				k := fmt.Sprintf("k%d", i)
				if v, ok := s.Meta[k]; ok {
					keys = append(keys, k)
					if v != "abcdefghij"[:tc.valueLen] {
						t.Errorf("%s = %q, want %d characters", k, v, tc.valueLen)
					}
				}
			}
			if len(keys) != tc.attrs {
				t.Errorf("kept attributes %v, want %d", keys, tc.attrs)
			}
			if len(s.Events) != tc.evts {
				t.Errorf("%d events, want %d", len(s.Events), tc.evts)
			}
		})
	}
}

// TestAttributeCountKeepsUpdates: the count limit bounds distinct keys,
// never the updates of a key the span keeps setting (a progress count),
// and past it new keys are dropped.
func TestAttributeCountKeepsUpdates(t *testing.T) {
	a := newAgent(t, ddtest.Config{})
	b := newBackend(t, a, ddbackend.WithAttributeCountLimit(10))
	tr := tracing.New(b)
	_, sp := tr.Start(context.Background(), "job")
	for i := range 1000 {
		sp.SetAttrs(tracing.Int("done", i))
	}
	for i := range 50 {
		sp.SetAttrs(tracing.Int(fmt.Sprintf("k%02d", i), i))
	}
	sp.SetAttrs(tracing.Int("done", 1000))
	sp.End()
	shutdown(t, b)
	s := ddtest.SpanNamed(t, a.Spans(), "job")
	if s.Metrics["done"] != 1000 {
		t.Errorf("done = %v, want the last update, 1000", s.Metrics["done"])
	}
	kept := 0
	for i := range 50 {
		if _, ok := s.Metrics[fmt.Sprintf("k%02d", i)]; ok {
			kept++
		}
	}
	if kept+1 > 10 || kept == 0 {
		t.Errorf("kept %d new keys besides done, want between 1 and 9", kept)
	}
}

// TestBigValueDoesNotBreakPayload: a Datadog agent refuses a payload over
// its limit (413), losing every trace in it. With the default limit a
// span with a 10 MB value and the spans sent with it all arrive; with no
// limit the payload is refused, and Stats counts its spans as dropped.
func TestBigValueDoesNotBreakPayload(t *testing.T) {
	for _, unlimited := range []bool{false, true} {
		name := "default-limit"
		var opts []ddbackend.Option
		if unlimited {
			name = "no-limit"
			opts = append(opts, ddbackend.WithAttributeValueLengthLimit(-1))
		}
		t.Run(name, func(t *testing.T) {
			a := newAgent(t, ddtest.Config{MaxPayload: 5 << 20})
			b := newBackend(t, a, opts...)
			tr := tracing.New(b)
			_, big := tr.Start(context.Background(), "big", tracing.WithAttrs(tracing.String("big", tenMB)))
			big.End()
			for i := range 20 {
				_, sp := tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
				sp.End()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			got, st := len(a.Spans()), tr.Stats()
			if !unlimited {
				if got != 21 || st != (tracing.Stats{Ended: 21, Exported: 21}) {
					t.Errorf("%d spans arrived, stats %+v: want all 21 exported", got, st)
				}
				return
			}
			if got+a.Rejected() != 21 || a.Rejected() == 0 || int(st.Dropped) != a.Rejected() || int(st.Exported) != got {
				t.Errorf("%d spans arrived, %d refused, stats %+v: want the refused ones counted as dropped", got, a.Rejected(), st)
			}
		})
	}
}

// TestBadLimitVariable: a malformed limit variable is an error naming it.
func TestBadLimitVariable(t *testing.T) {
	t.Setenv("OTEL_SPAN_EVENT_COUNT_LIMIT", "-3")
	if _, err := ddbackend.New(withDDLog()); err == nil || !strings.Contains(err.Error(), "OTEL_SPAN_EVENT_COUNT_LIMIT") {
		t.Errorf("New with a malformed limit: %v, want an error naming the variable", err)
	}
}
