// Package migrate is polytrace-migrate's analyzer: it rewrites the call
// sites of OpenTracing (github.com/opentracing/opentracing-go, its ext and
// log packages), jaeger-client-go (configuration, span contexts) and the
// opentracing-contrib net/http middleware to polytrace's tracing facade
// and middleware/tracehttp, as suggested fixes.
//
// It works on types: a call is rewritten only when go/types says it is
// one of those APIs, whatever its import is called. Per package it plans
// the whole rewrite at once: every variable of an OpenTracing type (a
// span, a tracer, an extracted span context, nethttp's request tracer, a
// jaeger span context) is a candidate to take the facade's type; walking
// the code vetoes the candidates a use cannot follow, and the walk is
// repeated until no veto is added. The last walk's plan is consistent: a
// variable and every use of it are rewritten together, or all stay on
// OpenTracing (which otshim runs over the facade), marked with a
// "// polytrace-migrate:" comment. A package's non-test files are planned
// before its test files, so a package and its test variant agree on every
// edit of the non-test files.
//
// Each call site is a diagnostic, "rewrite <category>: …" or "left on
// otshim: <why>"; the first diagnostic of a package carries one suggested
// fix with every edit of the package, since the edits depend on each
// other. Two facts cross packages: an exported tracer variable, field,
// parameter or result that becomes a *tracing.Tracer, so that importers
// follow, and whether a package still uses OpenTracing after the rewrite,
// so that a program keeps otshim as OpenTracing's global tracer only while
// it needs it.
//
// The command is cmd/polytrace-migrate; docs/polytrace-migrate.md is the
// user's guide.
package migrate
