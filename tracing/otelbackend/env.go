package otelbackend

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// The OpenTelemetry variables this package reads or validates itself. The
// SDK, autoexport and the OTLP exporters read most of them again; this
// package checks them first because those read several silently (a bad
// value there becomes a default and a log line at best).
const (
	envSDKDisabled      = "OTEL_SDK_DISABLED"
	envResourceAttrs    = "OTEL_RESOURCE_ATTRIBUTES"
	envSampler          = "OTEL_TRACES_SAMPLER"
	envSamplerArg       = "OTEL_TRACES_SAMPLER_ARG"
	envExporter         = "OTEL_TRACES_EXPORTER"
	envPropagators      = "OTEL_PROPAGATORS"
	envOTLPPrefix       = "OTEL_EXPORTER_OTLP_"
	envOTLPTracesPrefix = "OTEL_EXPORTER_OTLP_TRACES_"
)

// Batch span processor and span limit variables: integers, checked here,
// read by the SDK.
var (
	bspVars   = []string{"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"}
	limitVars = []string{
		"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
		"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT",
		"OTEL_SPAN_EVENT_COUNT_LIMIT", "OTEL_SPAN_LINK_COUNT_LIMIT",
		"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT",
	}
)

// raw returns a variable's value as the vendor code sees it (untrimmed):
// autoexport compares OTEL_TRACES_EXPORTER and the protocol verbatim.
func raw(name string) string {
	v, _ := backendkit.LookupEnv(name)
	return v
}

// otelBool parses an OpenTelemetry boolean. The specification accepts only
// "true" and "false" (any case); the SDK and exporters read anything else
// as false, so "1" or "yes" would silently mean false: it is an error here.
func otelBool(name string) (value, set bool, err error) {
	v := backendkit.Getenv(name)
	switch strings.ToLower(v) {
	case "":
		return false, false, nil
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, true, fmt.Errorf("%s=%q: want true or false", name, v)
}

// intVar parses an integer variable that must be >= min.
func intVar(name string, min int) (value int, set bool, err error) {
	v := backendkit.Getenv(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, true, fmt.Errorf("%s=%q: want an integer >= %d", name, v, min)
	}
	return n, true, nil
}

// checkEndpoint validates an OTLP endpoint URL: the exporters ignore a
// malformed one (and send to localhost instead).
func checkEndpoint(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%s=%q: want an http:// or https:// URL such as http://localhost:4318", name, v)
	}
	if u.Port() != "" {
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("%s=%q: bad port", name, v)
		}
	}
	return nil
}

// parseHeaders parses a header list ("k=v,k2=v2", values percent-encoded)
// as the OTLP exporters do, but reports malformed pairs, which the exporters
// skip with only a log line.
func parseHeaders(name, v string) (map[string]string, error) {
	h := map[string]string{}
	var bad []string
	for part := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || !isToken(k) {
			bad = append(bad, k)
			continue
		}
		dv, err := url.PathUnescape(val)
		if err != nil {
			bad = append(bad, k)
			continue
		}
		h[k] = strings.TrimSpace(dv)
	}
	if len(bad) > 0 {
		// Values are not shown: headers often carry API keys.
		return h, fmt.Errorf("%s: malformed entries for keys %q (want key=value pairs, values percent-encoded)", name, bad)
	}
	return h, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// otlpEnv is the OTLP exporter configuration the environment gives.
type otlpEnv struct {
	protocol              Protocol
	endpoint              string // the variable's value, "" if unset
	perSignal             bool   // endpoint came from the TRACES_ variable (used as is)
	insecure, insecureSet bool
	headers               map[string]string
}

// readOTLPEnv validates the OTEL_EXPORTER_OTLP_* variables.
func readOTLPEnv() (otlpEnv, error) {
	var e otlpEnv
	var errs []error
	pname := envOTLPTracesPrefix + "PROTOCOL"
	p := raw(pname)
	if p == "" {
		pname = envOTLPPrefix + "PROTOCOL"
		p = raw(pname)
	}
	switch Protocol(p) {
	case "":
		e.protocol = ProtocolHTTPProtobuf
	case ProtocolGRPC, ProtocolHTTPProtobuf:
		e.protocol = Protocol(p)
	case "http/json":
		errs = append(errs, fmt.Errorf("%s=%q: not supported here (autoexport speaks grpc and http/protobuf)", pname, p))
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want grpc or http/protobuf", pname, p))
	}
	for _, prefix := range []string{envOTLPPrefix, envOTLPTracesPrefix} {
		if v := backendkit.Getenv(prefix + "ENDPOINT"); v != "" {
			if err := checkEndpoint(prefix+"ENDPOINT", v); err != nil {
				errs = append(errs, err)
			}
			e.endpoint, e.perSignal = v, prefix == envOTLPTracesPrefix
		}
		if v := backendkit.Getenv(prefix + "HEADERS"); v != "" {
			h, err := parseHeaders(prefix+"HEADERS", v)
			if err != nil {
				errs = append(errs, err)
			}
			e.headers = h // TRACES_ comes second and replaces, as in the exporters
		}
		if _, _, err := intVar(prefix+"TIMEOUT", 0); err != nil {
			errs = append(errs, err)
		}
		if b, set, err := otelBool(prefix + "INSECURE"); err != nil {
			errs = append(errs, err)
		} else if set {
			e.insecure, e.insecureSet = b, true
		}
		switch v := backendkit.Getenv(prefix + "COMPRESSION"); v {
		case "", "gzip", "none":
		default:
			errs = append(errs, fmt.Errorf("%sCOMPRESSION=%q: want gzip or none", prefix, v))
		}
	}
	return e, errors.Join(errs...)
}

// checkBatchAndLimits validates the OTEL_BSP_* and span limit variables.
func checkBatchAndLimits() error {
	var errs []error
	min := map[string]int{"OTEL_BSP_MAX_QUEUE_SIZE": 1, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": 1}
	vals := map[string]int{}
	for _, name := range bspVars {
		n, set, err := intVar(name, min[name])
		if err != nil {
			errs = append(errs, err)
		} else if set {
			vals[name] = n
		}
	}
	queue := DefaultMaxQueueSize
	if q, ok := vals["OTEL_BSP_MAX_QUEUE_SIZE"]; ok {
		queue = q
	}
	if b, ok := vals["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"]; ok && b > queue {
		// The SDK silently lowers it.
		errs = append(errs, fmt.Errorf("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=%d: must not exceed the queue size %d", b, queue))
	}
	for _, name := range limitVars {
		if _, _, err := intVar(name, 0); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// samplerFromEnv builds the sampler OTEL_TRACES_SAMPLER names. It returns
// nil for unset (the SDK default, parentbased_always_on). The SDK would
// fall back to its default on an unknown name or a bad argument.
func samplerFromEnv() (s sdktrace.Sampler, desc string, err error) {
	name := strings.ToLower(backendkit.Getenv(envSampler))
	arg := backendkit.Getenv(envSamplerArg)
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(r) || r < 0 || r > 1 {
			return 0, fmt.Errorf("%s=%q: want a number between 0 and 1 for %s", envSamplerArg, arg, name)
		}
		return r, nil
	}
	switch name {
	case "":
		return nil, "parentbased_always_on", nil
	case "always_on":
		return sdktrace.AlwaysSample(), name, nil
	case "always_off":
		return sdktrace.NeverSample(), name, nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), name, nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), name, nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, "", err
		}
		s = sdktrace.TraceIDRatioBased(r)
		if name == "parentbased_traceidratio" {
			s = sdktrace.ParentBased(s)
		}
		return s, name + ":" + strconv.FormatFloat(r, 'g', -1, 64), nil
	case "jaeger_remote", "parentbased_jaeger_remote", "xray":
		return nil, "", fmt.Errorf("%s=%q: not supported by the OpenTelemetry Go SDK; use always_on, always_off, traceidratio or their parentbased_ forms", envSampler, name)
	}
	return nil, "", fmt.Errorf("%s=%q: unknown sampler; want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio", envSampler, name)
}

// propagatorsFromEnv builds the propagator OTEL_PROPAGATORS lists, in the
// order listed, through autoprop; "datadog" is this package's extract-only
// Datadog propagator. It returns nil if the variable is unset.
func propagatorsFromEnv() (propagation.TextMapPropagator, []string, error) {
	v := backendkit.Getenv(envPropagators)
	if v == "" {
		return nil, nil, nil
	}
	var (
		props   []propagation.TextMapPropagator
		names   []string
		unknown []string
	)
	for part := range strings.SplitSeq(v, ",") {
		name := strings.ToLower(strings.TrimSpace(part))
		switch name {
		case "":
			continue
		case "none":
			// As autoprop: "none" anywhere means no propagation.
			return propagation.NewCompositeTextMapPropagator(), []string{"none"}, nil
		case "datadog":
			props = append(props, Datadog{})
			names = append(names, "datadog(extract)")
			continue
		}
		p, err := autoprop.TextMapPropagator(name)
		if err != nil || p == nil {
			unknown = append(unknown, name)
			continue
		}
		props = append(props, p)
		names = append(names, name)
	}
	if len(unknown) > 0 {
		return nil, nil, fmt.Errorf("%s=%q: unknown propagators %q; want tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, datadog or none", envPropagators, v, unknown)
	}
	return propagation.NewCompositeTextMapPropagator(props...), names, nil
}

// checkExporterName validates OTEL_TRACES_EXPORTER before autoexport reads
// it. Names other than the built-in ones are left to autoexport, whose
// registry may know them (autoexport.RegisterSpanExporter).
func checkExporterName() (string, error) {
	v := raw(envExporter)
	if strings.Contains(v, ",") {
		return "", fmt.Errorf("%s=%q: only one exporter is supported", envExporter, v)
	}
	if v == "" {
		return "otlp", nil
	}
	return v, nil
}
