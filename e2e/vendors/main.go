package vendors

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/polytrace/polytrace/middleware/httpkit/httpkittest"
	"github.com/polytrace/polytrace/tracing/ddbackend/ddtest"
)

// Main is the TestMain of every package whose tests run on the vendor
// backends. It runs the test binary again in a hermetic environment with
// dd-trace-go's side services off (ddtest.Quiet), then checks for leaked
// goroutines.
func Main(m *testing.M) {
	ddtest.Quiet()
	goleak.VerifyTestMain(m, LeakOptions()...)
}

// LeakOptions are the goroutines goleak must ignore in packages that start
// the Datadog backend.
func LeakOptions() []goleak.Option { return ddtest.IgnoreLeaks() }

// Vendors returns the vendor backends, each with its mapping: otel,
// datadog and jaeger, each read back through its wire decoder.
func Vendors() []httpkittest.Backend {
	return []httpkittest.Backend{
		{Name: "otel", New: func(t *testing.T) httpkittest.Harness { return OTelHarness(t) }, Map: httpkittest.OTel},
		{Name: "datadog", New: func(t *testing.T) httpkittest.Harness { return DatadogHarness(t) }, Map: httpkittest.Datadog},
		{Name: "jaeger", New: func(t *testing.T) httpkittest.Harness { return JaegerHarness(t) }, Map: httpkittest.Jaeger},
	}
}

// Importing this package appends the vendor backends to
// httpkittest.Backends, so that every suite of the test binary runs on
// the in-process backends and the vendors' alike.
func init() { httpkittest.Backends = append(httpkittest.Backends, Vendors()...) }
