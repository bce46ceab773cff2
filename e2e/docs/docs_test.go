// Package docs_test builds every Go code block of README.md and docs/*.md,
// so that what a user copies from the documentation compiles.
//
// A block that starts with a package clause is a whole file and is built as
// it stands. Any other block is a fragment, which the check wraps: leading
// import declarations stay imports; declarations (func, type, var, const)
// go at file level; statements go into a function body. Packages the
// fragment uses but does not import are imported from the table below, by
// the name the documentation uses for them; a few names the fragments take
// as given (ctx, r, w, logger, …) are declared at package level, so that a
// fragment may use them or declare its own. Only the compiler's complaints
// that a fragment cannot help (a variable declared and not used, an import
// not used) are forgiven: every other error fails the test, naming the file
// and line of the block.
//
// A block can opt out with an HTML comment on the line before it:
// <!-- doccheck: skip REASON -->; the reason is printed.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	// What the documentation's programs import, so that this module
	// requires it and the blocks build here.
	_ "github.com/opentracing-contrib/go-stdlib/nethttp"
	_ "github.com/uber/jaeger-client-go/log"
	_ "github.com/uber/jaeger-lib/metrics"
	_ "github.com/uber/jaeger-lib/metrics/prometheus"
	_ "modernc.org/sqlite"

	_ "github.com/polytrace/polytrace/tracing/all"
	_ "github.com/polytrace/polytrace/tracing/otshim"
	_ "github.com/polytrace/polytrace/tracing/traceprom"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "go.opentelemetry.io/otel/sdk/metric"
)

// imports maps the package names the documentation uses to import paths.
var imports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "http": "net/http", "io": "io", "log": "log",
	"os": "os", "signal": "os/signal", "slog": "log/slog", "sql": "database/sql", "driver": "database/sql/driver",
	"strings": "strings", "sync": "sync", "syscall": "syscall", "time": "time", "httptest": "net/http/httptest",
	"expvar": "expvar", "json": "encoding/json", "strconv": "strconv",

	"tracing":       "github.com/polytrace/polytrace/tracing",
	"backendkit":    "github.com/polytrace/polytrace/tracing/backendkit",
	"console":       "github.com/polytrace/polytrace/tracing/console",
	"tracelog":      "github.com/polytrace/polytrace/tracing/tracelog",
	"tracingtest":   "github.com/polytrace/polytrace/tracing/tracingtest",
	"otelbackend":   "github.com/polytrace/polytrace/tracing/otelbackend",
	"ddbackend":     "github.com/polytrace/polytrace/tracing/ddbackend",
	"jaegerbackend": "github.com/polytrace/polytrace/tracing/jaegerbackend",
	"otshim":        "github.com/polytrace/polytrace/tracing/otshim",
	"tracehttp":     "github.com/polytrace/polytrace/middleware/tracehttp",
	"tracesql":      "github.com/polytrace/polytrace/middleware/tracesql",
	"tracechi":      "github.com/polytrace/polytrace/middleware/tracechi",
	"tracegin":      "github.com/polytrace/polytrace/middleware/tracegin",
	"traceecho":     "github.com/polytrace/polytrace/middleware/traceecho",
	"httpkit":       "github.com/polytrace/polytrace/middleware/httpkit",

	"chi":         "github.com/go-chi/chi/v5",
	"gin":         "github.com/gin-gonic/gin",
	"echo":        "github.com/labstack/echo/v4",
	"sqlite":      "modernc.org/sqlite",
	"opentracing": "github.com/opentracing/opentracing-go",
	"ext":         "github.com/opentracing/opentracing-go/ext",
	"otlog":       "github.com/opentracing/opentracing-go/log",
	"jaeger":      "github.com/uber/jaeger-client-go",
	"jaegercfg":   "github.com/uber/jaeger-client-go/config",
	"jaegerlog":   "github.com/uber/jaeger-client-go/log",
	"metrics":     "github.com/uber/jaeger-lib/metrics",
	"prometheus":  "github.com/uber/jaeger-lib/metrics/prometheus",
	"nethttp":     "github.com/opentracing-contrib/go-stdlib/nethttp",
	"otel":        "go.opentelemetry.io/otel",
	"attribute":   "go.opentelemetry.io/otel/attribute",
	"sdktrace":    "go.opentelemetry.io/otel/sdk/trace",
	"ddtracer":    "github.com/DataDog/dd-trace-go/v2/ddtrace/tracer",
}

// given are the names fragments may use without declaring them.
var given = map[string]string{
	"ctx":       "context.Context = context.Background()",
	"r":         "*http.Request",
	"w":         "http.ResponseWriter",
	"logger":    "*slog.Logger = slog.Default()",
	"mux":       "*http.ServeMux = http.NewServeMux()",
	"handler":   "http.Handler = http.NotFoundHandler()",
	"connector": "driver.Connector",
	"dsn":       "string",
	"tracer":    "*tracing.Tracer",
	"span":      "tracing.Span",
	"err":       "error",
	"id":        "string",
}

type block struct {
	file string // relative to the repository root
	line int    // of the opening fence
	src  string
	skip string
}

var skipRE = regexp.MustCompile(`<!--\s*doccheck:\s*skip\s+(.*?)\s*-->`)

func blocks(t *testing.T, root, rel string) []block {
	t.Helper()
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	var prev string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && (trimmed == "```go" || strings.HasPrefix(trimmed, "```go ")):
			cur = &block{file: rel, line: n}
			if m := skipRE.FindStringSubmatch(prev); m != nil {
				cur.skip = m[1]
			}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.src += line + "\n"
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Errorf("%s:%d: unterminated code block", rel, cur.line)
	}
	return out
}

// program turns a block into a compilable main package.
func program(b block) (string, error) {
	src := dedent(b.src)
	if strings.HasPrefix(strings.TrimSpace(stripComments(src)), "package ") {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.ParseComments)
		if err != nil {
			return "", err
		}
		if f.Name.Name != "main" {
			return src, nil // a library file; built as it is
		}
		return src, nil
	}
	// Leading imports.
	var imps []string
	rest := src
	for {
		trimmed := strings.TrimLeft(rest, " \t\n")
		if !strings.HasPrefix(trimmed, "import") {
			break
		}
		if strings.HasPrefix(trimmed, "import (") {
			end := strings.Index(trimmed, ")")
			if end < 0 {
				return "", fmt.Errorf("unterminated import block")
			}
			imps = append(imps, trimmed[:end+1])
			rest = trimmed[end+1:]
			continue
		}
		nl := strings.IndexByte(trimmed, '\n')
		if nl < 0 {
			nl = len(trimmed)
		}
		imps = append(imps, trimmed[:nl])
		rest = trimmed[nl:]
	}
	head := "package main\n\n" + strings.Join(imps, "\n") + "\n"
	// File level if it parses as declarations, else a function body.
	body := rest
	if _, err := parser.ParseFile(token.NewFileSet(), "x.go", head+body, 0); err != nil {
		body = "func _() {\n" + rest + "\n}\n"
		if _, err := parser.ParseFile(token.NewFileSet(), "x.go", head+body, 0); err != nil {
			return "", fmt.Errorf("neither declarations nor statements: %v", err)
		}
	}
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", head+body, 0)
	if err != nil {
		return "", err
	}
	imported := map[string]bool{}
	for _, is := range f.Imports {
		p := strings.Trim(is.Path.Value, `"`)
		name := p[strings.LastIndex(p, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		} else if q, ok := reverseImport(p); ok {
			name = q
		}
		imported[name] = true
	}
	declared := map[string]bool{}
	hasMain := false
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				declared[d.Name.Name] = true
				if d.Name.Name == "main" {
					hasMain = true
				}
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						declared[n.Name] = true
					}
				case *ast.TypeSpec:
					declared[s.Name.Name] = true
				}
			}
		}
	}
	// Packages used, and given names used.
	need := map[string]bool{}
	var givens []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && !imported[id.Name] && !declared[id.Name] {
				if _, known := imports[id.Name]; known {
					need[id.Name] = true
				}
			}
		case *ast.Ident:
			if _, ok := given[n.Name]; ok && !declared[n.Name] && !slices.Contains(givens, n.Name) {
				givens = append(givens, n.Name)
			}
		}
		return true
	})
	var extra strings.Builder
	for _, g := range givens {
		fmt.Fprintf(&extra, "var %s %s\n", g, given[g])
		for pkg := range imports {
			if strings.Contains(given[g], pkg+".") && !imported[pkg] {
				need[pkg] = true
			}
		}
	}
	var names []string
	for n := range need {
		names = append(names, n)
	}
	sort.Strings(names)
	var imp strings.Builder
	for _, n := range names {
		p := imports[n]
		if base := p[strings.LastIndex(p, "/")+1:]; base == n {
			fmt.Fprintf(&imp, "import %q\n", p)
		} else {
			fmt.Fprintf(&imp, "import %s %q\n", n, p)
		}
	}
	out := head + imp.String() + extra.String()
	if len(givens) > 0 {
		out += "var _ = []any{" + strings.Join(givens, ", ") + "}\n"
	}
	out += body
	if !hasMain {
		out += "\nfunc main() {}\n"
	}
	return out, nil
}

func reverseImport(path string) (string, bool) {
	for n, p := range imports {
		if p == path {
			return n, true
		}
	}
	return "", false
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	if indent <= 0 {
		return s
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "//") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// forgiven are the compiler's complaints a fragment cannot help.
var forgiven = regexp.MustCompile(`declared and not used|imported and not used`)

func TestDocsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every documentation block with the go command; skipped in -short mode")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(wd)) // e2e/docs -> repository root
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Skipf("not run from a checkout of the repository (%v)", err)
	}
	files := []string{"README.md"}
	mds, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, m := range mds {
		rel, _ := filepath.Rel(root, m)
		files = append(files, rel)
	}
	dir, err := os.MkdirTemp(wd, "_snippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	where := map[string]block{}
	n := 0
	for _, f := range files {
		for _, b := range blocks(t, root, f) {
			if b.skip != "" {
				t.Logf("%s:%d: skipped: %s", b.file, b.line, b.skip)
				continue
			}
			src, err := program(b)
			if err != nil {
				t.Errorf("%s:%d: %v", b.file, b.line, err)
				continue
			}
			n++
			name := fmt.Sprintf("b%03d", n)
			if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name, "main.go"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			where[name] = b
		}
	}
	if n == 0 {
		t.Fatal("no Go blocks found in the documentation")
	}
	args := []string{"build", "-gcflags=-e"}
	for name := range where {
		args = append(args, "./"+filepath.Base(dir)+"/"+name)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = wd
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Logf("%d Go blocks of %d files build", n, len(files))
		return
	}
	// Report each error at its block; forgive what fragments cannot help.
	failed := false
	lineRE := regexp.MustCompile(`(b\d{3})/main\.go:(\d+):\d+: (.*)`)
	for _, l := range bytes.Split(out, []byte("\n")) {
		m := lineRE.FindSubmatch(l)
		if m == nil {
			continue
		}
		if forgiven.Match(m[3]) {
			continue
		}
		b := where[string(m[1])]
		src, _ := os.ReadFile(filepath.Join(dir, string(m[1]), "main.go"))
		t.Errorf("%s:%d (block starting there; line %s of the built file): %s\n--- built as ---\n%s", b.file, b.line, m[2], m[3], src)
		failed = true
	}
	if !failed && !forgivenOnly(out, lineRE) {
		t.Errorf("go build failed:\n%s", out)
	}
}

// forgivenOnly reports whether every error in out is a forgiven one.
func forgivenOnly(out []byte, lineRE *regexp.Regexp) bool {
	for _, l := range bytes.Split(out, []byte("\n")) {
		s := strings.TrimSpace(string(l))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if m := lineRE.FindSubmatch(l); m != nil && forgiven.Match(m[3]) {
			continue
		}
		return false
	}
	return true
}
