package backendkit

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// Vendor says whose variables come first.
type Vendor int

// Vendors.
const (
	VendorOTel Vendor = iota
	VendorDatadog
	VendorJaeger
)

// Identity is a service's unified identity.
type Identity struct {
	Service, Environment, Version string
}

// Lookup reads an environment variable; tests replace it.
var LookupEnv = os.LookupEnv

func get(name string) string {
	v, _ := LookupEnv(name)
	return strings.TrimSpace(v)
}

// ResourceAttributes parses OTEL_RESOURCE_ATTRIBUTES: comma-separated
// key=value pairs with percent-encoded values. Malformed pairs are skipped
// and reported in the error (the OpenTelemetry specification says to
// discard the whole variable on a parse error; we keep the good pairs and
// say which were bad).
func ResourceAttributes() (map[string]string, error) {
	return ParseResourceAttributes(get("OTEL_RESOURCE_ATTRIBUTES"))
}

// ParseResourceAttributes parses s as OTEL_RESOURCE_ATTRIBUTES.
func ParseResourceAttributes(s string) (map[string]string, error) {
	out := map[string]string{}
	var bad []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			bad = append(bad, part)
			continue
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			bad = append(bad, part)
			continue
		}
		out[k] = dv
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: malformed entries %q (want key=value, percent-encoded)", bad)
	}
	return out, nil
}

// ddTag returns the value of key in DD_TAGS ("k:v,k2:v2" or space-separated).
func ddTag(key string) string {
	for _, t := range strings.FieldsFunc(get("DD_TAGS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if k, v, ok := strings.Cut(t, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// jaegerTag returns the value of key in JAEGER_TAGS ("k=v,k2=v2").
func jaegerTag(key string) string {
	for _, t := range strings.Split(get("JAEGER_TAGS"), ",") {
		if k, v, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ResolveIdentity returns the identity from the environment, preferring the
// variables of vendor v and falling back to the others', then overridden by
// what code set in s. The service defaults to s.DefaultService, then the
// program's name.
//
//	service:     DD_SERVICE, OTEL_SERVICE_NAME, service.name in OTEL_RESOURCE_ATTRIBUTES, JAEGER_SERVICE_NAME
//	environment: DD_ENV, deployment.environment.name (or deployment.environment) in OTEL_RESOURCE_ATTRIBUTES, env in DD_TAGS or JAEGER_TAGS
//	version:     DD_VERSION, service.version in OTEL_RESOURCE_ATTRIBUTES, version in DD_TAGS or JAEGER_TAGS
func ResolveIdentity(v Vendor, s tracing.Settings) Identity {
	ra, _ := ResourceAttributes()
	otelService := first(get("OTEL_SERVICE_NAME"), ra["service.name"])
	otelEnv := first(ra["deployment.environment.name"], ra["deployment.environment"])
	otelVersion := ra["service.version"]
	ddService, ddEnv, ddVersion := first(get("DD_SERVICE"), ddTag("service")), first(get("DD_ENV"), ddTag("env")), first(get("DD_VERSION"), ddTag("version"))
	jService, jEnv, jVersion := get("JAEGER_SERVICE_NAME"), first(jaegerTag("env"), jaegerTag("deployment.environment")), first(jaegerTag("version"), jaegerTag("service.version"))

	var id Identity
	switch v {
	case VendorDatadog:
		id = Identity{first(ddService, otelService, jService), first(ddEnv, otelEnv, jEnv), first(ddVersion, otelVersion, jVersion)}
	case VendorJaeger:
		id = Identity{first(jService, otelService, ddService), first(jEnv, otelEnv, ddEnv), first(jVersion, otelVersion, ddVersion)}
	default:
		id = Identity{first(otelService, ddService, jService), first(otelEnv, ddEnv, jEnv), first(otelVersion, ddVersion, jVersion)}
	}
	id.Service = first(s.Service, id.Service, s.DefaultService, ProgramName())
	id.Environment = first(s.Environment, id.Environment)
	id.Version = first(s.Version, id.Version)
	return id
}

// OverrideIdentity returns s with the service, environment and version a
// backend's own options set (WithServiceName and the like) in place of
// those of tracing's options and the environment; empty values leave s's.
func OverrideIdentity(s tracing.Settings, service, environment, version string) tracing.Settings {
	s.Service = first(service, s.Service)
	s.Environment = first(environment, s.Environment)
	s.Version = first(version, s.Version)
	return s
}

// ProgramName returns the base name of the running program.
func ProgramName() string {
	if len(os.Args) == 0 {
		return "unknown_service"
	}
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// EnvBool parses a boolean variable; unset means def. A value that is not a
// boolean is an error naming the variable.
func EnvBool(name string, def bool) (bool, error) {
	v := get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q: not a boolean (true/false)", name, v)
	}
	return b, nil
}

// EnvFloat parses a number in [min, max]; unset means def.
func EnvFloat(name string, def, min, max float64) (float64, error) {
	v := get(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < min || f > max || f != f {
		return def, fmt.Errorf("%s=%q: want a number between %g and %g", name, v, min, max)
	}
	return f, nil
}

// Getenv returns the trimmed value of the environment variable name
// ("" if unset).
func Getenv(name string) string { return get(name) }
