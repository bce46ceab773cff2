package tracing

import (
	"context"
	"encoding/hex"
)

// The log correlation keys of backends that do not implement LogKeyer: the
// names OpenTelemetry's specification gives the ids in logs that are not
// OTLP, which Jaeger users share.
const (
	DefaultLogTraceKey = "trace_id"
	DefaultLogSpanKey  = "span_id"
)

// LogIDs are the trace and span ids of a span as a log line should carry
// them to be correlated with the trace: the keys and the form the span's
// backend prefers. Log integrations (tracing/tracelog for log/slog,
// tracing/tracelogrus, tracing/tracezap) get them from LogCorrelation.
type LogIDs struct {
	TraceKey string // "trace_id", or the backend's key (see LogKeyer)
	TraceID  string // 32 hex digits, or the backend's form (see IDFormatter)
	SpanKey  string // "span_id", or the backend's key
	SpanID   string // 16 hex digits, or the backend's form
}

// LogCorrelation returns the ids of the span ctx carries (see
// SpanFromContext: a local span, recording or not, or a remote parent), for
// a log line: under the keys its backend names (LogKeyer, default
// "trace_id" and "span_id") and in the form its backend prefers
// (IDFormatter, default lowercase hex). The backend asked is the span's own
// (if its BackendSpan implements those interfaces), else the default
// Tracer's.
//
// ok is false, and ids the zero LogIDs, when ctx (possibly nil) carries no
// valid span; LogCorrelation then does not allocate.
func LogCorrelation(ctx context.Context) (ids LogIDs, ok bool) {
	return Default().LogCorrelation(ctx)
}

// LogCorrelator is what a log integration is configured with: the tracer
// to ask and the keys to use instead of the backend's. Its zero value asks
// the default Tracer and keeps the backend's keys. tracelog, tracelogrus
// and tracezap each hold one, set by their WithTracer and WithKeys options.
type LogCorrelator struct {
	// Tracer is asked where the span's own backend does not say (nil:
	// the default Tracer at each call).
	Tracer *Tracer
	// TraceKey and SpanKey replace the backend's keys when not empty.
	TraceKey, SpanKey string
}

// IDs returns the ids of the span ctx carries, as LogCorrelation does,
// under c's keys. A nil c is the zero LogCorrelator.
func (c *LogCorrelator) IDs(ctx context.Context) (ids LogIDs, ok bool) {
	if c == nil || c.Tracer == nil {
		ids, ok = LogCorrelation(ctx)
	} else {
		ids, ok = c.Tracer.LogCorrelation(ctx)
	}
	if ok && c != nil {
		if c.TraceKey != "" {
			ids.TraceKey = c.TraceKey
		}
		if c.SpanKey != "" {
			ids.SpanKey = c.SpanKey
		}
	}
	return ids, ok
}

// LogCorrelation is like the function LogCorrelation, but asks t's backend
// where the span's own does not say; a nil t means the default keys and
// hex ids.
func (t *Tracer) LogCorrelation(ctx context.Context) (ids LogIDs, ok bool) {
	sp := SpanFromContext(ctx)
	sc := sp.SpanContext()
	if !sc.IsValid() {
		return LogIDs{}, false
	}
	bs := sp.Backend()
	var tb Backend // t's backend, asked only where the span does not say
	k, isK := bs.(LogKeyer)
	if !isK {
		tb = t.Backend()
		k, isK = tb.(LogKeyer)
	}
	if isK {
		ids.TraceKey, ids.SpanKey = k.LogKeys()
	}
	if ids.TraceKey == "" {
		ids.TraceKey = DefaultLogTraceKey
	}
	if ids.SpanKey == "" {
		ids.SpanKey = DefaultLogSpanKey
	}

	f, isF := bs.(IDFormatter)
	if !isF {
		if tb == nil {
			tb = t.Backend()
		}
		f, isF = tb.(IDFormatter)
	}
	if isF {
		ids.TraceID, ids.SpanID = f.FormatIDs(sc)
	}
	if ids.TraceID == "" || ids.SpanID == "" {
		tid, sid := hexIDs(sc)
		if ids.TraceID == "" {
			ids.TraceID = tid
		}
		if ids.SpanID == "" {
			ids.SpanID = sid
		}
	}
	return ids, true
}

// hexIDs returns sc's ids as TraceID.String and SpanID.String do, in one
// allocation.
func hexIDs(sc SpanContext) (traceID, spanID string) {
	var buf [2*len(TraceID{}) + 2*len(SpanID{})]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	n := hex.Encode(buf[:], tid[:])
	hex.Encode(buf[n:], sid[:])
	s := string(buf[:])
	return s[:n], s[n:]
}
