package httpkit

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// sensitiveHeaders are never recorded, even when listed.
var sensitiveHeaders = map[string]bool{
	"Authorization":        true,
	"Proxy-Authorization":  true,
	"Cookie":               true,
	"Set-Cookie":           true,
	"Set-Cookie2":          true,
	"X-Api-Key":            true,
	"Api-Key":              true,
	"X-Auth-Token":         true,
	"X-Csrf-Token":         true,
	"X-Xsrf-Token":         true,
	"X-Amz-Security-Token": true,
	"X-Goog-Api-Key":       true,
	"Www-Authenticate":     false, // a challenge, not a credential
}

// sensitiveWords make any header whose name contains them sensitive.
var sensitiveWords = []string{"auth", "cookie", "token", "secret", "password", "passwd", "session", "api-key", "apikey", "signature", "credential", "private"}

// SensitiveHeader reports whether the header (canonical name) may carry a
// credential and must be redacted.
func SensitiveHeader(name string) bool {
	if s, ok := sensitiveHeaders[name]; ok {
		return s
	}
	lower := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// redactedValues is the value recorded for a sensitive header. Backends
// clone slice values they keep, and nothing writes to it.
var redactedValues = []string{Redacted}

// HeaderAttrs appends to dst an attribute for each header in caps present
// in h.
func HeaderAttrs(dst []tracing.Attr, caps []HeaderCapture, h http.Header) []tracing.Attr {
	for _, c := range caps {
		v := h[c.Name]
		if len(v) == 0 {
			continue
		}
		if c.Redact {
			v = redactedValues
		}
		dst = append(dst, tracing.StringSlice(c.Key, v))
	}
	return dst
}

// RedactQuery returns rawQuery with every value replaced by "REDACTED"
// ("a=1&b=2" → "a=REDACTED&b=REDACTED"); keys are kept as sent (escaped).
// Empty parts are dropped. It returns "" for "".
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(rawQuery) + 8)
	for part := range strings.SplitSeq(rawQuery, "&") {
		key, _, _ := strings.Cut(part, "=")
		if key == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteString("=" + Redacted)
	}
	return b.String()
}

// RedactedURL returns u as url.full records it: credentials replaced by
// "REDACTED:REDACTED", query values by "REDACTED" (or, if keys is false,
// the whole query by "REDACTED"), no fragment.
func RedactedURL(u *url.URL, keys bool) string {
	if u == nil {
		return ""
	}
	var b strings.Builder
	b.Grow(len(u.Scheme) + len(u.Host) + len(u.Path) + len(u.RawQuery) + 32)
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteString("://")
	} else if u.Host != "" {
		b.WriteString("//")
	}
	if u.User != nil {
		b.WriteString(Redacted + ":" + Redacted + "@")
	}
	b.WriteString(u.Host)
	if u.Opaque != "" {
		// An opaque URL ("http:host/path" or "http:%2F%2F…") may hide
		// anything; record only that there was one.
		b.WriteString(Redacted)
	} else {
		p := u.EscapedPath()
		if p != "" && p[0] != '/' && u.Host != "" {
			b.WriteByte('/')
		}
		b.WriteString(p)
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		if keys {
			b.WriteString(RedactQuery(u.RawQuery))
		} else if u.RawQuery != "" {
			b.WriteString(Redacted)
		}
	}
	return b.String()
}
