package backendkit

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
)

// DefaultAttrValueLen is the attribute value length limit, in characters,
// that the backends apply where neither the environment, the code nor the
// vendor sets one: the length the Datadog agent keeps of a tag value
// (longer ones it truncates anyway). A stack trace or a long SQL query
// fits; a 10 MB request body logged by mistake does not reach the wire.
const DefaultAttrValueLen = 25000

// DefaultCount is the default of the count limits (attributes and events
// per span, attributes per event), as OpenTelemetry's.
const DefaultCount = 128

// Limits bound what one span keeps. A negative value means no limit.
type Limits struct {
	// AttrValueLen is the length, in characters (Unicode code points,
	// as OpenTelemetry counts), that string values and the elements of
	// string slices are truncated to.
	AttrValueLen int
	// Attrs is how many attributes a span keeps.
	Attrs int
	// Events is how many events a span keeps (an error recorded counts
	// as an event).
	Events int
	// AttrsPerEvent is how many attributes an event keeps.
	AttrsPerEvent int
}

// DefaultLimits are the limits a backend applies when nothing else says.
var DefaultLimits = Limits{
	AttrValueLen:  DefaultAttrValueLen,
	Attrs:         DefaultCount,
	Events:        DefaultCount,
	AttrsPerEvent: DefaultCount,
}

// Limit variables of the OpenTelemetry specification, in the order they
// are looked up: the span-specific one first, then the general one.
var (
	envValueLen      = []string{"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"}
	envAttrCount     = []string{"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}
	envEventCount    = []string{"OTEL_SPAN_EVENT_COUNT_LIMIT"}
	envEventAttrSize = []string{"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"}
)

// LimitsFromEnv returns def with each limit that an OpenTelemetry variable
// sets replaced by the variable's value: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
// (else OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT), OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
// (else OTEL_ATTRIBUTE_COUNT_LIMIT), OTEL_SPAN_EVENT_COUNT_LIMIT and
// OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT. A value that is not a non-negative
// integer is an error naming the variable. It also reports whether the
// value length came from the environment.
func LimitsFromEnv(def Limits) (l Limits, valueLenSet bool, err error) {
	l = def
	var errs []error
	read := func(dst *int, names []string) bool {
		n, set, err := firstInt(names)
		if err != nil {
			errs = append(errs, err)
			return false
		}
		if set {
			*dst = n
		}
		return set
	}
	valueLenSet = read(&l.AttrValueLen, envValueLen)
	read(&l.Attrs, envAttrCount)
	read(&l.Events, envEventCount)
	read(&l.AttrsPerEvent, envEventAttrSize)
	return l, valueLenSet, errors.Join(errs...)
}

func firstInt(names []string) (int, bool, error) {
	for _, name := range names {
		v := strings.TrimSpace(Getenv(name))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, true, fmt.Errorf("%s=%q: want an integer >= 0", name, v)
		}
		return n, true, nil
	}
	return 0, false, nil
}

// TruncateString cuts s to at most n characters (no limit if n < 0),
// never splitting a UTF-8 sequence. A cut string is copied, so that the
// span does not keep the caller's whole string alive.
func TruncateString(s string, n int) string {
	if i := cut(s, n); i < len(s) {
		return strings.Clone(s[:i])
	}
	return s
}

// cut returns the byte length of the first n characters of s (len(s) if
// s has no more, or if n < 0). It reads at most n characters of s.
func cut(s string, n int) int {
	if n < 0 || len(s) <= n { // a character takes at least one byte
		return len(s)
	}
	i := 0
	for count := 0; i < len(s) && count < n; count++ {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// Truncated reports whether v holds a string longer than n characters
// (no limit if n < 0), so that callers copy a value only when they must.
func Truncated(v tracing.Value, n int) bool {
	if n < 0 {
		return false
	}
	switch v.Kind() {
	case tracing.KindString:
		s := v.AsString()
		return cut(s, n) < len(s)
	case tracing.KindStringSlice:
		for _, s := range v.AsStringSlice() {
			if cut(s, n) < len(s) {
				return true
			}
		}
	}
	return false
}

// TruncateValue returns v with its string, or each string of its string
// slice, cut to n characters (no limit if n < 0). A slice is copied when
// an element is cut; otherwise v is returned as it is (not cloned).
func TruncateValue(v tracing.Value, n int) tracing.Value {
	if !Truncated(v, n) {
		return v
	}
	if v.Kind() == tracing.KindString {
		return tracing.StringValue(TruncateString(v.AsString(), n))
	}
	ss := v.AsStringSlice()
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = TruncateString(s, n)
	}
	return tracing.StringSliceValue(out)
}
