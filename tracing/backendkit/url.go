package backendkit

import (
	"net/url"
	"strings"
)

// StripURL removes from a URL what must not be recorded in a span: the
// query (its values may be secrets), the fragment and any user
// information. It is for URLs recorded by instrumentation that did not
// redact them (OpenTracing's http.url tags, for instance); polytrace's HTTP
// middleware records url.full redacted already.
func StripURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if strings.Contains(s, "@") {
		if u, err := url.Parse(s); err == nil && u.User != nil {
			u.User = nil
			return u.String()
		}
	}
	return s
}
