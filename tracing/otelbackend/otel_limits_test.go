package otelbackend_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/otelbackend"
	"github.com/polytrace/polytrace/tracing/otelbackend/otlptest"
)

var tenMB = strings.Repeat("0123456789", 1<<20)

// TestDefaultValueLengthLimit: without a limit variable, values are cut to
// DefaultAttributeValueLengthLimit characters, in attributes and (which
// the SDK does not truncate) in events, exception messages and stack
// traces, and the status description; multi-byte characters are counted
// as characters and never split.
func TestDefaultValueLengthLimit(t *testing.T) {
	isolateEnv(t)
	r := otlptest.Start(t)
	tr := tracing.New(newBackend(t, r, otelbackend.ProtocolGRPC))
	accents := strings.Repeat("é", 30000)
	_, sp := tr.Start(context.Background(), "big", tracing.WithAttrs(tracing.String("big", tenMB), tracing.String("accents", accents)))
	sp.AddEvent("dump", tracing.String("body", tenMB))
	sp.RecordError(errors.New(tenMB))
	sp.SetStatus(tracing.StatusError, tenMB)
	sp.End()
	flush(t, tr.Backend().(*otelbackend.Backend))
	d := one(t, r.Spans(t, 1), "big")
	const n = otelbackend.DefaultAttributeValueLengthLimit
	want := tenMB[:n]
	if v := d.AttrString("big"); v != want {
		t.Errorf("attribute: %d bytes sent, want the first %d", len(v), n)
	}
	if v := d.AttrString("accents"); utf8.RuneCountInString(v) != n || !utf8.ValidString(v) {
		t.Errorf("multi-byte attribute: %d characters sent (valid UTF-8: %v), want %d", utf8.RuneCountInString(v), utf8.ValidString(v), n)
	}
	if e, ok := d.Event("dump"); !ok || e.Attrs[0].Value.String() != want {
		t.Errorf("event attribute not cut to %d characters", n)
	}
	if d.ErrorMessage != want || d.StatusMsg != want {
		t.Errorf("exception message %d bytes, status description %d bytes, want %d", len(d.ErrorMessage), len(d.StatusMsg), n)
	}
}

// TestGeneralValueLengthVariable: OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT applies
// when the span-specific variable is unset, to event attributes too;
// WithSpanLimits wins over both.
func TestGeneralValueLengthVariable(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []otelbackend.Option
		want int
	}{
		{name: "env", want: 7},
		{name: "code", opts: []otelbackend.Option{otelbackend.WithSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: 3})}, want: 3},
		{name: "code-unlimited", opts: []otelbackend.Option{otelbackend.WithSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: -1})}, want: 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "7")
			r := otlptest.Start(t)
			b := newBackend(t, r, otelbackend.ProtocolHTTPProtobuf, tc.opts...)
			tr := tracing.New(b)
			v := "abcdefghijklmnopqrst"
			_, sp := tr.Start(context.Background(), "cut", tracing.WithAttrs(tracing.String("v", v)))
			sp.AddEvent("e", tracing.StringSlice("vs", []string{"ok", v}))
			sp.End()
			flush(t, b)
			d := one(t, r.Spans(t, 1), "cut")
			if got := d.AttrString("v"); got != v[:tc.want] {
				t.Errorf("attribute %q, want %q", got, v[:tc.want])
			}
			if e, _ := d.Event("e"); len(e.Attrs) != 1 || e.Attrs[0].Value.String() != "[ok "+v[:tc.want]+"]" {
				t.Errorf("event attributes %v, want the slice's strings cut to %d", e.Attrs, tc.want)
			}
		})
	}
}

// TestBigValueDoesNotBreakBatch: the collector's gRPC receiver takes at
// most 4 MiB per request (the OpenTelemetry Collector's default, and
// gRPC's, which otlptest keeps). With the default limit, a span with a
// 10 MB value and the spans batched with it all arrive; with no limit the
// whole batch is refused, and Stats counts every span of it.
func TestBigValueDoesNotBreakBatch(t *testing.T) {
	for _, unlimited := range []bool{false, true} {
		name := "default-limit"
		var opts []otelbackend.Option
		if unlimited {
			name = "no-limit"
			opts = append(opts, otelbackend.WithSpanLimits(sdktrace.SpanLimits{AttributeValueLengthLimit: -1}))
		}
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			r := otlptest.Start(t)
			b := newBackend(t, r, otelbackend.ProtocolGRPC, opts...)
			tr := tracing.New(b)
			_, big := tr.Start(context.Background(), "big", tracing.WithAttrs(tracing.String("big", tenMB)))
			big.End()
			for i := range 20 {
				_, sp := tr.Start(context.Background(), "neighbour", tracing.WithAttrs(tracing.Int("i", i)))
				sp.End()
			}
			err := b.ForceFlush(context.Background())
			got := len(r.Raw(0))
			st := b.Stats()
			if !unlimited {
				if err != nil || got != 21 || st != (tracing.Stats{Ended: 21, Exported: 21}) {
					t.Errorf("flush %v, %d spans arrived, stats %+v: want all 21 exported", err, got, st)
				}
				return
			}
			if err == nil || got != 0 || st != (tracing.Stats{Ended: 21, Dropped: 21}) {
				t.Errorf("flush %v, %d spans arrived, stats %+v: want the batch refused and its 21 spans counted as dropped", err, got, st)
			}
		})
	}
}

// TestBadLimitVariable: a limit variable that is not a non-negative
// integer is an error naming it (the SDK would ignore it).
func TestBadLimitVariable(t *testing.T) {
	isolateEnv(t)
	t.Setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "lots")
	if _, err := otelbackend.New(otelbackend.WithoutGlobal()); err == nil || !strings.Contains(err.Error(), "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") {
		t.Errorf("New with a malformed limit: %v, want an error naming the variable", err)
	}
}
