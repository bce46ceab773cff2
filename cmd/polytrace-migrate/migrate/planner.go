package migrate

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// planner decides, for one layer of files, which variables change type
// and how each call site is rewritten. It starts by assuming that every
// variable of an OpenTracing type (a candidate) is migrated, walks the
// code and vetoes a candidate wherever a use cannot follow (a span passed
// to a function that takes an opentracing.Span, a log field it cannot
// translate, …), and walks again until nothing changes. Vetoes only ever
// add up, so this ends; in the last walk every decision is consistent,
// and the rules it planned are the rewrite.
type planner struct {
	m     *migration
	pass  *analysis.Pass
	info  *types.Info
	files []*fileRW
	cur   *fileRW

	cand    map[types.Object]kind
	decl    map[types.Object]ast.Expr   // a candidate's declared type, if spelled
	group   map[ast.Expr][]types.Object // objects declared with one type expression
	vetoed  map[types.Object]string     // candidate → why it stays on OpenTracing
	frozen  map[*types.Func]string      // functions whose signature must not change
	ifaceMs map[string]bool             // method names of interfaces in sight
	parent  map[ast.Node]ast.Node       // syntax parents
	stmtOf  map[ast.Node]ast.Stmt       // innermost statement of a node
	params  map[*types.Var]bool         // parameters and results
	results map[*types.Var]bool         // results
	at      ast.Node                    // the statement being walked
	changed bool

	// planned by one walk
	rules     map[ast.Node]func() string
	prefix    map[ast.Node]string
	sites     []site
	fn        *funcCtx
	shimLines []ast.Node
	needShim  bool

	blk       *blockPlan
	assoc     map[types.Object]string // span → name of the context carrying it
	assocObj  map[types.Object]types.Object
	assocExpr map[types.Object]ast.Expr
	assocUsed map[types.Object]bool
	assocAt   map[types.Object]token.Pos
	consumed  map[types.Object]int
	needAssoc map[types.Object]bool       // spans whose context a use needs
	kindSet   map[types.Object]kindSetter // span.kind set after the start
	kindStmt  map[ast.Stmt]types.Object
	startOf   map[types.Object]*startSite
	extBase   map[types.Object]extractBase
	fresh     map[string]bool
	handled   map[ast.Node]bool
	closers   map[types.Object]string // io.Closer from NewTracer → tracer name
	cfgVars   map[types.Object]bool   // jaeger configurations folded into Open
	nethttpTR map[*ast.CallExpr]bool  // TraceRequest calls rewritten
}

type kindSetter struct {
	name string // facade kind constant, "SpanKindClient"
	stmt ast.Stmt
}

type funcCtx struct {
	sig   *types.Signature
	lit   bool
	body  *ast.BlockStmt
	outer *funcCtx
}

func newPlanner(m *migration, files []*fileRW) *planner {
	p := &planner{
		m:       m,
		pass:    m.pass,
		info:    m.pass.TypesInfo,
		files:   files,
		cand:    map[types.Object]kind{},
		decl:    map[types.Object]ast.Expr{},
		group:   map[ast.Expr][]types.Object{},
		vetoed:  map[types.Object]string{},
		frozen:  map[*types.Func]string{},
		ifaceMs: map[string]bool{},
		parent:  map[ast.Node]ast.Node{},
		stmtOf:  map[ast.Node]ast.Stmt{},
		params:  map[*types.Var]bool{},
		results: map[*types.Var]bool{},
	}
	for _, fr := range files {
		p.index(fr.f)
	}
	p.interfaces()
	p.funcValues()
	for _, fr := range files {
		p.cur = fr
		p.candidates(fr.f)
	}
	return p
}

func (p *planner) layerIsTest() bool {
	for _, fr := range p.files {
		if !fr.test {
			return false
		}
	}
	return true
}

// index records parents and innermost statements.
func (p *planner) index(f *ast.File) {
	var stack []ast.Node
	var stmts []ast.Stmt
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if _, ok := top.(ast.Stmt); ok {
				stmts = stmts[:len(stmts)-1]
			}
			return true
		}
		if len(stack) > 0 {
			p.parent[n] = stack[len(stack)-1]
		}
		if len(stmts) > 0 {
			p.stmtOf[n] = stmts[len(stmts)-1]
		}
		stack = append(stack, n)
		if s, ok := n.(ast.Stmt); ok {
			stmts = append(stmts, s)
			p.stmtOf[n] = s
		}
		return true
	})
}

// interfaces collects the method names of the interfaces the package
// mentions or imports (and OpenTracing's): a method of that name keeps
// its signature, which an interface may require.
func (p *planner) interfaces() {
	add := func(t types.Type) {
		if it, ok := t.Underlying().(*types.Interface); ok {
			for i := 0; i < it.NumMethods(); i++ {
				p.ifaceMs[it.Method(i).Name()] = true
			}
		}
	}
	for _, tv := range p.info.Types {
		if tv.Type != nil {
			add(tv.Type)
		}
	}
	for _, imp := range p.pass.Pkg.Imports() {
		for _, name := range imp.Scope().Names() {
			if tn, ok := imp.Scope().Lookup(name).(*types.TypeName); ok && tn.Exported() {
				add(tn.Type())
			}
		}
	}
}

// funcValues freezes the functions used other than by calling them: a
// function value's type must stay what its users expect.
func (p *planner) funcValues() {
	for id, o := range p.info.Uses {
		fn, ok := o.(*types.Func)
		if !ok || fn.Pkg() != p.pass.Pkg {
			continue
		}
		var n ast.Node = id
		if sel, ok := p.parent[id].(*ast.SelectorExpr); ok && sel.Sel == id {
			n = sel
		}
		if call, ok := p.parent[n].(*ast.CallExpr); ok && call.Fun == n {
			continue
		}
		if _, known := p.parent[id]; !known {
			continue // not in this layer's files
		}
		p.frozen[fn] = "is used as a function value"
	}
}

// candidates collects the variables of this layer's files that may change
// type.
func (p *planner) candidates(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			fn, _ := p.info.Defs[n.Name].(*types.Func)
			if fn == nil {
				return true
			}
			why := p.freezeReason(n, fn)
			p.fields(n.Type.Params, why)
			p.fields(n.Type.Results, why)
			p.markResults(n.Type.Results)
		case *ast.FuncLit:
			// A literal's signature is the one its user expects.
			p.fields(n.Type.Params, "is a parameter of a function literal")
			p.fields(n.Type.Results, "is a result of a function literal")
		case *ast.StructType:
			for _, fld := range n.Fields.List {
				why := ""
				if len(fld.Names) == 0 {
					why = "is an embedded field"
				}
				p.field(fld, why)
			}
		case *ast.InterfaceType:
			return false
		case *ast.ValueSpec:
			for _, id := range n.Names {
				p.addVar(id, n.Type, "")
			}
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						p.addVar(id, nil, "")
					}
				}
			}
		}
		return true
	})
}

// markResults records the result variables of a function declaration.
func (p *planner) markResults(fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, fld := range fl.List {
		if len(fld.Names) == 0 {
			if o := p.unnamedVar(fld); o != nil {
				p.results[o] = true
			}
		}
		for _, id := range fld.Names {
			if o, ok := p.info.Defs[id].(*types.Var); ok {
				p.results[o] = true
			}
		}
	}
}

func (p *planner) freezeReason(fd *ast.FuncDecl, fn *types.Func) string {
	sig := fn.Type().(*types.Signature)
	switch {
	case fd.Body == nil:
		return "belongs to a function without a body"
	case sig.TypeParams().Len() > 0 || sig.RecvTypeParams().Len() > 0:
		return "belongs to a generic function"
	case sig.Recv() != nil && p.ifaceMs[fn.Name()]:
		return "belongs to method " + fn.Name() + ", which an interface may require"
	}
	return p.frozen[fn]
}

func (p *planner) fields(fl *ast.FieldList, why string) {
	if fl == nil {
		return
	}
	for _, fld := range fl.List {
		if len(fld.Names) == 0 {
			if o := p.unnamedVar(fld); o != nil {
				p.params[o] = true
			}
		}
		for _, id := range fld.Names {
			if o, ok := p.info.Defs[id].(*types.Var); ok {
				p.params[o] = true
			}
		}
		p.field(fld, why)
	}
}

// field adds the variables of a parameter, result or struct field; an
// unnamed one through the signature's tuple.
func (p *planner) field(fld *ast.Field, why string) {
	if len(fld.Names) == 0 {
		if o := p.unnamedVar(fld); o != nil {
			p.addObj(o, fld.Type, why)
		}
		return
	}
	for _, id := range fld.Names {
		if o, ok := p.info.Defs[id].(*types.Var); ok {
			p.addObj(o, fld.Type, why)
		}
	}
}

// unnamedVar finds the variable of an unnamed parameter or result, or of
// an embedded field.
func (p *planner) unnamedVar(fld *ast.Field) *types.Var {
	if id := embeddedName(fld.Type); id != nil {
		if v, ok := p.info.Defs[id].(*types.Var); ok {
			return v
		}
	}
	fl, _ := p.parent[fld].(*ast.FieldList)
	ft, _ := p.parent[fl].(*ast.FuncType)
	if ft == nil {
		return nil
	}
	var sig *types.Signature
	switch d := p.parent[ft].(type) {
	case *ast.FuncDecl:
		if fn, ok := p.info.Defs[d.Name].(*types.Func); ok {
			sig = fn.Type().(*types.Signature)
		}
	case *ast.FuncLit:
		sig, _ = p.info.TypeOf(d).(*types.Signature)
	}
	if sig == nil {
		return nil
	}
	tuple := sig.Params()
	if fl == ft.Results {
		tuple = sig.Results()
	}
	i := 0
	for _, f := range fl.List {
		if f == fld {
			if i < tuple.Len() {
				return tuple.At(i)
			}
			return nil
		}
		i += max(1, len(f.Names))
	}
	return nil
}

func embeddedName(e ast.Expr) *ast.Ident {
	switch x := e.(type) {
	case *ast.Ident:
		return x
	case *ast.SelectorExpr:
		return x.Sel
	case *ast.StarExpr:
		return embeddedName(x.X)
	}
	return nil
}

func (p *planner) addVar(id *ast.Ident, typ ast.Expr, why string) {
	if o, ok := p.info.Defs[id].(*types.Var); ok {
		p.addObj(o, typ, why)
	}
}

func (p *planner) addObj(o *types.Var, typ ast.Expr, why string) {
	k := kindOf(o.Type())
	if k == kNone {
		return
	}
	if _, done := p.cand[o]; done {
		return
	}
	if _, fixed := p.m.fixed[o]; fixed {
		return
	}
	local := !o.IsField() && o.Parent() != nil && o.Parent() != p.pass.Pkg.Scope() && !p.isParam(o)
	switch {
	case k == kSpanCtx || k == kHT || k == kJSC:
		if !local {
			return // these only change as local variables
		}
	case exportedAPI(p.pass.Pkg, o) && k != kTracer && why == "":
		why = "is part of the package's exported API (importers may pass or expect any " + k.String() + ")"
	}
	p.cand[o] = k
	if typ != nil {
		p.decl[o] = typ
		p.group[typ] = append(p.group[typ], o)
	}
	if why != "" {
		p.vetoed[o] = "it " + why
	}
}

func (p *planner) isParam(o *types.Var) bool { return p.params[o] }

// plan walks the layer until its decisions are consistent.
func (p *planner) plan() {
	for iter := 0; ; iter++ {
		p.changed = false
		p.rules = map[ast.Node]func() string{}
		p.prefix = map[ast.Node]string{}
		p.sites = nil
		p.shimLines = nil
		p.assoc = map[types.Object]string{}
		p.assocObj = map[types.Object]types.Object{}
		p.assocExpr = map[types.Object]ast.Expr{}
		p.assocUsed = map[types.Object]bool{}
		p.assocAt = map[types.Object]token.Pos{}
		p.consumed = map[types.Object]int{}
		p.startOf = map[types.Object]*startSite{}
		p.extBase = map[types.Object]extractBase{}
		p.fresh = map[string]bool{}
		p.handled = map[ast.Node]bool{}
		p.closers = map[types.Object]string{}
		p.cfgVars = map[types.Object]bool{}
		p.nethttpTR = map[*ast.CallExpr]bool{}
		p.needAssoc = map[types.Object]bool{}
		p.kindSet = map[types.Object]kindSetter{}
		p.kindStmt = map[ast.Stmt]types.Object{}
		for _, fr := range p.files {
			p.cur = fr
			p.walkFile(fr.f)
		}
		for _, objs := range p.group {
			bad := ""
			for _, o := range objs {
				if why, ok := p.vetoed[o]; ok {
					bad = why
				}
			}
			if bad != "" {
				for _, o := range objs {
					p.veto(o, "it is declared with a variable that stays: "+bad)
				}
			}
		}
		if !p.changed || iter > 200 {
			break
		}
	}
	p.declarations()
}

// migrated reports whether a variable takes the facade's type.
func (p *planner) migrated(o types.Object) bool {
	if o == nil {
		return false
	}
	if v, ok := p.m.fixed[o]; ok {
		return v
	}
	if _, ok := p.cand[o]; ok {
		_, bad := p.vetoed[o]
		return !bad
	}
	if o.Pkg() != nil && o.Pkg() != p.pass.Pkg {
		var f migratedFact
		return p.pass.ImportObjectFact(o, &f)
	}
	return false
}

// veto keeps a candidate on OpenTracing. For a variable decided
// elsewhere (an earlier layer, another package) the conflict cannot be
// undone: it is reported.
func (p *planner) veto(o types.Object, why string) {
	if o == nil {
		return
	}
	if _, ok := p.cand[o]; !ok {
		if p.migrated(o) {
			p.broken(o, why)
		}
		return
	}
	if _, done := p.vetoed[o]; done {
		return
	}
	p.vetoed[o] = why
	p.changed = true
}

// broken reports a use that cannot follow a variable migrated elsewhere.
func (p *planner) broken(o types.Object, why string) {
	pos := o.Pos()
	if !pos.IsValid() {
		return
	}
	msg := fmt.Sprintf("cannot rewrite: %s becomes %s where it is declared, but here %s; pass a facade value", objName(o), newTypeOf(kindOf(o.Type())), why)
	p.sites = append(p.sites, site{pos: p.curPos(), cat: "conflict", msg: msg})
	if p.at != nil {
		p.mark(p.at, msg)
	}
}

func newTypeOf(k kind) string {
	return map[kind]string{kTracer: "*tracing.Tracer", kSpan: "tracing.Span", kHT: "tracing.Span", kSpanCtx: "context.Context", kJSC: "tracing.SpanContext"}[k]
}

func (p *planner) curPos() token.Pos {
	if p.at != nil {
		return p.at.Pos()
	}
	return p.files[0].f.Package
}

// why returns why a candidate stays on OpenTracing.
func (p *planner) why(o types.Object) string {
	if w, ok := p.vetoed[o]; ok {
		return objName(o) + " stays " + p.cand[o].an() + ": " + w
	}
	return ""
}

// objName names a variable for messages.
func objName(o types.Object) string {
	if o.Name() == "" || o.Name() == "_" {
		return "(unnamed)"
	}
	return o.Name()
}

// slot is where a value goes: a variable (which may be migrated) or a
// place that needs the OpenTracing type.
type slot struct {
	k   kind
	m   bool
	obj types.Object
}

func (p *planner) slotOf(o types.Object) slot {
	if o == nil {
		return slot{}
	}
	k := kindOf(o.Type())
	return slot{k: k, m: k != kNone && p.migrated(o), obj: o}
}

// rule plans the new text of a node.
func (p *planner) rule(n ast.Node, fn func() string) { p.rules[n] = fn }

// del plans the removal of a statement.
func (p *planner) del(n ast.Node) { p.rules[n] = func() string { return "" } }

// render renders a node with the rules planned so far (called when the
// text is generated, after planning).
func (p *planner) render(n ast.Node) string {
	r := &rewriter{rules: p.rules, prefix: p.prefix, files: p.m.files, fset: p.pass.Fset}
	return r.render(n)
}

// q names the package path in the file being walked, at generation time.
func (p *planner) q(path string) func() string {
	fr := p.cur
	var pos token.Pos
	if p.at != nil {
		pos = p.at.Pos()
	}
	return func() string { return fr.qAt(path, pos) }
}

// rewrote records a rewritten site.
func (p *planner) rewrote(n ast.Node, cat, msg string) {
	p.sites = append(p.sites, site{pos: n.Pos(), end: n.End(), cat: cat, msg: "rewrite " + cat + ": " + msg})
}

// left records a site left on OpenTracing and marks its statement.
func (p *planner) left(n ast.Node, cat, why string) {
	p.sites = append(p.sites, site{pos: n.Pos(), end: n.End(), cat: cat, msg: "left on otshim: " + why})
	p.mark(n, why)
}

// mark puts a "// polytrace-migrate: why" comment above n's statement,
// unless one is there.
func (p *planner) mark(n ast.Node, why string) {
	var at ast.Node = p.stmtOf[n]
	if at == nil {
		at = n
	}
	// Above a function's declaration for its parameters.
	for c := n; c != nil; c = p.parent[c] {
		if fd, ok := c.(*ast.FuncDecl); ok && n.Pos() < fd.Body.Pos() {
			at = fd
			break
		}
		if gd, ok := c.(*ast.GenDecl); ok {
			at = gd
			break
		}
	}
	// Above a declaration's doc comment, apart from it.
	sep := ""
	switch d := at.(type) {
	case *ast.FuncDecl:
		if d.Doc != nil {
			at, sep = d.Doc, "\n"
		}
	case *ast.GenDecl:
		if d.Doc != nil {
			at, sep = d.Doc, "\n"
		}
	}
	if _, ok := p.prefix[at]; ok {
		return
	}
	fr := p.m.files[p.pass.Fset.File(at.Pos())]
	if fr == nil || fr.hasMarker(at.Pos()) {
		return
	}
	p.prefix[at] = "// polytrace-migrate: " + oneLine(why) + "\n" + sep + fr.indent(at.Pos())
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// declarations plans the new types of migrated variables declared with a
// type.
func (p *planner) declarations() {
	for o, typ := range p.decl {
		if !p.migrated(o) {
			continue
		}
		if _, done := p.rules[typ]; done {
			continue
		}
		fr := p.m.files[p.pass.Fset.File(typ.Pos())]
		p.cur, p.at = fr, typ
		k := p.cand[o]
		tq, cq := p.q(pathTracing), p.q("context")
		p.rules[typ] = func() string {
			switch k {
			case kTracer:
				return "*" + tq() + ".Tracer"
			case kSpan, kHT:
				return tq() + ".Span"
			case kSpanCtx:
				return cq() + ".Context"
			case kJSC:
				return tq() + ".SpanContext"
			}
			return fr.text(typ)
		}
		what := "variable"
		if v, ok := o.(*types.Var); ok && v.IsField() {
			what = "field"
		} else if v, ok := o.(*types.Var); ok && p.results[v] {
			what = "result"
		} else if v, ok := o.(*types.Var); ok && p.isParam(v) {
			what = "parameter"
		}
		newType := map[kind]string{kTracer: "*tracing.Tracer", kSpan: "tracing.Span", kHT: "tracing.Span", kSpanCtx: "context.Context", kJSC: "tracing.SpanContext"}[k]
		p.sites = append(p.sites, site{pos: typ.Pos(), end: typ.End(), cat: "plumbing",
			msg: fmt.Sprintf("rewrite plumbing: %s %s: %s → %s", what, objName(o), k, newType)})
	}
	// Candidates left on OpenTracing are reported where declared.
	for o, why := range p.vetoed {
		typ, ok := p.decl[o]
		if !ok || strings.HasPrefix(why, "it is declared with a variable that stays") {
			continue
		}
		p.sites = append(p.sites, site{pos: typ.Pos(), end: typ.End(), cat: "plumbing",
			msg: fmt.Sprintf("left on otshim: %s stays %s: %s", objName(o), p.cand[o].an(), why)})
		p.mark(typ, objName(o)+" stays "+p.cand[o].an()+": "+why)
	}
}
