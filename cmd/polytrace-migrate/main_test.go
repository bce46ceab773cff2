package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/jaegerbackend/jaegertest"
)

var (
	toolOnce sync.Once
	toolPath string
	toolErr  error
	toolDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
	os.Exit(code)
}

// needGo skips a test that builds programs when the go command is not
// available.
func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("skipping: the go command is not available (%v)", err)
	}
}

// tool builds polytrace-migrate once.
func tool(t *testing.T) string {
	t.Helper()
	needGo(t)
	toolOnce.Do(func() {
		toolDir, toolErr = os.MkdirTemp("", "polytrace-migrate")
		if toolErr != nil {
			return
		}
		toolPath = filepath.Join(toolDir, "polytrace-migrate")
		out, err := exec.Command("go", "build", "-o", toolPath, ".").CombinedOutput()
		if err != nil {
			toolErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if toolErr != nil {
		t.Fatal(toolErr)
	}
	return toolPath
}

// copyModule copies a test module to a temporary directory and points its
// replace directives at this repository.
func copyModule(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(path, ".golden") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	run(t, dst, nil, "go", "mod", "edit",
		"-replace", "github.com/polytrace/polytrace="+root,
		"-replace", "github.com/polytrace/polytrace/tracing/jaegerbackend="+filepath.Join(root, "tracing", "jaegerbackend"),
		"-replace", "github.com/polytrace/polytrace/tracing/otshim="+filepath.Join(root, "tracing", "otshim"),
		"-replace", "github.com/polytrace/polytrace/middleware/tracegrpc="+filepath.Join(root, "middleware", "tracegrpc"))
	return dst
}

// run runs a command in dir and returns its standard output; it fails the
// test if the command fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// snapshot returns the contents of a module's Go files.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFixBuildsVetsAndIsIdempotent applies -fix to the analyzer's test
// module: the result builds and vets, equals the golden files, and a
// second -fix changes nothing.
func TestFixBuildsVetsAndIsIdempotent(t *testing.T) {
	bin := tool(t)
	src := filepath.Join("migrate", "testdata", "mod")
	dir := copyModule(t, src)
	run(t, dir, nil, bin, "-fix", "./...")
	run(t, dir, nil, "go", "build", "./...")
	run(t, dir, nil, "go", "vet", "./...")
	once := snapshot(t, dir)
	for rel, text := range once {
		golden, err := os.ReadFile(filepath.Join(src, rel+".golden"))
		if err != nil {
			orig, _ := os.ReadFile(filepath.Join(src, rel))
			if string(orig) != text {
				t.Errorf("%s changed but has no golden file", rel)
			}
			continue
		}
		if string(golden) != text {
			t.Errorf("%s: -fix differs from %s.golden", rel, rel)
		}
	}
	run(t, dir, nil, bin, "-fix", "./...")
	for rel, text := range snapshot(t, dir) {
		if once[rel] != text {
			t.Errorf("a second -fix changed %s", rel)
		}
	}
}

// TestSummary checks the -summary report.
func TestSummary(t *testing.T) {
	bin := tool(t)
	dir := copyModule(t, filepath.Join("migrate", "testdata", "mod"))
	out := run(t, dir, nil, bin, "-summary", "./...")
	for _, want := range []string{"API", "span-start", "tags", "logs", "baggage", "propagation", "nethttp", "otgrpc", "jaeger-config", "total", "left on otshim:"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + out)
	}
}

func TestPreprocess(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		out     string
		summary bool
	}{
		{[]string{"./..."}, "./...", false},
		{[]string{"-diff", "./..."}, "-fix -diff ./...", false},
		{[]string{"-fix", "-diff", "./..."}, "-fix -diff ./...", false},
		{[]string{"-summary", "./..."}, "./...", true},
	} {
		out, summary := preprocess(tc.in)
		if strings.Join(out, " ") != tc.out || summary != tc.summary {
			t.Errorf("preprocess(%q) = %q, %v; want %q, %v", tc.in, out, summary, tc.out, tc.summary)
		}
	}
}

// node is a span of a trace, as compared before and after the rewrite.
type node struct {
	service, name string
	kind          tracing.SpanKind
	failed        bool
	user          string // the "user" tag, which the baggage carries
	parent        *node
	parentID      tracing.SpanID
	traceID       tracing.TraceID
}

func (n *node) path() string {
	s := n.service + "/" + n.name
	if n.parent != nil {
		s = n.parent.path() + " > " + s
	}
	return s
}

func (n *node) String() string {
	return fmt.Sprintf("%s [kind=%s error=%t user=%q]", n.path(), n.kind, n.failed, n.user)
}

// tree decodes the batches a service sent into its span tree, one line a
// span.
func tree(t *testing.T, batches []*j.Batch) ([]string, int) {
	t.Helper()
	byID := map[tracing.SpanID]*node{}
	var all []*node
	traces := map[tracing.TraceID]bool{}
	for _, b := range batches {
		for _, s := range b.Spans {
			d := jaegertest.SpanData(s)
			n := &node{service: b.Process.ServiceName, name: d.Name, kind: d.Kind, failed: d.Status == tracing.StatusError,
				parentID: d.ParentID, traceID: d.TraceID}
			if v, ok := d.Attr("user"); ok {
				n.user = v.String()
			}
			byID[d.SpanID] = n
			all = append(all, n)
			traces[d.TraceID] = true
		}
	}
	for _, n := range all {
		if n.parentID.IsValid() {
			n.parent = byID[n.parentID]
			if n.parent == nil {
				t.Errorf("span %s/%s: parent %s was not received", n.service, n.name, n.parentID)
			}
		}
	}
	var lines []string
	for _, n := range all {
		lines = append(lines, n.String())
	}
	sort.Strings(lines)
	return lines, len(traces)
}

// runShop runs the shop and returns what it sent to the agent.
func runShop(t *testing.T, agent *jaegertest.Agent, bin string, want int) []*j.Batch {
	t.Helper()
	before := len(agent.Payloads())
	host, port := agent.HostPort()
	// The same environment before and after the rewrite: jaeger's own
	// variables, no TRACING_BACKEND (the rewritten service defaults to
	// the jaeger backend, as it reported to Jaeger before).
	env := []string{"JAEGER_AGENT_HOST=" + host, "JAEGER_AGENT_PORT=" + port,
		"JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1", "TRACING_BACKEND=", "JAEGER_SERVICE_NAME="}
	out := run(t, filepath.Dir(bin), env, bin)
	if !strings.Contains(out, "checkout: 500") {
		t.Errorf("the shop said %q, want checkout: 500", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var batches []*j.Batch
		n := 0
		for _, p := range agent.Payloads()[before:] {
			b, err := jaegertest.DecodeEmitBatch(p)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, b)
			n += len(b.Spans)
		}
		if n >= want || time.Now().After(deadline) {
			if n < want {
				t.Fatalf("received %d spans, want %d", n, want)
			}
			return batches
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEndToEnd runs a small OpenTracing service (three services in one
// process, one jaeger-client-go tracer each, the opentracing-contrib
// net/http middleware, hand-written Inject and Extract, baggage, errors)
// before and after polytrace-migrate -fix, both times against a fake
// jaeger agent, and compares the span trees: same services, names,
// parents, kinds, error marks and baggage.
func TestEndToEnd(t *testing.T) {
	bin := tool(t)
	start := time.Now()
	agent := jaegertest.StartAgent(t)
	dir := copyModule(t, filepath.Join("testdata", "service"))

	beforeBin := filepath.Join(dir, "shop-before")
	run(t, dir, nil, "go", "build", "-o", beforeBin, ".")
	const spans = 9
	beforeTree, beforeTraces := tree(t, runShop(t, agent, beforeBin, spans))

	report, err := summarize([]byte(run(t, dir, nil, bin, "-json", "./...")))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	report.print(&sb)
	t.Logf("polytrace-migrate's report on the shop:\n%s", sb.String())
	if report.left["nethttp"]+report.left["jaeger-config"]+report.left["propagation"]+report.left["baggage"] > 0 {
		t.Errorf("the shop's middleware, configuration, propagation or baggage was left on otshim:\n%s", sb.String())
	}
	run(t, dir, nil, bin, "-fix", "./...")
	afterBin := filepath.Join(dir, "shop-after")
	run(t, dir, nil, "go", "build", "-o", afterBin, ".")
	run(t, dir, nil, "go", "vet", "./...")
	fixed := snapshot(t, dir)
	if strings.Contains(fixed["main.go"], "jaeger-client-go/config") || strings.Contains(fixed["main.go"], "go-stdlib/nethttp") {
		t.Errorf("the rewrite kept jaeger's configuration or nethttp:\n%s", fixed["main.go"])
	}
	afterTree, afterTraces := tree(t, runShop(t, agent, afterBin, spans))

	if beforeTraces != 1 || afterTraces != 1 {
		t.Errorf("traces: %d before, %d after; want one each", beforeTraces, afterTraces)
	}
	if strings.Join(beforeTree, "\n") != strings.Join(afterTree, "\n") {
		t.Errorf("span trees differ\nbefore:\n%s\nafter:\n%s", strings.Join(beforeTree, "\n"), strings.Join(afterTree, "\n"))
	} else {
		t.Logf("span tree, before and after:\n%s", strings.Join(afterTree, "\n"))
	}
	var baggage bool
	for _, l := range afterTree {
		if strings.Contains(l, "inventory/reserve-stock") && strings.Contains(l, `user="alice"`) && strings.Contains(l, "error=true") {
			baggage = true
		}
	}
	if !baggage {
		t.Errorf("inventory's span lacks the baggage or the error:\n%s", strings.Join(afterTree, "\n"))
	}
	t.Logf("end-to-end test took %s", time.Since(start).Round(time.Millisecond))
}
