package jaegerbackend

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/config"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// EnvPropagation names the formats Inject writes: a comma-separated list
// of "jaeger" (uber-trace-id, uberctx-*) and "w3c" (traceparent,
// tracestate, baggage). Unset means both. It is the variable jaeger's Java
// client reads for the same purpose; jaeger-client-go itself has none.
const EnvPropagation = "JAEGER_PROPAGATION"

// Process tags the backend adds for the unified service identity, named as
// OpenTelemetry names them so that Jaeger shows the same keys for services
// on this backend and on the otel one.
const (
	TagEnvironment = "deployment.environment.name"
	TagVersion     = "service.version"
)

// defaultRemoteSamplingProbability is the rate jaeger-client-go documents
// for its remote sampler before the first strategy arrives. config.FromEnv
// leaves the parameter at 0 when JAEGER_SAMPLER_PARAM is unset, which
// would sample nothing until the agent answers.
const defaultRemoteSamplingProbability = 0.001

// loadConfig reads jaeger-client-go's configuration from the environment
// with its own config.FromEnv, checks what FromEnv does not, resolves the
// service identity and applies the options set in code.
func loadConfig(s tracing.Settings, o *options) (*config.Configuration, backendkit.Identity, error) {
	// config.FromEnv panics on some malformed JAEGER_TAGS values (an entry
	// without "=", a ${VAR} without ":default"): check them first.
	if err := checkTags(os.Getenv("JAEGER_TAGS")); err != nil {
		return nil, backendkit.Identity{}, err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, backendkit.Identity{}, fmt.Errorf("jaeger-client-go's config.FromEnv: %w", err)
	}
	if os.Getenv("JAEGER_SAMPLER_PARAM") == "" && cfg.Sampler != nil && isRemote(cfg.Sampler.Type) {
		cfg.Sampler.Param = defaultRemoteSamplingProbability
	}
	if !o.formatsSet {
		if o.formats, err = parseFormats(os.Getenv(EnvPropagation)); err != nil {
			return nil, backendkit.Identity{}, err
		}
	}
	if err := checkFormats(o.formats); err != nil {
		return nil, backendkit.Identity{}, err
	}

	s = backendkit.OverrideIdentity(s, o.service, o.environment, o.version)
	id := backendkit.ResolveIdentity(backendkit.VendorJaeger, s)
	cfg.ServiceName = id.Service
	if id.Environment != "" && !hasTag(cfg, TagEnvironment, "env", "deployment.environment") {
		cfg.Tags = append(cfg.Tags, tag(TagEnvironment, id.Environment))
	}
	if id.Version != "" && !hasTag(cfg, TagVersion, "version") {
		cfg.Tags = append(cfg.Tags, tag(TagVersion, id.Version))
	}
	if cfg.Reporter != nil && cfg.Reporter.QueueSize == 0 {
		cfg.Reporter.QueueSize = DefaultQueueSize
	}
	for _, f := range o.configure {
		f(cfg)
	}
	if cfg.Sampler == nil {
		cfg.Sampler = &config.SamplerConfig{Type: jaeger.SamplerTypeRemote, Param: defaultRemoteSamplingProbability}
	}
	if cfg.Reporter == nil {
		cfg.Reporter = &config.ReporterConfig{}
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = id.Service
	}
	id.Service = cfg.ServiceName
	if err := checkConfig(cfg, o); err != nil {
		return nil, backendkit.Identity{}, err
	}
	return cfg, id, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func isRemote(samplerType string) bool {
	t := strings.ToLower(samplerType)
	return t == "" || t == jaeger.SamplerTypeRemote
}

// checkTags validates JAEGER_TAGS as config.FromEnv parses it: entries
// key=value separated by commas, a value possibly ${ENV_VAR:default}.
func checkTags(s string) error {
	if s == "" {
		return nil
	}
	for entry := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(entry, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("JAEGER_TAGS=%q: malformed entry %q (want key=value, comma-separated)", s, entry)
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && !strings.Contains(v, ":") {
			return fmt.Errorf("JAEGER_TAGS=%q: entry %q: write ${VAR:default} (the default may be empty, but the colon is required)", s, entry)
		}
	}
	return nil
}

func hasTag(cfg *config.Configuration, keys ...string) bool {
	for _, t := range cfg.Tags {
		for _, k := range keys {
			if t.Key == k {
				return true
			}
		}
	}
	return false
}

// parseFormats parses JAEGER_PROPAGATION.
func parseFormats(s string) ([]Format, error) {
	if strings.TrimSpace(s) == "" {
		return []Format{FormatJaeger, FormatW3C}, nil
	}
	var out []Format
	for part := range strings.SplitSeq(s, ",") {
		switch f := Format(strings.ToLower(strings.TrimSpace(part))); f {
		case FormatJaeger, FormatW3C:
			out = append(out, f)
		case "":
		case "b3":
			return nil, fmt.Errorf("%s=%q: b3 is not supported by this backend (want jaeger and/or w3c)", EnvPropagation, s)
		default:
			return nil, fmt.Errorf("%s=%q: unknown format %q (want jaeger and/or w3c)", EnvPropagation, s, part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s=%q: names no format (want jaeger and/or w3c)", EnvPropagation, s)
	}
	return out, nil
}

func checkFormats(fs []Format) error {
	if len(fs) == 0 {
		return errors.New("WithPropagation needs at least one format")
	}
	for _, f := range fs {
		if f != FormatJaeger && f != FormatW3C {
			return fmt.Errorf("unknown propagation format %q (want %q or %q)", f, FormatJaeger, FormatW3C)
		}
	}
	return nil
}

// checkConfig reports the values config.FromEnv accepts but the tracer
// would misuse or fail on later.
func checkConfig(cfg *config.Configuration, o *options) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if o.sampler == nil {
		sc := cfg.Sampler
		p := sc.Param
		switch t := strings.ToLower(sc.Type); t {
		case jaeger.SamplerTypeConst:
			if p != 0 && p != 1 {
				bad("JAEGER_SAMPLER_PARAM=%v: the const sampler takes 0 (sample nothing) or 1 (sample everything)", p)
			}
		case jaeger.SamplerTypeProbabilistic, jaeger.SamplerTypeRemote, "":
			if math.IsNaN(p) || p < 0 || p > 1 {
				bad("JAEGER_SAMPLER_PARAM=%v: the %s sampler takes a probability between 0 and 1", p, first(t, "remote"))
			}
			if isRemote(t) && sc.SamplingServerURL != "" && !httpURL(sc.SamplingServerURL) {
				bad("JAEGER_SAMPLING_ENDPOINT=%q: want an http(s) URL such as http://jaeger-agent:5778/sampling", sc.SamplingServerURL)
			}
		case jaeger.SamplerTypeRateLimiting:
			if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
				bad("JAEGER_SAMPLER_PARAM=%v: the ratelimiting sampler takes a number of traces per second (0 or more)", p)
			}
		default:
			bad("JAEGER_SAMPLER_TYPE=%q: unknown sampler type (want const, probabilistic, ratelimiting or remote)", sc.Type)
		}
		if sc.MaxOperations < 0 {
			bad("JAEGER_SAMPLER_MAX_OPERATIONS=%d: must not be negative", sc.MaxOperations)
		}
		if sc.SamplingRefreshInterval < 0 {
			bad("JAEGER_SAMPLER_REFRESH_INTERVAL=%v: must not be negative", sc.SamplingRefreshInterval)
		}
	}
	if o.reporter == nil {
		rc := cfg.Reporter
		if rc.CollectorEndpoint != "" {
			if !httpURL(rc.CollectorEndpoint) {
				bad("JAEGER_ENDPOINT=%q: want an http(s) URL such as http://jaeger-collector:14268/api/traces", redactURL(rc.CollectorEndpoint))
			}
		} else if host, port, err := net.SplitHostPort(rc.LocalAgentHostPort); err != nil || host == "" {
			bad("JAEGER_AGENT_HOST/JAEGER_AGENT_PORT give %q: want host:port", rc.LocalAgentHostPort)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad("JAEGER_AGENT_PORT=%q: want a port number between 1 and 65535", port)
		}
		if rc.QueueSize < 0 {
			bad("JAEGER_REPORTER_MAX_QUEUE_SIZE=%d: must not be negative", rc.QueueSize)
		}
		if rc.BufferFlushInterval < 0 {
			bad("JAEGER_REPORTER_FLUSH_INTERVAL=%v: must not be negative", rc.BufferFlushInterval)
		}
		if rc.AttemptReconnectInterval < 0 {
			bad("JAEGER_REPORTER_ATTEMPT_RECONNECT_INTERVAL=%v: must not be negative", rc.AttemptReconnectInterval)
		}
	}
	if cfg.BaggageRestrictions != nil || cfg.Throttler != nil {
		bad("jaeger configuration: baggage restrictions and the debug throttler are not supported by this backend")
	}
	return errors.Join(errs...)
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// redactURL removes a password from a URL for error messages and the
// startup summary.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

func tag(key string, value any) opentracing.Tag { return opentracing.Tag{Key: key, Value: value} }
