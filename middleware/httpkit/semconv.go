package httpkit

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Attribute keys, from OpenTelemetry's HTTP semantic conventions (DESIGN
// §4); backends map them to their vendor's names.
const (
	KeyMethod         = "http.request.method"
	KeyMethodOriginal = "http.request.method_original"
	KeyRoute          = "http.route"
	KeyStatusCode     = "http.response.status_code"
	KeyReqBodySize    = "http.request.body.size"
	KeyRespBodySize   = "http.response.body.size"
	KeyURLPath        = "url.path"
	KeyURLScheme      = "url.scheme"
	KeyURLQuery       = "url.query"
	KeyURLFull        = "url.full"
	KeyServerAddress  = "server.address"
	KeyServerPort     = "server.port"
	KeyClientAddress  = "client.address"
	KeyUserAgent      = "user_agent.original"
	KeyProtoVersion   = "network.protocol.version"
	KeyErrorType      = "error.type"
)

// MethodOther is the http.request.method value of methods outside RFC 9110
// and RFC 5789.
const MethodOther = "_OTHER"

// Redacted replaces secrets: query values, URL credentials, sensitive
// headers.
const Redacted = "REDACTED"

var knownMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
}

// Method returns the http.request.method value of m and, if m is not that
// value exactly, the original for http.request.method_original: "GET" →
// ("GET", ""); "get" → ("GET", "get"); "PURGE" → ("_OTHER", "PURGE").
func Method(m string) (method, original string) {
	for _, k := range knownMethods {
		if m == k {
			return k, ""
		}
	}
	for _, k := range knownMethods {
		if strings.EqualFold(m, k) {
			return k, m
		}
	}
	return MethodOther, m
}

// nameMethod is the method as span names show it: "HTTP" for unknown
// methods, as OpenTelemetry names them.
func nameMethod(method string) string {
	if method == MethodOther {
		return "HTTP"
	}
	return method
}

// RouteFromPattern returns the route template of a net/http ServeMux
// pattern (Request.Pattern): the pattern without its method and host,
// "GET example.com/notes/{id}" → "/notes/{id}". It returns "" for "".
func RouteFromPattern(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// SpanName returns the OpenTelemetry server span name for a method (as
// Method returns it) and a route template: "GET /notes/{id}"; the method
// alone when no route matched ("GET"); "HTTP" in place of an unknown
// method. Names are cached, so that naming allocates nothing once a route
// has been seen.
func SpanName(method, route string) string {
	method = nameMethod(method)
	if route == "" {
		return method
	}
	k := nameKey{method, route}
	if m := names.m.Load(); m != nil {
		if n, ok := (*m)[k]; ok {
			return n
		}
	}
	n := method + " " + route
	names.store(k, n)
	return n
}

// ClientSpanName returns the OpenTelemetry client span name: the method
// ("HTTP" for unknown methods).
func ClientSpanName(method string) string { return nameMethod(method) }

type nameKey struct{ method, route string }

// nameCache maps (method, route) to a span name. Lookups read an immutable
// map without locking or allocating; the rare stores copy it. Routes are
// few, but a misused router could produce many: past maxNames, names are
// built per request instead.
type nameCache struct {
	mu sync.Mutex
	m  atomic.Pointer[map[nameKey]string]
}

const maxNames = 2048

var names nameCache

func (c *nameCache) store(k nameKey, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	var m map[nameKey]string
	if old != nil {
		if _, ok := (*old)[k]; ok || len(*old) >= maxNames {
			return
		}
		m = make(map[nameKey]string, len(*old)+1)
		for kk, v := range *old {
			m[kk] = v
		}
	} else {
		m = make(map[nameKey]string, 16)
	}
	// Clone the strings: a route may point into a larger buffer the
	// framework reuses.
	m[nameKey{strings.Clone(k.method), strings.Clone(k.route)}] = name
	c.m.Store(&m)
}

// SplitHostPort splits "host:port", "[v6]:port", "host" or "[v6]" into host
// and port; port is -1 when absent or invalid. It never allocates.
func SplitHostPort(hostport string) (host string, port int) {
	port = -1
	if strings.HasPrefix(hostport, "[") {
		end := strings.LastIndexByte(hostport, ']')
		if end < 0 {
			return "", -1
		}
		host = hostport[1:end]
		rest := hostport[end+1:]
		if len(rest) > 1 && rest[0] == ':' {
			port = parsePort(rest[1:])
		}
		return host, port
	}
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 {
		return hostport, -1
	}
	if strings.IndexByte(hostport[:i], ':') >= 0 {
		// A bare IPv6 address without brackets has no port.
		return hostport, -1
	}
	return hostport[:i], parsePort(hostport[i+1:])
}

func parsePort(s string) int {
	if s == "" || len(s) > 5 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return -1
	}
	return n
}

// nonDefaultPort returns port, or -1 if it is the scheme's default (the
// semantic conventions record server.port only when it is not).
func nonDefaultPort(https bool, port int) int {
	if port <= 0 || (https && port == 443) || (!https && port == 80) {
		return -1
	}
	return port
}

// ClientAddress returns the client's address: the first X-Forwarded-For
// entry if there is one, else the host of remoteAddr.
func ClientAddress(r *http.Request) string {
	if xff := r.Header["X-Forwarded-For"]; len(xff) > 0 {
		first := xff[0]
		if i := strings.IndexByte(first, ','); i >= 0 {
			first = first[:i]
		}
		if first = strings.TrimSpace(first); first != "" {
			return first
		}
	}
	h, _ := SplitHostPort(r.RemoteAddr)
	return h
}

// ProtocolVersion returns the network.protocol.version of proto ("1.1",
// "2", …) from a request's or response's ProtoMajor and ProtoMinor, or ""
// if unknown.
func ProtocolVersion(proto string, major, minor int) string {
	switch {
	case major == 1 && minor == 1:
		return "1.1"
	case major == 1 && minor == 0:
		return "1.0"
	case major == 2 && minor == 0:
		return "2"
	case major == 3 && minor == 0:
		return "3"
	}
	if _, v, ok := strings.Cut(proto, "/"); ok {
		return v
	}
	return ""
}

// statusStrings holds "100"…"599" so that error.type costs no allocation.
var statusStrings = func() (s [500]string) {
	for i := range s {
		s[i] = strconv.Itoa(i + 100)
	}
	return s
}()

// StatusString returns code in decimal.
func StatusString(code int) string {
	if code >= 100 && code < 600 {
		return statusStrings[code-100]
	}
	return strconv.Itoa(code)
}

// validStatus reports whether code is a status code HTTP allows.
func validStatus(code int) bool { return code >= 100 && code < 600 }

// isServerError and isClientError are the default status rules.
func isServerError(code int) bool { return code >= 500 }
func isClientError(code int) bool { return code >= 400 }
