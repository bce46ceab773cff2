package backendkit

import (
	"strings"
	"testing"

	"github.com/polytrace/polytrace/tracing"
)

func withEnv(t *testing.T, env map[string]string) {
	t.Helper()
	prev := LookupEnv
	LookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	t.Cleanup(func() { LookupEnv = prev })
}

func TestResolveFallsBackAcrossVendors(t *testing.T) {
	cases := []struct {
		name   string
		env    map[string]string
		vendor Vendor
		set    tracing.Settings
		want   Identity
	}{
		{"otel own", map[string]string{"OTEL_SERVICE_NAME": "a", "DD_SERVICE": "b", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,service.version=1.2"}, VendorOTel, tracing.Settings{}, Identity{"a", "prod", "1.2"}},
		{"otel from dd", map[string]string{"DD_SERVICE": "b", "DD_ENV": "staging", "DD_VERSION": "3"}, VendorOTel, tracing.Settings{}, Identity{"b", "staging", "3"}},
		{"otel from jaeger", map[string]string{"JAEGER_SERVICE_NAME": "j", "JAEGER_TAGS": "env=qa,version=9"}, VendorOTel, tracing.Settings{}, Identity{"j", "qa", "9"}},
		{"otel resource service", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=r%20s,deployment.environment=old"}, VendorOTel, tracing.Settings{}, Identity{"r s", "old", ""}},
		{"dd own first", map[string]string{"OTEL_SERVICE_NAME": "a", "DD_SERVICE": "b", "DD_ENV": "e"}, VendorDatadog, tracing.Settings{}, Identity{"b", "e", ""}},
		{"dd tags", map[string]string{"DD_TAGS": "env:prod, version:7 team:x"}, VendorDatadog, tracing.Settings{Service: "code"}, Identity{"code", "prod", "7"}},
		{"jaeger own first", map[string]string{"JAEGER_SERVICE_NAME": "j", "DD_SERVICE": "b"}, VendorJaeger, tracing.Settings{}, Identity{"j", "", ""}},
		{"default only when nothing names it", map[string]string{"DD_SERVICE": "b"}, VendorOTel, tracing.Settings{DefaultService: "notes"}, Identity{"b", "", ""}},
		{"default", map[string]string{}, VendorOTel, tracing.Settings{DefaultService: "notes"}, Identity{"notes", "", ""}},
		{"code overrides", map[string]string{"OTEL_SERVICE_NAME": "a", "DD_ENV": "e"}, VendorOTel, tracing.Settings{Service: "s", Environment: "x", Version: "v"}, Identity{"s", "x", "v"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withEnv(t, c.env)
			if got := ResolveIdentity(c.vendor, c.set); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
	withEnv(t, map[string]string{})
	if got := ResolveIdentity(VendorOTel, tracing.Settings{}); got.Service == "" {
		t.Error("no default service name")
	}
}

func TestParseResourceAttributes(t *testing.T) {
	m, err := ParseResourceAttributes("a=1, b = two%2Cthree ,bad,=x,c=%zz")
	if m["a"] != "1" || m["b"] != "two,three" || len(m) != 2 {
		t.Errorf("parsed %v", m)
	}
	if err == nil || !strings.Contains(err.Error(), "bad") || !strings.Contains(err.Error(), "%zz") {
		t.Errorf("error %v should name the malformed entries", err)
	}
}

func TestBoolAndFloat(t *testing.T) {
	withEnv(t, map[string]string{"B": "yes", "F": "1.5", "G": "0.25"})
	if _, err := EnvBool("B", false); err == nil || !strings.Contains(err.Error(), "B=") {
		t.Errorf("EnvBool(yes): %v", err)
	}
	if v, err := EnvBool("UNSET", true); !v || err != nil {
		t.Error("unset bool")
	}
	if _, err := EnvFloat("F", 1, 0, 1); err == nil || !strings.Contains(err.Error(), "between 0 and 1") {
		t.Errorf("Float out of range: %v", err)
	}
	if v, err := EnvFloat("G", 1, 0, 1); v != 0.25 || err != nil {
		t.Errorf("Float: %v %v", v, err)
	}
}
