package tracing

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestBaggageParseFormat(t *testing.T) {
	b := ParseBaggage("userId=alice, serverNode = DF%2028 ;prop=1,isProduction=false,bad member,=novalue,k(=1")
	want := map[string]string{"userId": "alice", "serverNode": "DF 28", "isProduction": "false"}
	if b.Len() != len(want) {
		t.Fatalf("parsed %d members: %+v", b.Len(), b.Members())
	}
	for k, v := range want {
		if got, ok := b.Get(k); !ok || got != v {
			t.Errorf("%s = %q, %v; want %q", k, got, ok, v)
		}
	}
	if m := b.Members()[1]; m.Properties != "prop=1" {
		t.Errorf("properties %q", m.Properties)
	}
	s := FormatBaggage(b)
	if s != "userId=alice,serverNode=DF%2028;prop=1,isProduction=false" {
		t.Errorf("FormatBaggage = %q", s)
	}
	if _, err := b.With("bad key", "x"); err == nil {
		t.Error("With accepted a key with a space")
	}
	b2, _ := b.With("userId", "bob")
	if v, _ := b2.Get("userId"); v != "bob" || b2.Len() != 3 {
		t.Errorf("With did not replace: %+v", b2.Members())
	}
	if v, _ := b.Get("userId"); v != "alice" {
		t.Error("With modified the original")
	}
	if b.Without("userId").Len() != 2 {
		t.Error("Without")
	}
}

func TestBaggageLimits(t *testing.T) {
	var parts []string
	for i := range 100 {
		parts = append(parts, "k"+itoa(i)+"=v")
	}
	if n := ParseBaggage(strings.Join(parts, ",")).Len(); n != MaxBaggageMembers {
		t.Errorf("100 members parsed to %d, want %d", n, MaxBaggageMembers)
	}
	big := "a=" + strings.Repeat("x", 5000) + ",b=" + strings.Repeat("y", 5000) + ",c=z"
	b := ParseBaggage(big)
	if _, ok := b.Get("a"); !ok {
		t.Error("first member under the byte limit dropped")
	}
	if _, ok := b.Get("b"); ok {
		t.Error("member crossing 8192 bytes kept")
	}
	huge := strings.Repeat("junk,", 2<<20)
	allocs := testing.AllocsPerRun(5, func() { ParseBaggage(huge) })
	if allocs > 10 {
		t.Errorf("a 10 MB header of junk took %v allocations", allocs)
	}
}

func TestBaggagePropagatorJoinsHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("baggage", "a=1")
	h.Add("baggage", "b=2")
	ctx := BaggagePropagator{}.Extract(context.Background(), HeaderCarrier(h))
	b := BaggageFromContext(ctx)
	if b.Len() != 2 {
		t.Fatalf("got %+v", b.Members())
	}
	out := http.Header{}
	BaggagePropagator{}.Inject(ctx, HeaderCarrier(out))
	if out.Get("baggage") != "a=1,b=2" {
		t.Errorf("injected %q", out.Get("baggage"))
	}
	empty := http.Header{}
	BaggagePropagator{}.Inject(context.Background(), HeaderCarrier(empty))
	if len(empty) != 0 {
		t.Error("empty baggage injected a header")
	}
}
