package jaegerbackend_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

var tenMB = strings.Repeat("0123456789", 1<<20)

// logField returns the value of field key in the first log of s that has
// it.
func logField(s *j.Span, key string) (string, bool) {
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if f.Key == key {
				return jaegertest.Value(f).String(), true
			}
		}
	}
	return "", false
}

// TestDefaultLimits: over UDP, a span with a 10 MB tag, event attribute
// and error still arrives (as do the spans sent with it): tags are cut to
// jaeger-client-go's 256 characters, log fields to DefaultLogFieldLength,
// counting characters, and a span keeps 128 events.
func TestDefaultLimits(t *testing.T) {
	b, a := newAgentBackend(t, nil)
	tr := tracing.New(b)
	accents := strings.Repeat("é", 1000)
	_, sp := tr.Start(context.Background(), "big", tracing.WithAttrs(tracing.String("big", tenMB), tracing.String("accents", accents)))
	sp.AddEvent("dump", tracing.String("body", tenMB))
	sp.RecordError(errors.New(tenMB), tracing.WithStack())
	sp.End()
	_, many := tr.Start(context.Background(), "many")
	for i := range 200 {
		many.AddEvent("e", tracing.Int("i", i))
	}
	many.End()
	for i := range 20 {
		_, n := tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
		n.End()
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := a.Spans(t, 22, wait)
	if n := len(jaegertest.Named(spans, "neighbour")); n != 20 {
		t.Errorf("%d of 20 neighbours arrived", n)
	}
	big := jaegertest.Named(spans, "big")
	if len(big) != 1 {
		t.Fatalf("the big span arrived %d times", len(big))
	}
	tags := jaegertest.Tags(big[0])
	if v := tags["big"].String(); v != tenMB[:256] {
		t.Errorf("tag of %d bytes, want 256", len(v))
	}
	if v := tags["accents"].String(); utf8.RuneCountInString(v) != 256 || !utf8.ValidString(v) {
		t.Errorf("multi-byte tag: %d characters (valid UTF-8: %v), want 256", utf8.RuneCountInString(v), utf8.ValidString(v))
	}
	const n = jaegerbackend.DefaultLogFieldLength
	if v, _ := logField(big[0], "body"); v != tenMB[:n] {
		t.Errorf("event field of %d bytes, want %d", len(v), n)
	}
	if v, _ := logField(big[0], "message"); v != tenMB[:n] {
		t.Errorf("error message of %d bytes, want %d", len(v), n)
	}
	if m := jaegertest.Named(spans, "many"); len(m) != 1 || len(m[0].Logs) != 128 {
		t.Errorf("the span with 200 events arrived with %d logs, want 128", len(m[0].Logs))
	}
	if st := tr.Stats(); st.Ended != 22 || st.Exported != 22 {
		t.Errorf("stats %+v", st)
	}
}

// TestLimitsFromEnvAndOptions: the OpenTelemetry limit variables apply to
// the jaeger backend (to tags and log fields alike); options win over
// them.
func TestLimitsFromEnvAndOptions(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		opts                  []jaegerbackend.Option
		valueLen, attrs, evts int
	}{
		{name: "env", valueLen: 5, attrs: 4, evts: 2},
		{name: "options", opts: []jaegerbackend.Option{jaegerbackend.WithAttributeValueLengthLimit(3),
			jaegerbackend.WithAttributeCountLimit(6), jaegerbackend.WithEventCountLimit(1)}, valueLen: 3, attrs: 6, evts: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, a := newAgentBackend(t, map[string]string{
				"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT": "5", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "9",
				"OTEL_ATTRIBUTE_COUNT_LIMIT": "4", "OTEL_SPAN_EVENT_COUNT_LIMIT": "2",
			}, tc.opts...)
			tr := tracing.New(b)
			_, sp := tr.Start(context.Background(), "limited")
			for i := range 10 {
				sp.SetAttrs(tracing.String(fmt.Sprintf("k%d", i), "abcdefghij"))
				sp.AddEvent("e", tracing.String("f", "abcdefghij"))
			}
			sp.End()
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := jaegertest.Named(a.Spans(t, 1, wait), "limited")
			if len(s) != 1 {
				t.Fatal("span missing")
			}
			tags := jaegertest.Tags(s[0])
			kept := 0
			for i := range 10 {
				if v, ok := tags[fmt.Sprintf("k%d", i)]; ok {
					kept++
					if v.String() != "abcdefghij"[:tc.valueLen] {
						t.Errorf("tag %q, want %d characters", v, tc.valueLen)
					}
				}
			}
			if kept != tc.attrs || len(s[0].Logs) != tc.evts {
				t.Errorf("kept %d tags and %d logs, want %d and %d", kept, len(s[0].Logs), tc.attrs, tc.evts)
			}
			if v, _ := logField(s[0], "f"); v != "abcdefghij"[:tc.valueLen] {
				t.Errorf("log field %q, want %d characters", v, tc.valueLen)
			}
		})
	}
}

// TestBadLimitVariable: a malformed limit variable is an error naming it.
func TestBadLimitVariable(t *testing.T) {
	setEnv(t, map[string]string{"JAEGER_SERVICE_NAME": "bad", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "many"})
	if _, err := jaegerbackend.New(); err == nil || !strings.Contains(err.Error(), "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") {
		t.Errorf("New with a malformed limit: %v, want an error naming the variable", err)
	}
}
