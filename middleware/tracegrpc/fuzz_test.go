package tracegrpc

import (
	"strings"
	"testing"
)

// FuzzNames: parsing method names and dial targets never panics, and a
// method name split in two joins back to itself.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"/pkg.Service/Method", "", "/", "//", "/a/", "a/b", "dns:///host:50051", "unix:///tmp/s",
		"passthrough:///bufnet", "[::1]:443", "[::1", "host:99999", "xds:///svc", "/a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if svc, m, ok := splitMethod(s); ok {
			if "/"+svc+"/"+m != s || svc == "" || m == "" || strings.Contains(m, "/") {
				t.Errorf("splitMethod(%q) = %q, %q", s, svc, m)
			}
			if SpanName(s) != s[1:] {
				t.Errorf("SpanName(%q) = %q", s, SpanName(s))
			}
		} else if SpanName(s) != s {
			t.Errorf("SpanName(%q) = %q", s, SpanName(s))
		}
		if _, port := targetHostPort(s); port > 65535 {
			t.Errorf("targetHostPort(%q): port %d", s, port)
		}
		var o outgoing
		for i := range 10 {
			o.Set(s+string(rune('a'+i)), s)
		}
		if o.Get(s+"a") != s || len(o.Keys()) != 10 {
			t.Errorf("outgoing carrier lost keys: %v", o.Keys())
		}
	})
}
