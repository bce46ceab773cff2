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
// The limits hold for all the headers together: a request with thousands
// of baggage headers costs no more than one with 8192 bytes of baggage.
func (BaggagePropagator) Extract(ctx context.Context, c Carrier) context.Context {
	vals := carrierValues(c, HeaderBaggage)
	if len(vals) == 0 {
		return ctx
	}
	p := newBaggageParser(BaggageFromContext(ctx))
	for _, v := range vals {
		if !p.parse(v) {
			break
		}
	}
	if !p.changed {
		return ctx
	}
	return ContextWithBaggage(ctx, Baggage{members: p.members})
}

// Fields returns "baggage".
func (BaggagePropagator) Fields() []string { return []string{HeaderBaggage} }

// Names returns "baggage".
func (BaggagePropagator) Names() []string { return []string{"baggage"} }

// ParseBaggage parses a W3C baggage header value with the rules
// BaggagePropagator documents.
func ParseBaggage(s string) Baggage {
	p := newBaggageParser(Baggage{})
	p.parse(s)
	return Baggage{members: p.members}
}

// baggageParser reads baggage headers into members within the limits.
// The limits count what was sent, so reading stops after MaxBaggageBytes
// of input whatever it held, and after MaxBaggageMembers members: memory
// and time stay bounded for headers of any size and number.
type baggageParser struct {
	members []Member
	size    int // bytes of the members kept, in wire form
	read    int // bytes of input read
	changed bool
}

func newBaggageParser(b Baggage) *baggageParser {
	p := &baggageParser{}
	if len(b.members) > 0 {
		p.members = append(make([]Member, 0, len(b.members)+1), b.members...)
		for _, m := range p.members {
			p.size += len(m.Key) + len(m.Value) + 2
		}
	}
	return p
}

// parse reads one header value; it returns false once a limit is reached.
func (p *baggageParser) parse(s string) bool {
	for len(s) > 0 {
		if len(p.members) >= MaxBaggageMembers || p.read >= MaxBaggageBytes {
			return false
		}
		var part string
		part, s, _ = strings.Cut(s, ",")
		p.read += len(part) + 1
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		if p.size+len(part)+1 > MaxBaggageBytes {
			p.read = MaxBaggageBytes // whole members only: stop here
			return false
		}
		m, ok := parseBaggageMember(part)
		if !ok {
			continue
		}
		p.size += len(part) + 1
		p.members = slices.DeleteFunc(p.members, func(x Member) bool { return x.Key == m.Key })
		p.members = append(p.members, m)
		p.changed = true
	}
	return len(p.members) < MaxBaggageMembers && p.read < MaxBaggageBytes
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
	props = strings.Trim(props, " \t")
	if !validBaggageProperties(props) {
		return Member{}, false
	}
	return Member{Key: k, Value: dv, Properties: props}, true
}

// validBaggageProperties reports whether props, the part of a member after
// its first ";", is a list of W3C baggage properties: "key" or
// "key=value" separated by ";" (white space allowed around each part),
// the key a token, the value baggage octets with well-formed percent
// escapes. A member with malformed properties is malformed: it is
// dropped, never forwarded for a downstream parser to reject.
func validBaggageProperties(props string) bool {
	for p := range strings.SplitSeq(props, ";") {
		k, v, hasValue := strings.Cut(p, "=")
		k = strings.Trim(k, " \t")
		if p = strings.Trim(p, " \t"); p == "" {
			continue
		}
		if !validToken(k) {
			return false
		}
		if hasValue && !validBaggageOctets(strings.Trim(v, " \t")) {
			return false
		}
	}
	return true
}

// validBaggageOctets reports whether v is made of baggage-octet (printable
// ASCII except space, '"', ',', ';', '\\') with "%" starting two hex
// digits.
func validBaggageOctets(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
		if c == '%' {
			if i+2 >= len(v) {
				return false
			}
			if _, ok := hexDigit(v[i+1]); !ok {
				return false
			}
			if _, ok := hexDigit(v[i+2]); !ok {
				return false
			}
			i += 2
		}
	}
	return true
}

// hexDigit returns the value of a hex digit of either case.
func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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
