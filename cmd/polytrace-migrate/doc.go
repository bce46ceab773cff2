// Command polytrace-migrate rewrites a Go program's OpenTracing and
// jaeger-client-go call sites to polytrace's tracing facade
// (github.com/polytrace/polytrace/tracing), so that a service moved to
// polytrace with the otshim shim loses its OpenTracing code too.
//
// Usage:
//
//	polytrace-migrate ./...            report each call site: rewritten or left on otshim, and why
//	polytrace-migrate -fix ./...       apply the rewrites
//	polytrace-migrate -diff ./...      show them as a diff (same as -fix -diff)
//	polytrace-migrate -summary ./...   count the call sites per API, then list those left
//
// It is a golang.org/x/tools/go/analysis analyzer (package migrate) run
// by the singlechecker driver, so the other flags of such tools apply
// (-json, -test, -c). It matches call sites by type, never by name:
// whatever the import alias, a call is rewritten only when go/types says
// it is OpenTracing's, jaeger's or opentracing-contrib's. What it cannot
// rewrite safely keeps compiling on OpenTracing, which otshim runs over
// the facade, and is marked with a "// polytrace-migrate: why" comment.
// Running -fix twice changes nothing.
//
// Run it on every package of a module at once: a package's exported
// tracer fields and parameters change type, and the packages that use
// them are rewritten with them. Then run go mod tidy, which adds the
// polytrace modules the rewritten code imports. docs/polytrace-migrate.md
// describes what it rewrites, what it leaves and how to read its report.
package main
