package httpkit

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzRedactedURL: whatever the URL, url.full keeps no user name,
// password, query value or fragment.
func FuzzRedactedURL(f *testing.F) {
	f.Add("alice", "pa55word", "/calendar/x", "key", "s3cr3t", "frag")
	f.Add("", "", "", "", "", "")
	f.Add("a:b@c", "%zz", "..//?#", "k&=", "v=v&v", "#")
	f.Fuzz(func(t *testing.T, user, pass, path, key, value, frag string) {
		u := &url.URL{Scheme: "http", Host: "example.com", Path: path, RawQuery: url.Values{key: {value}}.Encode(), Fragment: frag}
		if user != "" || pass != "" {
			u.User = url.UserPassword(user, pass)
		}
		for _, keys := range []bool{true, false} {
			out := RedactedURL(u, keys)
			public := "http://example.com/" + strings.TrimPrefix(u.EscapedPath(), "/") + "?" + url.QueryEscape(key) + Redacted
			for _, secret := range []string{user, pass, value, frag, url.QueryEscape(value), url.PathEscape(frag)} {
				if len(secret) >= 4 && !strings.Contains(public, secret) && strings.Contains(out, secret) {
					t.Fatalf("RedactedURL(%q, %v) = %q keeps %q", u, keys, out, secret)
				}
			}
			if strings.Contains(out, "#") {
				t.Fatalf("RedactedURL(%q) = %q keeps a fragment", u, out)
			}
		}
	})
}

// FuzzRedactQuery: every value becomes REDACTED.
func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "=x&&y", "k", "%zz=%zz", ";;&=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := RedactQuery(q)
		if out == "" {
			return
		}
		for part := range strings.SplitSeq(out, "&") {
			k, v, ok := strings.Cut(part, "=")
			if !ok || k == "" || v != Redacted && !strings.HasSuffix(part, "="+Redacted) {
				t.Fatalf("RedactQuery(%q) = %q: part %q is not key=REDACTED", q, out, part)
			}
		}
	})
}

// FuzzSplitHostPort: a port is one the input spells out, within 0-65535,
// and the host is part of the input.
func FuzzSplitHostPort(f *testing.F) {
	for _, s := range []string{"example.com:8080", "[::1]:443", "::1", "[", "host:", ":99999", "[v6]x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port := SplitHostPort(s)
		if !strings.Contains(s, host) {
			t.Fatalf("SplitHostPort(%q) host %q is not in the input", s, host)
		}
		if port < -1 || port > 65535 || port >= 0 && !strings.HasSuffix(strings.TrimLeft(s, "0"), strings.TrimLeft(strconv.Itoa(port), "0")) {
			t.Fatalf("SplitHostPort(%q) port %d", s, port)
		}
	})
}

// FuzzClientAddress: the address comes from X-Forwarded-For (without
// surrounding white space) or the remote address (which net/http sets),
// never from anywhere else.
func FuzzClientAddress(f *testing.F) {
	f.Add("203.0.113.7, 10.0.0.1", "10.0.0.2:1234")
	f.Add(" , ", "[::1]:80")
	f.Add("", "garbage")
	f.Fuzz(func(t *testing.T, xff, remote string) {
		r := &http.Request{Header: http.Header{}, RemoteAddr: remote}
		if xff != "" {
			r.Header["X-Forwarded-For"] = []string{xff}
		}
		got := ClientAddress(r)
		first, _, _ := strings.Cut(xff, ",")
		if first = strings.TrimSpace(first); first != "" && got != first || first == "" && !strings.Contains(remote, got) {
			t.Fatalf("ClientAddress(%q, %q) = %q", xff, remote, got)
		}
	})
}

// FuzzMethod: a known method is kept, anything else is _OTHER with the
// original kept aside.
func FuzzMethod(f *testing.F) {
	for _, s := range []string{"GET", "get", "PURGE", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, m string) {
		method, original := Method(m)
		switch {
		case method == "_OTHER" && original == m:
		case method != "_OTHER" && strings.EqualFold(method, m) && (original == "" && method == m || original == m):
		default:
			t.Fatalf("Method(%q) = %q, %q", m, method, original)
		}
	})
}
