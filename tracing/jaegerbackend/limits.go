package jaegerbackend

import (
	"math"

	"github.com/uber/jaeger-client-go"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// DefaultQueueSize is the reporter's queue size when
// JAEGER_REPORTER_MAX_QUEUE_SIZE is unset or 0 (jaeger-client-go's default
// is 100). The queue holds ended spans until the reporter's goroutine
// hands them to the transport; a burst longer than the queue loses spans
// (counted in Stats). 16384 lets a program end ten thousand spans in a
// tight loop, then shut down, without losing any; the memory is used only
// while such a burst waits.
const DefaultQueueSize = 16384

// DefaultLogFieldLength is the length, in characters, that string fields
// of events and error logs are cut to by default (jaeger-client-go does
// not limit them): an error record holds the message twice (error.object
// and message) and the stack, and three fields this long still fit in one
// UDP datagram (65,000 bytes) with room for the span's tags. A span that
// does not fit is dropped (and counted in Stats).
const DefaultLogFieldLength = 16384

// limits are what a span keeps (negative: no limit).
type limits struct {
	tagLen, logLen int // characters of a tag value, of a log field
	attrs, events  int
	eventFields    int
}

// resolveLimits applies the OpenTelemetry limit variables and the options
// over the defaults: jaeger-client-go's 256 characters for tags,
// DefaultLogFieldLength for log fields, the facade's counts (see
// WithAttributeValueLengthLimit).
func resolveLimits(o *options) (limits, error) {
	l, valueLenSet, err := backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	if err != nil {
		return limits{}, err
	}
	out := limits{tagLen: jaeger.DefaultMaxTagValueLength, logLen: DefaultLogFieldLength,
		attrs: l.Attrs, events: l.Events, eventFields: l.AttrsPerEvent}
	if valueLenSet {
		out.tagLen, out.logLen = l.AttrValueLen, l.AttrValueLen
	}
	if o.valueLen != nil {
		out.tagLen, out.logLen = *o.valueLen, *o.valueLen
	}
	if o.attrCount != nil {
		out.attrs = *o.attrCount
	}
	if o.eventCount != nil {
		out.events = *o.eventCount
	}
	return out, nil
}

// maxTagBytes is jaeger-client-go's own tag truncation (in bytes, at
// serialisation), set so that it never cuts what the backend kept (a
// character takes at most 4 bytes) and still bounds tags set through
// jaeger's own API.
func (l limits) maxTagBytes() int {
	if l.tagLen < 0 || l.tagLen > math.MaxInt32/4 {
		return math.MaxInt32
	}
	return max(4*l.tagLen, 1)
}
