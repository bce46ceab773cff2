package tracing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// traceStateCase is a tracestate header value (headers joined) and what
// ParseTraceState makes of it: its canonical form, or an error.
type traceStateCase struct {
	name    string
	in      string
	want    string // canonical form ("" when invalid or empty)
	wantErr error
}

// traceStateCases are the W3C Trace Context Level 2 tracestate rules
// (https://www.w3.org/TR/trace-context-2/#tracestate-header, 3.3: list,
// key, value, limits), including every tracestate input of the public
// test suite (w3c/trace-context test/test.py).
func traceStateCases() []traceStateCase {
	var many []string
	for i := range 40 {
		many = append(many, "k"+itoa(i)+"=v")
	}
	z := func(n int) string { return strings.Repeat("z", n) }
	allKey := "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
	var allValue strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		if c != ',' && c != '=' {
			allValue.WriteByte(c)
		}
	}
	return []traceStateCase{
		// list: members, OWS, empty members.
		{name: "two members", in: "a=1,b=2", want: "a=1,b=2"},
		{name: "empty", in: "", want: ""},
		{name: "only commas", in: ",,,", want: ""},
		{name: "white space only", in: " \t, \t", want: ""},
		{name: "OWS around members", in: " a=1 ,\tb=2 ", want: "a=1,b=2"},
		{name: "OWS test.py 1", in: "foo=1 \t , \t bar=2, \t baz=3", want: "foo=1,bar=2,baz=3"},
		{name: "OWS test.py 2", in: "foo=1\t \t,\t \tbar=2,\t \tbaz=3", want: "foo=1,bar=2,baz=3"},
		{name: "OWS leading tab", in: "\tfoo=1", want: "foo=1"},
		{name: "OWS both", in: "\t foo=1 \t", want: "foo=1"},
		{name: "empty members", in: " , foo=1 ,, ,bar=2,", want: "foo=1,bar=2"},
		{name: "joined headers", in: "foo=1,bar=2,rojo=1,congo=2,baz=3", want: "foo=1,bar=2,rojo=1,congo=2,baz=3"},
		{name: "member without equals", in: "foo=1,bar", wantErr: ErrTraceStateMember},
		{name: "only equals", in: "=", wantErr: ErrTraceStateMember},

		// Duplicated keys: the first member is kept, the list forwarded.
		{name: "duplicate same value", in: "foo=1,foo=1", want: "foo=1"},
		{name: "duplicate other value", in: "foo=1,foo=2", want: "foo=1"},
		{name: "duplicate among others", in: "a=1,foo=1,b=2,foo=2,c=3", want: "a=1,foo=1,b=2,c=3"},

		// Keys.
		{name: "all key characters", in: allKey + "=1", want: allKey + "=1"},
		{name: "all key characters with at", in: allKey + "@a-z0-9_-*/=1", want: allKey + "@a-z0-9_-*/=1"},
		{name: "tenant at vendor", in: "tenant@vendor=x", want: "tenant@vendor=x"},
		{name: "key starts with a digit", in: "1foo=1,bar=2", want: "1foo=1,bar=2"},
		{name: "digit tenant", in: "1tenant@vendor=x", want: "1tenant@vendor=x"},
		{name: "at last", in: "foo@=1,bar=2", want: "foo@=1,bar=2"},
		{name: "two ats", in: "foo@@bar=1,bar=2", want: "foo@@bar=1,bar=2"},
		{name: "at twice apart", in: "foo@bar@baz=1,bar=2", want: "foo@bar@baz=1,bar=2"},
		{name: "at first", in: "@foo=1,bar=2", wantErr: ErrTraceStateMember},
		{name: "key with space", in: "foo =1", wantErr: ErrTraceStateMember},
		{name: "key upper case", in: "FOO=1", wantErr: ErrTraceStateMember},
		{name: "key with dot", in: "foo.bar=1", wantErr: ErrTraceStateMember},
		{name: "key starts with underscore", in: "_foo=1", wantErr: ErrTraceStateMember},
		{name: "key of 256", in: "foo=1," + z(256) + "=1", want: "foo=1," + z(256) + "=1"},
		{name: "key of 257", in: "foo=1," + z(257) + "=1", wantErr: ErrTraceStateMember},
		{name: "tenant 241 vendor 14", in: strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1",
			want: strings.Repeat("t", 241) + "@" + strings.Repeat("v", 14) + "=1"},
		{name: "tenant of 242", in: "foo=1," + strings.Repeat("t", 242) + "@v=1", want: "foo=1," + strings.Repeat("t", 242) + "@v=1"},
		{name: "vendor of 15", in: "foo=1,t@" + strings.Repeat("v", 15) + "=1", want: "foo=1,t@" + strings.Repeat("v", 15) + "=1"},
		{name: "at key of 257", in: strings.Repeat("t", 250) + "@" + strings.Repeat("v", 6) + "=1", wantErr: ErrTraceStateMember},

		// Values.
		{name: "all value characters", in: "k=" + allValue.String(), want: "k=" + allValue.String()},
		{name: "value keeps inner and leading spaces", in: "foo= a b", want: "foo= a b"},
		{name: "trailing space is OWS", in: "a=b ", want: "a=b"},
		{name: "value with equals", in: "foo=bar=baz", wantErr: ErrTraceStateMember},
		{name: "value empty", in: "foo=,bar=3", wantErr: ErrTraceStateMember},
		{name: "value only spaces", in: "foo=   ,bar=3", wantErr: ErrTraceStateMember},
		{name: "value with control character", in: "a=\x01", wantErr: ErrTraceStateMember},
		{name: "value with tab inside", in: "a=b\tc", wantErr: ErrTraceStateMember},
		{name: "value with DEL", in: "a=\x7f", wantErr: ErrTraceStateMember},
		{name: "value not ASCII", in: "a=é", wantErr: ErrTraceStateMember},
		{name: "value of 256", in: "k=" + z(256), want: "k=" + z(256)},
		{name: "value of 257", in: "k=" + z(257), wantErr: ErrTraceStateMember},

		// Member count.
		{name: "32 members", in: strings.Join(many[:32], ","), want: strings.Join(many[:32], ",")},
		{name: "32 members and empty ones", in: strings.Join(many[:32], ",") + ", ,,", want: strings.Join(many[:32], ",")},
		{name: "33 members", in: strings.Join(many[:33], ","), wantErr: ErrTraceStateTooMany},
		{name: "33 members received, one repeated", in: strings.Join(many[:32], ",") + ",k0=w", wantErr: ErrTraceStateTooMany},
		{name: "invalid member among 33", in: "k=" + z(300) + "," + strings.Join(many[:32], ","), wantErr: ErrTraceStateMember},

		// Size.
		{name: "header over 64 KiB", in: strings.Repeat("k=v,", 20000), wantErr: ErrTraceStateTooLarge},
	}
}

func TestParseTraceState(t *testing.T) {
	for _, c := range traceStateCases() {
		t.Run(c.name, func(t *testing.T) {
			ts, err := ParseTraceState(c.in)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("ParseTraceState(%.60q): error %v, want %v", c.in, err, c.wantErr)
			}
			if got := ts.String(); got != c.want {
				t.Errorf("ParseTraceState(%.60q) = %.60q, want %.60q", c.in, got, c.want)
			}
			again, err := ParseTraceState(ts.String())
			if err != nil || again.String() != ts.String() {
				t.Errorf("canonical form %q does not read back: %q %v", ts.String(), again.String(), err)
			}
		})
	}
}

func TestTraceStateGet(t *testing.T) {
	ts, err := ParseTraceState("foo=1, bar= x ,foo=2,1k@=v")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, want string
		ok        bool
	}{{"foo", "1", true}, {"bar", " x", true}, {"1k@", "v", true}, {"baz", "", false}} {
		if got, ok := ts.Get(c.key); got != c.want || ok != c.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", c.key, got, ok, c.want, c.ok)
		}
	}
	if ts.Len() != 3 {
		t.Errorf("Len = %d, want 3", ts.Len())
	}
	m := ts.Members()
	m[0].Value = "changed"
	if v, _ := ts.Get("foo"); v != "1" {
		t.Error("Members returned the list itself, not a copy")
	}
}

// TestTraceStateInsert: a vendor's member goes to the front, replacing its
// old one (3.5); the list keeps 32 members and MaxTracestateBytes by
// removing from the end; invalid members are refused.
func TestTraceStateInsert(t *testing.T) {
	ts, _ := ParseTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	got, err := ts.Insert("congo", "new")
	if err != nil || got.String() != "congo=new,rojo=00f067aa0ba902b7" {
		t.Errorf("update: %q %v", got.String(), err)
	}
	if ts.String() != "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" {
		t.Errorf("Insert changed the original: %q", ts.String())
	}
	got, err = ts.Insert("dd", "s:1;o:rum")
	if err != nil || got.String() != "dd=s:1;o:rum,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" {
		t.Errorf("add: %q %v", got.String(), err)
	}
	for _, bad := range [][2]string{{"@dd", "x"}, {"DD", "x"}, {"dd", ""}, {"dd", "a,b"}, {"dd", "a=b"}, {"dd", "x "}, {strings.Repeat("k", 257), "x"}} {
		if got, err := ts.Insert(bad[0], bad[1]); !errors.Is(err, ErrTraceStateMember) || got.String() != ts.String() {
			t.Errorf("Insert(%q, %q) = %q, %v; want an error and the list unchanged", bad[0], bad[1], got.String(), err)
		}
	}

	var members []string
	for i := range 32 {
		members = append(members, "k"+itoa(i)+"=v")
	}
	full, _ := ParseTraceState(strings.Join(members, ","))
	got, _ = full.Insert("new", "1")
	if want := "new=1," + strings.Join(members[:31], ","); got.String() != want {
		t.Errorf("full list: %q, want the rightmost member removed", got.String())
	}

	// Length: long members (over 128 characters) go first, from the end.
	var long []string
	for i := range 16 {
		long = append(long, fmt.Sprintf("l%02d=%s", i, strings.Repeat("x", 250))) // 254 characters
	}
	big, _ := ParseTraceState(strings.Join(long, ","))
	if len(big.String()) != 16*255-1 {
		t.Fatalf("%d bytes", len(big.String()))
	}
	got, _ = big.Insert("dd", strings.Repeat("d", 200))
	if s := got.String(); len(s) > MaxTracestateBytes || got.Len() != 16 || !strings.HasPrefix(s, "dd=") || strings.Contains(s, "l15=") || !strings.Contains(s, "l14=") {
		t.Errorf("long list: %d members, %d bytes, %.20q…", got.Len(), len(s), s)
	}
}

func TestTraceStateDelete(t *testing.T) {
	ts, _ := ParseTraceState("a=1,b=2,c=3")
	if got := ts.Delete("b").String(); got != "a=1,c=3" {
		t.Errorf("Delete(b) = %q", got)
	}
	if got := ts.Delete("x").String(); got != "a=1,b=2,c=3" {
		t.Errorf("Delete(x) = %q", got)
	}
	if got := ts.Delete("a").Delete("b").Delete("c"); got.Len() != 0 || got.String() != "" {
		t.Errorf("deleting every member left %q", got.String())
	}
	if ts.String() != "a=1,b=2,c=3" {
		t.Errorf("Delete changed the original: %q", ts.String())
	}
}

// TestTraceStateZero: the zero TraceState is the empty list.
func TestTraceStateZero(t *testing.T) {
	var ts TraceState
	if ts.Len() != 0 || ts.String() != "" || ts.Delete("a").Len() != 0 {
		t.Error("zero TraceState is not empty")
	}
	if _, ok := ts.Get("a"); ok {
		t.Error("Get on the zero TraceState found a member")
	}
	got, err := ts.Insert("a", "1")
	if err != nil || got.String() != "a=1" {
		t.Errorf("Insert on the zero TraceState: %q %v", got.String(), err)
	}
}
