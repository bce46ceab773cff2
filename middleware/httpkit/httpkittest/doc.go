// Package httpkittest is the test suite every HTTP adapter passes, for
// polytrace's own adapters and for adapters written elsewhere on httpkit:
// the server suite (RunServerSuite: names, kinds, status rules, errors,
// panics, streaming, hijacking, redaction), the propagation suite
// (RunPropagation) with the W3C Trace Context Level 2 and Baggage cases
// and hostile Jaeger, Datadog and B3 ones, and the table of backends the
// suites run on (Backends), each with its semantic mapping written out as
// expectations (Mapping). An adapter's test supplies an Adapter: how to
// build a traced and a bare server from a list of routes.
//
// Only tests import it. The backends it knows are the in-process ones
// (the tracingtest recorder and the console backend read back from its
// JSON); the e2e module appends the vendor backends, so the same suites
// run there against what OpenTelemetry, Datadog and Jaeger really send.
package httpkittest
