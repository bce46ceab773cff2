package backendkit

import "strings"

// failures are what a failed request to a collector or agent says, in the
// words of Go's net and net/http packages.
var failures = []string{
	"connection refused", "no such host", "i/o timeout", "deadline exceeded", "connection reset",
	"network is unreachable", "no route to host", "Client.Timeout", "context canceled", "EOF",
}

// Cause says in a few words why a request to a collector or agent failed,
// from its error's message: the connection failure it names ("connection
// refused", "i/o timeout", …) if any, else the message's last part
// ("error from collector: 500" → "500").
func Cause(msg string) string {
	for _, f := range failures {
		if strings.Contains(msg, f) {
			return f
		}
	}
	msg = strings.TrimSpace(msg)
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return msg
}

// IsConnectionFailure reports whether msg names a connection failure
// (see Cause).
func IsConnectionFailure(msg string) bool {
	for _, f := range failures {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}
