package migrate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const doc = `rewrite OpenTracing and jaeger-client-go call sites to polytrace's tracing facade

polytrace-migrate finds, by type, the call sites of
github.com/opentracing/opentracing-go (with ext and log),
github.com/uber/jaeger-client-go (config, span contexts) and the
opentracing-contrib net/http middleware, and rewrites them to
github.com/polytrace/polytrace/tracing and middleware/tracehttp. Each site
is reported as "rewrite" or "left on otshim"; -fix applies the rewrites
(-fix -diff shows them). What cannot be rewritten safely keeps compiling
on OpenTracing, which otshim runs over the facade, and is marked with a
"// polytrace-migrate:" comment saying why. Run it on every package of a
module at once (./...): a package's exported API can change.`

// Analyzer rewrites OpenTracing and jaeger-client-go call sites to the
// facade. Its diagnostics are the report (one per call site: rewritten or
// left on otshim, with the reason); the suggested fix of the first
// diagnostic of a package holds every edit of that package, so that
// edits that depend on each other (a field's type and its uses) are
// applied together or not at all.
var Analyzer = &analysis.Analyzer{
	Name:      "polytracemigrate",
	Doc:       doc,
	URL:       "https://github.com/polytrace/polytrace/blob/main/docs/polytrace-migrate.md",
	Run:       run,
	FactTypes: []analysis.Fact{(*migratedFact)(nil), (*usesOTFact)(nil)},
}

// migratedFact marks an exported variable, field, parameter or result of
// type opentracing.Tracer that the rewrite turns into a *tracing.Tracer,
// so that importing packages pass and read *tracing.Tracer there.
type migratedFact struct{}

func (*migratedFact) AFact()         {}
func (*migratedFact) String() string { return "becomes *tracing.Tracer" }

// usesOTFact says whether a package, after the rewrite, still uses
// OpenTracing itself or through a package it imports: then a program
// that sets the facade as its tracer keeps otshim as OpenTracing's global
// tracer.
type usesOTFact struct{ Uses bool }

func (*usesOTFact) AFact() {}
func (f *usesOTFact) String() string {
	if f.Uses {
		return "uses OpenTracing"
	}
	return "no OpenTracing"
}

func run(pass *analysis.Pass) (any, error) {
	if strings.HasSuffix(pass.Pkg.Path(), ".test") {
		return nil, nil // a generated test main
	}
	direct := false
	for _, imp := range pass.Pkg.Imports() {
		p := imp.Path()
		if legacyPath(p) || p == pathJaeger || strings.HasPrefix(p, pathJaeger+"/") {
			direct = true
		}
	}
	if !direct || !isLocal(pass) {
		uses := false
		for _, imp := range pass.Pkg.Imports() {
			if legacyPath(imp.Path()) || depUses(pass, imp) {
				uses = true
				break
			}
		}
		pass.ExportPackageFact(&usesOTFact{Uses: uses})
		return nil, nil
	}
	m := &migration{pass: pass, fixed: map[types.Object]bool{}}
	m.run()
	return nil, nil
}

func depUses(pass *analysis.Pass, pkg *types.Package) bool {
	// jaeger-client-go and polytrace's own packages use OpenTracing
	// internally, not through its global tracer.
	for _, prefix := range []string{pathJaeger, "github.com/uber/jaeger-lib", "github.com/polytrace/polytrace/"} {
		if pkg.Path() == prefix || strings.HasPrefix(pkg.Path(), prefix+"/") || strings.HasPrefix(pkg.Path(), prefix) && strings.HasSuffix(prefix, "/") {
			return false
		}
	}
	var f usesOTFact
	return pass.ImportPackageFact(pkg, &f) && f.Uses
}

// isLocal reports whether the package is the user's source (the main
// module or a replaced one) rather than a dependency from the module
// cache or the standard library.
func isLocal(pass *analysis.Pass) bool {
	if pass.Module != nil {
		return pass.Module.Version == ""
	}
	path := pass.Pkg.Path()
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

// migration plans the rewrite of one package: first its non-test files,
// then its test files with the decisions of the first layer fixed (a
// package and its test variant then agree on every edit of the non-test
// files).
type migration struct {
	pass  *analysis.Pass
	fixed map[types.Object]bool
	files map[*token.File]*fileRW
}

func (m *migration) run() {
	pass := m.pass
	m.files = map[*token.File]*fileRW{}
	var base, tests []*fileRW
	for _, f := range pass.Files {
		tf := pass.Fset.File(f.FileStart)
		if tf == nil || strings.HasSuffix(tf.Name(), ".s") {
			continue
		}
		src, err := pass.ReadFile(tf.Name())
		if err != nil {
			src, err = os.ReadFile(tf.Name())
			if err != nil {
				continue
			}
		}
		if ast.IsGenerated(f) {
			continue
		}
		fr := newFileRW(pass, f, src)
		m.files[tf] = fr
		if fr.test {
			tests = append(tests, fr)
		} else {
			base = append(base, fr)
		}
	}
	layers := [][]*fileRW{base, tests}
	if len(base) == 0 || len(tests) == 0 {
		layers = [][]*fileRW{append(base, tests...)}
	}
	rw := &rewriter{rules: map[ast.Node]func() string{}, prefix: map[ast.Node]string{}, files: m.files, fset: pass.Fset}
	var sites []site
	leftBefore := false
	for _, layer := range layers {
		if len(layer) == 0 {
			continue
		}
		p := newPlanner(m, layer)
		p.plan()
		for o, k := range p.cand {
			_, bad := p.vetoed[o]
			m.fixed[o] = !bad
			if !bad && k == kTracer && exportedAPI(pass.Pkg, o) && !p.layerIsTest() {
				pass.ExportObjectFact(o, &migratedFact{})
			}
		}
		for n, fn := range p.rules {
			rw.rules[n] = fn
		}
		for n, s := range p.prefix {
			rw.prefix[n] = s
		}
		// The shim line depends on what is left once the layer is
		// rewritten: render without it, look, and decide.
		left := leftBefore || m.leftover(rw, layer)
		if left && len(p.shimLines) > 0 {
			p.needShim = true
		}
		leftBefore = left
		if !p.layerIsTest() {
			pass.ExportPackageFact(&usesOTFact{Uses: leftBefore})
		}
		sites = append(sites, p.sites...)
	}
	m.report(rw, sites)
}

// leftover reports whether the layer's files, rewritten, still use an
// OpenTracing-era package, directly or through a package they import.
func (m *migration) leftover(rw *rewriter, layer []*fileRW) bool {
	for _, fr := range layer {
		text := applyEdits(fr, rw.edits(fr))
		// rendering registered imports: forget them, emission adds them again
		fr.added, fr.order, fr.tail = map[string]string{}, nil, nil
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", text, parser.SkipObjectResolution)
		if err != nil {
			return true
		}
		used := map[string]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					used[id.Name] = true
				}
			}
			return true
		})
		for _, spec := range f.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			name := ""
			if spec.Name != nil {
				name = spec.Name.Name
			} else if n, ok := fr.imports[path]; ok {
				name = n
			} else {
				name = path[strings.LastIndex(path, "/")+1:]
			}
			if name != "_" && !used[name] {
				continue
			}
			if legacyPath(path) {
				return true
			}
			for _, imp := range m.pass.Pkg.Imports() {
				if imp.Path() == path && depUses(m.pass, imp) {
					return true
				}
			}
		}
	}
	return false
}

// applyEdits applies edits to a file's source.
func applyEdits(fr *fileRW, edits []analysis.TextEdit) []byte {
	var b []byte
	at := 0
	for _, e := range edits {
		s, t := fr.off(e.Pos), fr.off(e.End)
		if s < at {
			continue
		}
		b = append(b, fr.src[at:s]...)
		b = append(b, e.NewText...)
		at = t
	}
	return append(b, fr.src[at:]...)
}

// site is one line of the report.
type site struct {
	pos, end token.Pos
	cat      string
	msg      string
}

func (m *migration) report(rw *rewriter, sites []site) {
	pass := m.pass
	var edits []analysis.TextEdit
	var names []*token.File
	for tf := range m.files {
		names = append(names, tf)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Name() < names[j].Name() })
	for _, tf := range names {
		edits = append(edits, rw.edits(m.files[tf])...)
	}
	sort.SliceStable(sites, func(i, j int) bool { return sites[i].pos < sites[j].pos })
	seen := map[site]bool{}
	first := true
	for _, s := range sites {
		if seen[s] {
			continue
		}
		seen[s] = true
		d := analysis.Diagnostic{Pos: s.pos, End: s.end, Category: s.cat, Message: s.msg}
		if first && len(edits) > 0 {
			d.SuggestedFixes = []analysis.SuggestedFix{{Message: "migrate the package to polytrace", TextEdits: edits}}
			first = false
		}
		pass.Report(d)
	}
	if first && len(edits) > 0 {
		f := pass.Files[0]
		pass.Report(analysis.Diagnostic{Pos: f.Name.Pos(), Category: "package", Message: "rewrite package: polytrace-migrate edits",
			SuggestedFixes: []analysis.SuggestedFix{{Message: "migrate the package to polytrace", TextEdits: edits}}})
	}
}

// exportedAPI reports whether another package can reach o: an exported
// package-level variable, an exported field of an exported type, or a
// parameter or result of an exported function or method.
func exportedAPI(pkg *types.Package, o types.Object) bool {
	if pkg.Name() == "main" {
		return false
	}
	v, ok := o.(*types.Var)
	if !ok {
		return false
	}
	if v.IsField() {
		return v.Exported() && fieldOwnerExported(pkg, v)
	}
	if v.Parent() == pkg.Scope() {
		return v.Exported()
	}
	return paramOwnerExported(pkg, v)
}

func fieldOwnerExported(pkg *types.Package, f *types.Var) bool {
	for _, name := range pkg.Scope().Names() {
		tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
		if !ok || !tn.Exported() {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for i := 0; i < st.NumFields(); i++ {
				if st.Field(i) == f {
					return true
				}
			}
		}
	}
	return false
}

func paramOwnerExported(pkg *types.Package, v *types.Var) bool {
	check := func(fn *types.Func) bool {
		sig := fn.Type().(*types.Signature)
		for _, t := range []*types.Tuple{sig.Params(), sig.Results()} {
			for i := 0; i < t.Len(); i++ {
				if t.At(i) == v {
					return true
				}
			}
		}
		return false
	}
	for _, name := range pkg.Scope().Names() {
		switch o := pkg.Scope().Lookup(name).(type) {
		case *types.Func:
			if o.Exported() && check(o) {
				return true
			}
		case *types.TypeName:
			if !o.Exported() {
				continue
			}
			if n, ok := o.Type().(*types.Named); ok {
				for i := 0; i < n.NumMethods(); i++ {
					if m := n.Method(i); m.Exported() && check(m) {
						return true
					}
				}
			}
		}
	}
	return false
}
