package backendkit

import (
	"math/rand/v2"

	"github.com/polytrace/polytrace/tracing"
)

// NewTraceID returns a random 128-bit trace id (never zero).
func NewTraceID() tracing.TraceID {
	for {
		if t := tracing.TraceIDFromUint64s(rand.Uint64(), rand.Uint64()); t.IsValid() {
			return t
		}
	}
}

// NewSpanID returns a random span id (never zero).
func NewSpanID() tracing.SpanID {
	for {
		if id := tracing.SpanIDFromUint64(rand.Uint64()); id.IsValid() {
			return id
		}
	}
}
