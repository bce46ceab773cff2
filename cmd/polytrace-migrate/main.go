// Command polytrace-migrate rewrites a Go program's OpenTracing and
// jaeger-client-go call sites to polytrace's tracing facade. See doc.go.
package main

import (
	"os"

	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/polytrace/polytrace/cmd/polytrace-migrate/migrate"
)

func main() {
	args, summary := preprocess(os.Args[1:])
	if summary {
		os.Exit(runSummary(args))
	}
	os.Args = append(os.Args[:1], args...)
	singlechecker.Main(migrate.Analyzer)
}
