package tracing

import (
	"errors"
	"strings"
)

// Tracestate limits from the W3C Trace Context specification (Level 2,
// section 3.3: at most 32 list members, keys and values of at most 256
// characters; members over 128 characters are the first to go when a
// list is cut to a length).
const (
	MaxTraceStateMembers  = 32
	MaxTraceStateKeyLen   = 256
	MaxTraceStateValueLen = 256

	tracestateLongMember    = 128
	maxTracestateHeaderScan = 64 << 10 // beyond this, a header is not even read
)

// MaxTracestateBytes is the longest tracestate the propagators forward.
// The specification asks to propagate at least 512 characters and to
// document a limit; 4096 stays well within the 8 KB that common proxies
// accept for a whole header line, which a tracestate of 32 members of
// 256-character keys and values (16 KB) would not.
const MaxTracestateBytes = 4096

// TraceState is a W3C tracestate list (Trace Context Level 2): vendors'
// key=value members, in order, each key once. It is an immutable value:
// Insert and Delete return a new one. The zero TraceState is the empty
// list.
//
// This is the one implementation of tracestate in polytrace: the facade's
// propagators and every backend parse, forward and mutate tracestate with
// it.
type TraceState struct {
	members []TraceStateMember
}

// TraceStateMember is one member of a TraceState.
type TraceStateMember struct {
	Key, Value string
}

// Errors of ParseTraceState and TraceState.Insert.
var (
	ErrTraceStateMember   = errors.New("tracing: malformed tracestate member")
	ErrTraceStateTooMany  = errors.New("tracing: tracestate has more than 32 members")
	ErrTraceStateTooLarge = errors.New("tracing: tracestate header too large to read")
)

// ParseTraceState parses a tracestate header value (several headers
// joined with ","), by the rules of W3C Trace Context Level 2:
//
//   - list members are separated by ",", with optional white space
//     (spaces and tabs) around them; empty members are ignored;
//   - a key is 1 to 256 characters: a lowercase letter or a digit, then
//     lowercase letters, digits and "_", "-", "*", "/", "@" (so "foo@",
//     "foo@@bar" and "1foo" are keys, "@foo" and "Foo" are not);
//   - a value is 1 to 256 printable ASCII characters (0x20-0x7E) other
//     than "," and "=", and does not end with a space;
//   - a malformed member, or more than 32 members, makes the whole value
//     invalid: ParseTraceState returns the empty list and an error (a
//     participant must not forward a list it cannot read);
//   - a key that comes again keeps its first member, and the later ones
//     are dropped (Level 2 lets a participant drop such duplicates);
//   - a list longer than MaxTracestateBytes (in its canonical form) is
//     cut by whole members: those over 128 characters first, from the
//     end, then the others from the end;
//   - a value longer than 64 KiB is not read at all (invalid).
//
// String returns the result in canonical form, which ParseTraceState
// reads back unchanged.
func ParseTraceState(s string) (TraceState, error) {
	m, err := parseTraceState(s, nil)
	if err != nil {
		return TraceState{}, err
	}
	return TraceState{members: m}, nil
}

// parseTraceState appends the members of s to dst (see ParseTraceState).
// The keys and values are substrings of s.
func parseTraceState(s string, dst []TraceStateMember) ([]TraceStateMember, error) {
	if len(s) > maxTracestateHeaderScan {
		return dst, ErrTraceStateTooLarge
	}
	received, size := 0, -1
	for len(s) > 0 {
		var part string
		part, s, _ = strings.Cut(s, ",")
		m := strings.Trim(part, " \t")
		if m == "" {
			continue
		}
		if received++; received > MaxTraceStateMembers {
			return dst[:0], ErrTraceStateTooMany
		}
		key, val, ok := strings.Cut(m, "=")
		if !ok || !validTraceStateKey(key) || !validTraceStateValue(val) {
			return dst[:0], ErrTraceStateMember
		}
		if indexTraceStateKey(dst, key) >= 0 {
			continue // a repeated key: the first member stays
		}
		dst = append(dst, TraceStateMember{Key: key, Value: val})
		size += len(m) + 1
	}
	if size > MaxTracestateBytes {
		dst = truncateTraceState(dst, size, 0)
	}
	return dst, nil
}

func indexTraceStateKey(members []TraceStateMember, key string) int {
	for i, m := range members {
		if m.Key == key {
			return i
		}
	}
	return -1
}

func (m TraceStateMember) size() int { return len(m.Key) + 1 + len(m.Value) }

// truncateTraceState removes whole members until the list (of canonical
// length size) fits MaxTracestateBytes: members longer than 128
// characters first, from the end, then the others from the end. The
// first keep members are never removed.
func truncateTraceState(members []TraceStateMember, size, keep int) []TraceStateMember {
	for i := len(members) - 1; i >= keep && size > MaxTracestateBytes; i-- {
		if n := members[i].size(); n > tracestateLongMember {
			size -= n + 1
			members = append(members[:i], members[i+1:]...)
		}
	}
	for size > MaxTracestateBytes && len(members) > keep {
		size -= members[len(members)-1].size() + 1
		members = members[:len(members)-1]
	}
	return members
}

// validTraceStateKey reports whether k is a Level 2 tracestate key.
func validTraceStateKey(k string) bool {
	if len(k) == 0 || len(k) > MaxTraceStateKeyLen || !isLcAlpha(k[0]) && !isDigit(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; !isLcAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '*' && c != '/' && c != '@' {
			return false
		}
	}
	return true
}

// validTraceStateValue reports whether v is a tracestate value.
func validTraceStateValue(v string) bool {
	if len(v) == 0 || len(v) > MaxTraceStateValueLen || v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}

func isLcAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool   { return '0' <= c && c <= '9' }

// Len returns the number of members.
func (ts TraceState) Len() int { return len(ts.members) }

// Get returns the value of key.
func (ts TraceState) Get(key string) (string, bool) {
	if i := indexTraceStateKey(ts.members, key); i >= 0 {
		return ts.members[i].Value, true
	}
	return "", false
}

// Members returns a copy of the members, in order.
func (ts TraceState) Members() []TraceStateMember {
	return append([]TraceStateMember(nil), ts.members...)
}

// Insert returns a copy of ts with key set to value, moved to the front of
// the list, as the specification requires of a vendor that adds or
// updates its member (3.5). If the list would then have more than 32
// members, or be longer than MaxTracestateBytes, members are removed from
// the end (those over 128 characters first for the length); the new one
// always stays. An invalid key or value is an error (ErrTraceStateMember),
// and ts is returned unchanged.
func (ts TraceState) Insert(key, value string) (TraceState, error) {
	if !validTraceStateKey(key) || !validTraceStateValue(value) {
		return ts, ErrTraceStateMember
	}
	out := make([]TraceStateMember, 0, min(len(ts.members)+1, MaxTraceStateMembers))
	out = append(out, TraceStateMember{Key: key, Value: value})
	size := len(key) + 1 + len(value)
	for _, m := range ts.members {
		if m.Key == key || len(out) == MaxTraceStateMembers {
			continue
		}
		out = append(out, m)
		size += m.size() + 1
	}
	if size > MaxTracestateBytes {
		out = truncateTraceState(out, size, 1)
	}
	return TraceState{members: out}, nil
}

// Delete returns a copy of ts without key (the specification lets a vendor
// delete its own member; deleting another vendor's breaks that vendor's
// correlation).
func (ts TraceState) Delete(key string) TraceState {
	i := indexTraceStateKey(ts.members, key)
	if i < 0 {
		return ts
	}
	out := make([]TraceStateMember, 0, len(ts.members)-1)
	out = append(append(out, ts.members[:i]...), ts.members[i+1:]...)
	return TraceState{members: out}
}

// String returns the list in canonical form: "key=value" members joined
// by "," without white space ("" for the empty list).
func (ts TraceState) String() string { return joinTraceState("", ts.members) }

// joinTraceState returns the canonical form of members; orig, if it is
// that form already, is returned as it is (no copy).
func joinTraceState(orig string, members []TraceStateMember) string {
	switch len(members) {
	case 0:
		return ""
	case 1:
		m := members[0]
		if len(orig) == m.size() && orig[:len(m.Key)] == m.Key && orig[len(m.Key)] == '=' && orig[len(m.Key)+1:] == m.Value {
			return orig
		}
	}
	n := -1
	for _, m := range members {
		n += m.size() + 1
	}
	if len(orig) == n && canonicalIn(orig, members) {
		return orig
	}
	var b strings.Builder
	b.Grow(n)
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.Key)
		b.WriteByte('=')
		b.WriteString(m.Value)
	}
	return b.String()
}

// canonicalIn reports whether s (of the right length) spells members
// joined in canonical form.
func canonicalIn(s string, members []TraceStateMember) bool {
	for i, m := range members {
		if i > 0 {
			if s[0] != ',' {
				return false
			}
			s = s[1:]
		}
		k := len(m.Key)
		if len(s) < m.size() || s[:k] != m.Key || s[k] != '=' || s[k+1:m.size()] != m.Value {
			return false
		}
		s = s[m.size():]
	}
	return s == ""
}

// NormalizeTracestate validates a (joined) tracestate value by the rules
// of ParseTraceState and returns it in canonical form, or "" if it is
// invalid. It allocates only when the value is not canonical already.
func NormalizeTracestate(s string) string {
	var buf [MaxTraceStateMembers]TraceStateMember
	m, err := parseTraceState(s, buf[:0])
	if err != nil {
		return ""
	}
	return joinTraceState(s, m)
}
