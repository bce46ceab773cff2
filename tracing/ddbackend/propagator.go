package ddbackend

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
)

// The Backend is a tracing.Propagator over dd-trace-go's own propagator,
// which follows DD_TRACE_PROPAGATION_STYLE, _INJECT and _EXTRACT (default:
// datadog, tracecontext, baggage). Baggage is the facade's
// (tracing.BaggageFromContext), written and read in the formats those
// styles give span baggage in dd-trace-go: the W3C baggage header for
// "baggage", ot-baggage-* headers for "datadog".

const otBaggagePrefix = "ot-baggage-"

// live reports whether dd-trace-go's tracer is running for this backend.
func (b *Backend) live() bool { return b.s.enabled && !b.closed.Load() }

// Inject implements tracing.Propagator: the context of the nearest span in
// ctx (a facade span, a span started with dd-trace-go's own API below it,
// or an extracted remote context) in every inject style, and the baggage.
// Once the backend is shut down (or with DD_TRACE_ENABLED=false) it falls
// back to W3C trace context and baggage, so that requests still carry
// their callers' traces.
func (b *Backend) Inject(ctx context.Context, c tracing.Carrier) {
	if ctx == nil || c == nil {
		return
	}
	if !b.live() {
		tracing.DefaultPropagator().Inject(ctx, c)
		return
	}
	node, _, pctx := parentOf(ctx)
	valid := pctx != nil && pctx.SpanID() != 0
	if valid {
		_ = tracer.Inject(pctx, injectWriter{c: c, random: randomFlag(ctx, node, pctx)})
	}
	bag := tracing.BaggageFromContext(ctx)
	merged := bag
	if valid {
		var dd []tracing.Member
		pctx.ForeachBaggageItem(func(k, v string) bool {
			dd = append(dd, tracing.Member{Key: k, Value: v})
			return true
		})
		slices.SortFunc(dd, func(a, b tracing.Member) int { return strings.Compare(a.Key, b.Key) })
		for _, m := range dd {
			if _, ok := merged.Get(m.Key); !ok {
				merged, _ = merged.With(m.Key, m.Value)
			}
		}
	}
	if merged.Len() == 0 {
		return
	}
	if hasStyle(b.s.inject, "baggage") {
		if s := tracing.FormatBaggage(merged); s != "" {
			c.Set(tracing.HeaderBaggage, s)
		}
	}
	if valid && hasStyle(b.s.inject, "datadog") {
		// dd-trace-go wrote its span's own baggage; add the facade's.
		for _, m := range bag.Members() {
			if validHeaderValue(m.Value) {
				c.Set(otBaggagePrefix+m.Key, m.Value)
			}
		}
	}
}

// injectWriter is the tracer.TextMapWriter dd-trace-go injects into. It
// holds back the baggage header, which Inject writes merged with the
// facade's baggage, and adds the random flag (random) to the traceparent
// dd-trace-go writes with flags 00 or 01 only.
type injectWriter struct {
	c      tracing.Carrier
	random bool
}

func (w injectWriter) Set(key, val string) {
	switch {
	case strings.EqualFold(key, tracing.HeaderBaggage):
		return
	case w.random && strings.EqualFold(key, tracing.HeaderTraceparent):
		if sc, ok := tracing.ParseTraceparent(val); ok && len(val) == 55 {
			val = sc.WithTraceFlags(sc.TraceFlags() | tracing.FlagsRandom).Traceparent()
		}
	}
	w.c.Set(key, val)
}

// Extract implements tracing.Propagator. The span context comes from
// dd-trace-go's extractors; SpanFromContext on the result returns it as a
// remote span context with the full 128-bit trace id (from traceparent or
// from x-datadog-trace-id and the _dd.p.tid tag) and the W3C tracestate.
// Baggage is read by the facade's W3C parser (which keeps member
// properties and drops bad members one by one) and from ot-baggage-*
// headers, and merged into the context's baggage; dd-trace-go does not see
// those headers, so the facade's baggage is the one source of truth.
func (b *Backend) Extract(ctx context.Context, c tracing.Carrier) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if c == nil {
		return ctx
	}
	if !b.live() {
		return tracing.DefaultPropagator().Extract(ctx, c)
	}
	pctx, err := tracer.Extract(extractReader{c})
	found := err == nil && pctx != nil && pctx.SpanID() != 0 && pctx.TraceIDBytes() != [16]byte{}
	if found {
		// The tracestate and the random flag, which dd-trace-go's span
		// context does not hold, come from the traceparent when it names
		// the trace extracted (from whichever format won).
		ts, random := "", false
		if hasStyle(b.s.extract, "tracecontext") {
			if w3c, ok := tracing.ExtractTraceContext(c); ok && w3c.TraceID() == tracing.TraceID(pctx.TraceIDBytes()) {
				ts, random = w3c.TraceState(), w3c.TraceFlags()&tracing.FlagsRandom != 0
			}
		}
		ctx = &remote{Context: ctx, dd: pctx, sc: spanContextOf(pctx, true, ts, random)}
	}
	if hasStyle(b.s.extract, "baggage") {
		ctx = tracing.BaggagePropagator{}.Extract(ctx, c)
	}
	if found && hasStyle(b.s.extract, "datadog") {
		ctx = extractOTBaggage(ctx, c)
	}
	return ctx
}

// extractReader is the tracer.TextMapReader dd-trace-go extracts from; it
// hides the baggage headers, which Extract reads itself, and corrects what
// dd-trace-go's parsers get wrong about hostile headers:
//
//   - W3C trace context: dd-trace-go accepts upper-case hex ids, reads the
//     first of two traceparent headers and the first of several
//     tracestate headers, and forwards malformed tracestate members;
//     W3C Trace Context makes two traceparent headers invalid, several
//     tracestate headers one list, and a tracestate with a malformed
//     member invalid. So dd-trace-go is shown the canonical traceparent
//     (version 00, known flags) and the tracestate as the facade reads it
//     (tracing.ParseTraceState: Level 2 keys kept, a repeated key once),
//     or neither when there is no valid traceparent. dd-trace-go forwards
//     that list as it is, after its own dd member (which replaces the
//     caller's).
//   - x-datadog-*: a malformed x-datadog-trace-id, -parent-id or
//     -sampling-priority makes dd-trace-go's extraction fail as a whole,
//     so that a valid traceparent beside it is ignored too; such headers
//     are hidden instead, as any malformed trace context is.
//   - x-datadog-tags: dd-trace-go keeps every tag of a well-formed header
//     and sends it on, and sets it on the local root span, where only
//     _dd.p.* tags are Datadog's to propagate; the others are removed.
//   - every other header is passed once, with its first value:
//     dd-trace-go parses every value of a repeated header, so that a
//     request repeating x-datadog-tags thousands of times costs as many
//     parses.
type extractReader struct{ c tracing.Carrier }

func (r extractReader) ForeachKey(handler func(key, val string) error) error {
	w3cDone := false
	ddOK := validDatadogHeaders(r.c)
	var err error
	pass := func(k, v string) bool {
		err = handler(k, v)
		return err == nil
	}
	each := func(k, v string) bool {
		// The headers handled below begin with b, o, t or x; any other
		// is passed on without comparing it with each of them.
		if len(k) == 0 || !strings.ContainsRune("botx", rune(k[0]|0x20)) {
			return pass(lowerKey(k), v)
		}
		switch {
		case strings.EqualFold(k, tracing.HeaderBaggage) || hasPrefixFold(k, otBaggagePrefix):
			return true
		case hasPrefixFold(k, "x-datadog-") && !ddOK:
			return true
		case strings.EqualFold(k, headerDDTags):
			return pass(k, propagatedDDTags(v))
		case strings.EqualFold(k, tracing.HeaderTracestate):
			return true // with traceparent
		case strings.EqualFold(k, tracing.HeaderTraceparent):
			if w3cDone {
				return true
			}
			w3cDone = true
			sc, ok := tracing.ExtractTraceContext(r.c)
			if !ok {
				return true
			}
			tp := sc.WithTraceFlags(sc.TraceFlags() & (tracing.FlagsSampled | tracing.FlagsRandom)).Traceparent()
			if !pass(tracing.HeaderTraceparent, tp) {
				return false
			}
			if ts := sc.TraceState(); ts != "" {
				return pass(tracing.HeaderTracestate, ts)
			}
			return true
		}
		// One value per key, as Get reads it: the formats dd-trace-go
		// reads besides W3C have one value per header, and a request
		// repeating a header thousands of times must not cost as many
		// parses. The key goes in lower case: dd-trace-go's extractors
		// lower-case every key they are given (strings.ToLower, which
		// allocates unless it is lower case already), three times per
		// request, once per format.
		return pass(lowerKey(k), v)
	}
	if h, ok := r.c.(tracing.HeaderCarrier); ok {
		// An HTTP request's headers: the map's own keys and values, as
		// they are (Get would canonicalise each key again).
		for k, vs := range h {
			v := ""
			if len(vs) > 0 {
				v = vs[0]
			}
			if !each(k, v) {
				break
			}
		}
		return err
	}
	tracing.RangeKeys(r.c, func(k string) bool { return each(k, r.c.Get(k)) })
	return err
}

// lowerKey returns k in lower case, from a cache for keys that need
// changing: header names are few. The cache stops growing at 256 keys,
// past which keys are lower-cased on each call.
func lowerKey(k string) string {
	upper := false
	for i := 0; i < len(k); i++ {
		if c := k[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return k
	}
	if m := lowerKeys.m.Load(); m != nil {
		if l, ok := (*m)[k]; ok {
			return l
		}
	}
	l := strings.ToLower(k)
	lowerKeys.mu.Lock()
	defer lowerKeys.mu.Unlock()
	old := lowerKeys.m.Load()
	if old != nil && len(*old) >= 256 {
		return l
	}
	m := make(map[string]string, 8)
	if old != nil {
		for a, b := range *old {
			m[a] = b
		}
	}
	m[strings.Clone(k)] = l
	lowerKeys.m.Store(&m)
	return l
}

// lowerKeys caches lowerKey's answers, copy-on-write.
var lowerKeys struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// Datadog headers dd-trace-go reads.
const (
	headerDDTraceID  = "x-datadog-trace-id"
	headerDDParentID = "x-datadog-parent-id"
	headerDDPriority = "x-datadog-sampling-priority"
	headerDDTags     = "x-datadog-tags"
	ddTagsMaxSize    = 512 // dd-trace-go's limit on x-datadog-tags
)

// validDatadogHeaders reports whether dd-trace-go's datadog extractor can
// parse c's x-datadog-trace-id, -parent-id and -sampling-priority (each
// may be absent): decimal 64-bit ids (signed with a leading "-") and an
// integer priority.
func validDatadogHeaders(c tracing.Carrier) bool {
	for _, k := range []string{headerDDTraceID, headerDDParentID} {
		for _, v := range tracing.CarrierValues(c, k) {
			if !ddDecimal(v) {
				return false
			}
		}
	}
	for _, v := range tracing.CarrierValues(c, headerDDPriority) {
		if _, err := strconv.Atoi(v); err != nil {
			return false
		}
	}
	return true
}

// ddDecimal reports whether dd-trace-go parses s as a 64-bit id.
func ddDecimal(s string) bool {
	if strings.HasPrefix(s, "-") {
		_, err := strconv.ParseInt(s, 10, 64)
		return err == nil
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// propagatedDDTags returns an x-datadog-tags value with only its _dd.p.*
// tags when it is one dd-trace-go reads (at most 512 bytes, key=value
// pairs); otherwise it returns v, which dd-trace-go then drops whole,
// recording why on the span (_dd.propagation_error).
func propagatedDDTags(v string) string {
	if v == "" || len(v) > ddTagsMaxSize {
		return v
	}
	keep := make([]string, 0, 4)
	for tag := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(tag, "=")
		if !ok || k == "" || val == "" {
			return v
		}
		if strings.HasPrefix(k, "_dd.p.") {
			keep = append(keep, tag)
		}
	}
	return strings.Join(keep, ",")
}

func extractOTBaggage(ctx context.Context, c tracing.Carrier) context.Context {
	var keys []string
	tracing.RangeKeys(c, func(k string) bool {
		if hasPrefixFold(k, otBaggagePrefix) && len(k) > len(otBaggagePrefix) {
			keys = append(keys, k)
		}
		return true
	})
	if len(keys) == 0 {
		return ctx
	}
	slices.Sort(keys)
	bag := tracing.BaggageFromContext(ctx)
	n := bag.Len()
	for _, k := range keys {
		key := strings.ToLower(k[len(otBaggagePrefix):])
		if _, ok := bag.Get(key); ok || bag.Len() >= tracing.MaxBaggageMembers {
			continue
		}
		if nb, err := bag.With(key, c.Get(k)); err == nil {
			bag = nb
		}
	}
	if bag.Len() == n {
		return ctx
	}
	return tracing.ContextWithBaggage(ctx, bag)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// validHeaderValue reports whether v can be sent as an HTTP header value
// as it is (ot-baggage-* values are not encoded).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// Fields implements tracing.Propagator: the keys Inject may write (besides
// ot-baggage-* keys).
func (b *Backend) Fields() []string {
	var f []string
	for _, s := range b.s.inject {
		switch s {
		case "datadog":
			f = append(f, "x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority", "x-datadog-origin", "x-datadog-tags")
		case "tracecontext":
			f = append(f, tracing.HeaderTraceparent, tracing.HeaderTracestate)
		case "baggage":
			f = append(f, tracing.HeaderBaggage)
		case "b3", "b3multi":
			f = append(f, "x-b3-traceid", "x-b3-spanid", "x-b3-sampled")
		case "b3 single header":
			f = append(f, "b3")
		}
	}
	return f
}

// Names implements tracing.Names: the inject styles.
func (b *Backend) Names() []string { return append([]string(nil), b.s.inject...) }
