package vendors

import (
	"testing"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
)

// B3Backends are the OpenTelemetry backend configured by OTEL_PROPAGATORS
// for B3, single header or multiple headers.
func B3Backends() []httpkittest.Backend {
	row := func(name, prop string) httpkittest.Backend {
		return httpkittest.Backend{Name: name, Map: httpkittest.Mapping{NoRandomFlag: true, Inject: prop}, New: func(t *testing.T) httpkittest.Harness {
			t.Setenv("OTEL_PROPAGATORS", prop)
			return OTelHarness(t)
		}}
	}
	return []httpkittest.Backend{row("otel-b3", "b3"), row("otel-b3multi", "b3multi")}
}
