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
	Sampler     string   // what is sampled, in plain words, with the vendor's term in parentheses
	Propagators []string // formats injected and extracted
	// Note is what a user must know about this configuration at once,
	// in a sentence (for example that jaeger's default remote sampler
	// records almost nothing until an agent answers, and how to change
	// that); empty when there is nothing to say.
	Note string
}

// String returns the summary on one line:
//
//	polytrace: backend=otel service=notes env=prod version=1.2.0 destination="otlp grpc http://localhost:4317" sampler="every trace, continued ones as the caller decided (parentbased_always_on)" propagators=tracecontext,baggage
//
// Empty fields print as "-"; a Note, when there is one, comes last.
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
	if s.Note != "" {
		field("note", s.Note)
	}
	return b.String()
}
