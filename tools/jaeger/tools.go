//go:build tools

// Package tools pins the Jaeger v2 all-in-one binary used by the end-to-end
// tests. It is its own Go module so that Jaeger's large dependency graph never
// leaks into github.com/polytrace/polytrace.
//
// Build with scripts/build-tools.sh, or by hand from this directory:
//
//	go build -o ../../.tools/bin/jaeger github.com/jaegertracing/jaeger/cmd/jaeger
package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
