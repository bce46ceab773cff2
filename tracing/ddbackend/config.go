package ddbackend

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

// settings is the configuration resolved from options, tracing.Settings
// and the environment, validated, as the backend and the summary use it.
type settings struct {
	id              backendkit.Identity
	explicitService bool // pass the service to dd-trace-go (not the program-name default)

	agentURL *url.URL // http(s)://host:port or unix:///path
	timeout  time.Duration

	sampleRate           float64 // NaN when not set
	sampleRateFromOption bool
	traceRules           int
	spanRules            int
	rateLimit            float64

	inject, extract []string // propagation styles, normalised

	schemaV1  bool  // DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1
	log128    bool  // DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED
	enabled   bool  // DD_TRACE_ENABLED (or OTEL_TRACES_EXPORTER=none)
	debug     bool  // DD_TRACE_DEBUG: dd-trace-go logs everything, as it would alone
	startLogs *bool // DD_TRACE_STARTUP_LOGS, if set
	dbService *string

	lim backendkit.Limits // what a span keeps (negative: no limit)
}

// Defaults, as dd-trace-go's.
const (
	defaultAgentHost    = "localhost"
	defaultAgentPort    = "8126"
	defaultAgentSocket  = "/var/run/datadog/apm.socket"
	defaultAgentTimeout = 10 * time.Second
	defaultRateLimit    = 100.0
)

var defaultStyles = []string{"datadog", "tracecontext", "baggage"}

// resolve builds settings from options, code settings and the environment.
// Every bad value is reported (joined), where dd-trace-go would log a
// warning and fall back to a default.
func resolve(c *config, s tracing.Settings) (settings, error) {
	var errs []error
	add := func(err error) {
		if err == nil {
			return
		}
		for _, e := range errs {
			if e.Error() == err.Error() { // inject and extract read the same variable
				return
			}
		}
		errs = append(errs, err)
	}
	var st settings

	// Identity: options, then tracing.Settings, then DD_*, then the other
	// vendors' variables (envconf.Resolve).
	s = backendkit.OverrideIdentity(s, c.service, c.env, c.version)
	st.id = backendkit.ResolveIdentity(backendkit.VendorDatadog, s)
	st.explicitService = s.Service != "" || backendkit.Getenv("DD_SERVICE") != "" || st.id.Service != backendkit.ProgramName()

	var err error
	st.agentURL, err = resolveAgentURL(c.agentURL)
	add(err)
	st.timeout = c.agentTimeout
	if st.timeout <= 0 {
		st.timeout = defaultAgentTimeout
	}

	st.sampleRate = math.NaN()
	if !math.IsNaN(c.sampleRate) {
		if c.sampleRate < 0 || c.sampleRate > 1 {
			add(fmt.Errorf("WithSampleRate(%g): want a rate between 0 and 1", c.sampleRate))
		} else {
			st.sampleRate, st.sampleRateFromOption = c.sampleRate, true
		}
	} else {
		r, err := backendkit.EnvFloat("DD_TRACE_SAMPLE_RATE", math.NaN(), 0, 1)
		add(err)
		st.sampleRate = r
	}
	st.rateLimit, err = backendkit.EnvFloat("DD_TRACE_RATE_LIMIT", defaultRateLimit, 0, math.MaxFloat64)
	add(err)
	st.traceRules, err = countRules("DD_TRACE_SAMPLING_RULES")
	add(err)
	st.spanRules, err = countRules("DD_SPAN_SAMPLING_RULES")
	add(err)

	st.lim, _, err = backendkit.LimitsFromEnv(backendkit.DefaultLimits)
	add(err)
	for _, o := range []struct {
		dst *int
		v   *int
	}{{&st.lim.AttrValueLen, c.valueLen}, {&st.lim.Attrs, c.attrCount}, {&st.lim.Events, c.eventCount}} {
		if o.v != nil {
			*o.dst = *o.v
		}
	}

	st.inject, err = resolveStyles("DD_TRACE_PROPAGATION_STYLE_INJECT")
	add(err)
	st.extract, err = resolveStyles("DD_TRACE_PROPAGATION_STYLE_EXTRACT")
	add(err)

	switch v := strings.ToLower(backendkit.Getenv("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA")); v {
	case "", "v0":
	case "v1":
		st.schemaV1 = true
	default:
		add(fmt.Errorf("DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=%q: want v0 or v1", v))
	}

	// DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED defaults to false here, as
	// dd-trace-go v1's tracer.Start sets it: logs carry the decimal low 64
	// bits, which Datadog's log pipeline correlates on.
	st.log128, err = backendkit.EnvBool("DD_TRACE_128_BIT_TRACEID_LOGGING_ENABLED", false)
	add(err)
	st.enabled, err = backendkit.EnvBool("DD_TRACE_ENABLED", true)
	add(err)
	if backendkit.Getenv("DD_TRACE_ENABLED") == "" && strings.EqualFold(backendkit.Getenv("OTEL_TRACES_EXPORTER"), "none") {
		st.enabled = false // dd-trace-go maps OTEL_TRACES_EXPORTER=none to DD_TRACE_ENABLED=false
	}
	st.debug, err = backendkit.EnvBool("DD_TRACE_DEBUG", false)
	add(err)
	if backendkit.Getenv("DD_TRACE_STARTUP_LOGS") != "" {
		on, err := backendkit.EnvBool("DD_TRACE_STARTUP_LOGS", false)
		add(err)
		st.startLogs = &on
	}
	for _, name := range []string{
		"DD_TRACE_128_BIT_TRACEID_GENERATION_ENABLED",
		"DD_RUNTIME_METRICS_ENABLED", "DD_TRACE_STATS_COMPUTATION_ENABLED", "DD_TRACE_PROPAGATION_EXTRACT_FIRST",
		"DD_INSTRUMENTATION_TELEMETRY_ENABLED", "DD_REMOTE_CONFIGURATION_ENABLED", "DD_TRACE_PARTIAL_FLUSH_ENABLED",
	} {
		_, err := backendkit.EnvBool(name, false)
		add(err)
	}
	st.dbService = c.dbService
	return st, errors.Join(errs...)
}

// resolveAgentURL returns the agent URL: the option, else
// DD_TRACE_AGENT_URL, else DD_AGENT_HOST and DD_TRACE_AGENT_PORT, else the
// agent's Unix socket if it exists, else http://localhost:8126 — the order
// dd-trace-go follows.
func resolveAgentURL(opt string) (*url.URL, error) {
	if opt != "" {
		return parseAgentURL("WithAgentURL", opt)
	}
	if v := backendkit.Getenv("DD_TRACE_AGENT_URL"); v != "" {
		return parseAgentURL("DD_TRACE_AGENT_URL", v)
	}
	host, port := backendkit.Getenv("DD_AGENT_HOST"), backendkit.Getenv("DD_TRACE_AGENT_PORT")
	if strings.Contains(host, "/") || strings.Contains(host, ":") && !strings.HasPrefix(host, "[") && strings.Count(host, ":") == 1 {
		return nil, fmt.Errorf("DD_AGENT_HOST=%q: want a host name or IP address (put a URL in DD_TRACE_AGENT_URL, a port in DD_TRACE_AGENT_PORT)", host)
	}
	if port != "" && !validPort(port) {
		return nil, fmt.Errorf("DD_TRACE_AGENT_PORT=%q: want a port number between 1 and 65535", port)
	}
	if host == "" && port == "" {
		if _, err := os.Stat(defaultAgentSocket); err == nil {
			return &url.URL{Scheme: "unix", Path: defaultAgentSocket}, nil
		}
	}
	if host == "" {
		host = defaultAgentHost
	}
	if port == "" {
		port = defaultAgentPort
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return &url.URL{Scheme: "http", Host: joinHostPort(host, port)}, nil
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

func parseAgentURL(name, v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: not a URL: %v", name, v, unwrapURLError(err))
	}
	switch u.Scheme {
	case "http", "https":
		if u.Hostname() == "" {
			return nil, fmt.Errorf("%s=%q: the URL has no host (want http://host:8126)", name, v)
		}
		if p := u.Port(); p != "" && !validPort(p) {
			return nil, fmt.Errorf("%s=%q: port %q is not between 1 and 65535", name, v, p)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("%s=%q: the agent URL takes only a scheme, host and port", name, v)
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("%s=%q: want unix:///path/to/apm.socket", name, v)
		}
		return &url.URL{Scheme: "unix", Path: u.Path}, nil
	case "":
		return nil, fmt.Errorf("%s=%q: the URL has no scheme (want http://host:8126, https://… or unix:///path)", name, v)
	default:
		if validPort(u.Opaque) {
			return nil, fmt.Errorf("%s=%q: unsupported scheme %q (a host and port need a scheme: http://%s)", name, v, u.Scheme, v)
		}
		return nil, fmt.Errorf("%s=%q: unsupported scheme %q (want http, https or unix)", name, v, u.Scheme)
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// countRules validates DD_TRACE_SAMPLING_RULES or DD_SPAN_SAMPLING_RULES
// (or the file their _FILE variant names) with dd-trace-go's own rule
// parser and returns how many rules there are.
func countRules(name string) (int, error) {
	raw, src := backendkit.Getenv(name), name
	if raw == "" {
		file := backendkit.Getenv(name + "_FILE")
		if file == "" {
			return 0, nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, fmt.Errorf("%s_FILE: %v", name, err)
		}
		raw, src = string(b), name+"_FILE "+file
	}
	var rules []tracer.SamplingRule
	if err := json.Unmarshal([]byte(raw), &rules); err != nil {
		return 0, fmt.Errorf("%s: unparsable sampling rules: %v (want a JSON array such as [{\"service\":\"notes\",\"sample_rate\":0.5}])", src, err)
	}
	return len(rules), nil
}

// Propagation style names dd-trace-go knows.
var knownStyles = map[string]bool{
	"datadog": true, "tracecontext": true, "baggage": true,
	"b3": true, "b3multi": true, "b3 single header": true, "none": true,
}

// otelStyles maps OTEL_PROPAGATORS names as dd-trace-go does.
var otelStyles = map[string]string{
	"tracecontext": "tracecontext", "b3": "b3 single header", "b3multi": "b3multi",
	"datadog": "datadog", "none": "none",
}

// resolveStyles returns the styles dd-trace-go will use for inject or
// extract (specific is DD_TRACE_PROPAGATION_STYLE_INJECT or _EXTRACT):
// the specific variable, else DD_TRACE_PROPAGATION_STYLE, else
// OTEL_PROPAGATORS mapped as dd-trace-go maps it, else datadog,
// tracecontext, baggage. dd-trace-go ignores a style it does not know (and
// does not trim spaces); that is an error here.
func resolveStyles(specific string) ([]string, error) {
	name, v := specific, backendkit.Getenv(specific)
	if v == "" {
		name, v = "DD_TRACE_PROPAGATION_STYLE", backendkit.Getenv("DD_TRACE_PROPAGATION_STYLE")
	}
	if v == "" {
		if ot := backendkit.Getenv("OTEL_PROPAGATORS"); ot != "" {
			var mapped []string
			for p := range strings.SplitSeq(strings.ToLower(ot), ",") {
				if m, ok := otelStyles[strings.TrimSpace(p)]; ok {
					mapped = append(mapped, m)
				}
			}
			if len(mapped) == 0 {
				return defaultStyles, nil
			}
			if len(mapped) == 1 && mapped[0] == "none" {
				return nil, nil
			}
			return mapped, nil
		}
		return defaultStyles, nil
	}
	lv := strings.ToLower(v)
	if lv == "none" {
		return nil, nil
	}
	var out []string
	for p := range strings.SplitSeq(lv, ",") {
		if !knownStyles[p] {
			return nil, fmt.Errorf("%s=%q: unknown propagation style %q (known: datadog, tracecontext, baggage, b3multi, b3, \"b3 single header\", none; no spaces around commas)", name, v, p)
		}
		if p == "none" {
			return nil, fmt.Errorf("%s=%q: none cannot be combined with other styles", name, v)
		}
		out = append(out, p)
	}
	return out, nil
}

func hasStyle(styles []string, s string) bool {
	for _, x := range styles {
		if x == s {
			return true
		}
	}
	return false
}

// samplerSummary says in plain words what is sampled, with the
// configuration in Datadog's terms in parentheses.
func (st *settings) samplerSummary() string {
	if !st.enabled {
		return "nothing: tracing disabled (DD_TRACE_ENABLED=false)"
	}
	var parts []string
	if st.traceRules > 0 {
		parts = append(parts, "rules="+strconv.Itoa(st.traceRules))
	}
	if !math.IsNaN(st.sampleRate) {
		parts = append(parts, "rate="+strconv.FormatFloat(st.sampleRate, 'g', -1, 64))
	}
	if len(parts) == 0 {
		parts = append(parts, "agent-rates")
	} else {
		parts = append(parts, "limit="+strconv.FormatFloat(st.rateLimit, 'g', -1, 64)+"/s")
	}
	if st.spanRules > 0 {
		parts = append(parts, "span-rules="+strconv.Itoa(st.spanRules))
	}
	words := "as the agent's rates say"
	switch {
	case st.traceRules > 0:
		words = "by the sampling rules, at most " + strconv.FormatFloat(st.rateLimit, 'g', -1, 64) + " traces a second"
	case !math.IsNaN(st.sampleRate):
		words = strconv.FormatFloat(st.sampleRate*100, 'g', 4, 64) + "% of new traces, at most " + strconv.FormatFloat(st.rateLimit, 'g', -1, 64) + " a second"
	}
	return words + " (datadog " + strings.Join(parts, ",") + ")"
}

// propagatorSummary lists the styles, marking them when inject and extract
// differ.
func (st *settings) propagatorSummary() []string {
	if strings.Join(st.inject, ",") == strings.Join(st.extract, ",") {
		return append([]string(nil), st.inject...)
	}
	return []string{"inject:" + strings.Join(st.inject, "+"), "extract:" + strings.Join(st.extract, "+")}
}

// destination is the agent URL as people write it.
func (st *settings) destination() string {
	return st.agentURL.String()
}
