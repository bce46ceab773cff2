package tracing

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Baggage is a set of key-value pairs that travel with a trace to every
// downstream service (W3C baggage; Jaeger uberctx-*; OpenTracing baggage
// items). It is an immutable value; the zero Baggage is empty.
type Baggage struct {
	members []Member
}

// Member is one baggage entry. Properties are kept verbatim (the part after
// the first ";" in W3C baggage).
type Member struct {
	Key, Value, Properties string
}

// Baggage limits, from the W3C specification.
const (
	MaxBaggageMembers = 64
	MaxBaggageBytes   = 8192
)

var errBaggageKey = errors.New("tracing: baggage key must be a non-empty HTTP token")

// Len returns the number of members.
func (b Baggage) Len() int { return len(b.members) }

// Members returns a copy of the members, in order.
func (b Baggage) Members() []Member { return append([]Member(nil), b.members...) }

// Get returns the value of key.
func (b Baggage) Get(key string) (string, bool) {
	for _, m := range b.members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return "", false
}

// With returns a copy of b with key set to value (replacing an earlier
// value). The key must be an HTTP token (RFC 9110); the value may be any
// string (it is percent-encoded on the wire).
func (b Baggage) With(key, value string) (Baggage, error) {
	if !validToken(key) {
		return b, errBaggageKey
	}
	out := Baggage{members: make([]Member, 0, len(b.members)+1)}
	for _, m := range b.members {
		if m.Key != key {
			out.members = append(out.members, m)
		}
	}
	out.members = append(out.members, Member{Key: key, Value: value})
	return out, nil
}

// Without returns a copy of b without key.
func (b Baggage) Without(key string) Baggage {
	out := Baggage{}
	for _, m := range b.members {
		if m.Key != key {
			out.members = append(out.members, m)
		}
	}
	return out
}

type baggageKey struct{}

// BaggageFromContext returns the baggage ctx carries.
func BaggageFromContext(ctx context.Context) Baggage {
	if ctx == nil {
		return Baggage{}
	}
	b, _ := ctx.Value(baggageKey{}).(Baggage)
	return b
}

// ContextWithBaggage returns a copy of ctx carrying b.
func ContextWithBaggage(ctx context.Context, b Baggage) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, baggageKey{}, b)
}

// HeaderBaggage is the W3C baggage header.
const HeaderBaggage = "baggage"

// BaggagePropagator is the W3C baggage propagator. Extract joins several
// baggage headers, drops malformed members one by one, and stops at 64
// members or 8192 bytes, dropping whole members; a header of any size is
// read in bounded memory. Inject writes at most the same limits.
type BaggagePropagator struct{}

// Inject writes the baggage header.
func (BaggagePropagator) Inject(ctx context.Context, c Carrier) {
	b := BaggageFromContext(ctx)
	if b.Len() == 0 {
		return
	}
	if s := FormatBaggage(b); s != "" {
		c.Set(HeaderBaggage, s)
	}
}

// Extract reads the baggage header(s) and merges them into ctx's baggage.
func (BaggagePropagator) Extract(ctx context.Context, c Carrier) context.Context {
	vals := carrierValues(c, HeaderBaggage)
	if len(vals) == 0 {
		return ctx
	}
	b := BaggageFromContext(ctx)
	n := b.Len()
	for _, v := range vals {
		b = parseBaggageInto(b, v)
	}
	if b.Len() == n {
		return ctx
	}
	return ContextWithBaggage(ctx, b)
}

// Fields returns "baggage".
func (BaggagePropagator) Fields() []string { return []string{HeaderBaggage} }

// Names returns "baggage".
func (BaggagePropagator) Names() []string { return []string{"baggage"} }

// ParseBaggage parses a W3C baggage header value with the rules
// BaggagePropagator documents.
func ParseBaggage(s string) Baggage { return parseBaggageInto(Baggage{}, s) }

func parseBaggageInto(b Baggage, s string) Baggage {
	members := append([]Member(nil), b.members...)
	size := 0
	for _, m := range members {
		size += len(m.Key) + len(m.Value) + 2
	}
	// The limits count what was sent, so reading stops after
	// MaxBaggageBytes of input whatever it held: memory and time stay
	// bounded for a header of any size.
	read := 0
	for len(s) > 0 && len(members) < MaxBaggageMembers && read < MaxBaggageBytes {
		var part string
		part, s, _ = strings.Cut(s, ",")
		read += len(part) + 1
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		if size+len(part)+1 > MaxBaggageBytes {
			break // whole members only
		}
		m, ok := parseBaggageMember(part)
		if !ok {
			continue
		}
		size += len(part) + 1
		members = slices.DeleteFunc(members, func(x Member) bool { return x.Key == m.Key })
		members = append(members, m)
	}
	return Baggage{members: members}
}

func parseBaggageMember(s string) (Member, bool) {
	kv, props, _ := strings.Cut(s, ";")
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return Member{}, false
	}
	k = strings.Trim(k, " \t")
	v = strings.Trim(v, " \t")
	if !validToken(k) {
		return Member{}, false
	}
	dv, err := url.PathUnescape(v)
	if err != nil {
		return Member{}, false
	}
	return Member{Key: k, Value: dv, Properties: strings.Trim(props, " \t")}, true
}

// FormatBaggage returns b as a W3C baggage header value, keeping members in
// order up to the specification's limits.
func FormatBaggage(b Baggage) string {
	var sb strings.Builder
	n := 0
	for _, m := range b.members {
		if n == MaxBaggageMembers {
			break
		}
		item := m.Key + "=" + escapeBaggageValue(m.Value)
		if m.Properties != "" {
			item += ";" + m.Properties
		}
		if sb.Len()+len(item)+1 > MaxBaggageBytes {
			continue
		}
		if n > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(item)
		n++
	}
	return sb.String()
}

// escapeBaggageValue percent-encodes everything outside baggage-octet
// (printable ASCII except space, '"', ',', ';', '\\') and '%'.
func escapeBaggageValue(v string) string {
	const hexDigits = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\' && c != '%' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&15])
	}
	return sb.String()
}

// validToken reports whether s is a non-empty RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLcAlpha(c) || isDigit(c) || 'A' <= c && c <= 'Z' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
