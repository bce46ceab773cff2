package tracing

import "strings"

// Summary describes a backend's configuration in the startup line FromEnv
// prints. Backends fill it in (see Summarizer).
type Summary struct {
	Backend     string   // registered name: "otel", "datadog", …
	Service     string   // service name
	Environment string   // deployment environment
	Version     string   // service version
	Destination string   // where spans go: an URL, "stderr", "agent udp://host:6831", …
	Sampler     string   // sampling rule in the vendor's words
	Propagators []string // formats injected and extracted
}

// String returns the summary on one line:
//
//	polytrace: backend=otel service=notes env=prod version=1.2.0 destination=grpc://localhost:4317 sampler=parentbased_always_on propagators=tracecontext,baggage
//
// Empty fields print as "-".
func (s Summary) String() string {
	var b strings.Builder
	b.WriteString("polytrace:")
	field := func(k, v string) {
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		if v == "" {
			v = "-"
		}
		if strings.ContainsAny(v, " \t\"") {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `\"`))
			b.WriteByte('"')
		} else {
			b.WriteString(v)
		}
	}
	field("backend", s.Backend)
	field("service", s.Service)
	field("env", s.Environment)
	field("version", s.Version)
	field("destination", s.Destination)
	field("sampler", s.Sampler)
	field("propagators", strings.Join(s.Propagators, ","))
	return b.String()
}
