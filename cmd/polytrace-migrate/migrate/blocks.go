package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
)

// blockPlan is what a block's statements do together: a span start
// merged with the opentracing.ContextWithSpan that puts the span into a
// context further down.
type blockPlan struct {
	list   []ast.Stmt
	merges map[ast.Stmt]*mergeInfo // by the start statement
}

type mergeInfo struct {
	ok    bool
	s2    ast.Stmt
	s3    ast.Stmt
	cws   *ast.CallExpr // opentracing.ContextWithSpan(base, span) in s3
	base  ast.Expr
	name  string       // the context variable the start assigns
	obj   types.Object // its object, when it is s3's
	whole bool         // s3 is "name := / = ContextWithSpan(…)": it goes
	tok   token.Token  // the start's new token
}

// extractBase says which context a span context extracted with
// tracer.Extract is built on: the base of the start that uses it.
type extractBase struct {
	base  ast.Expr // nil: context.Background()
	start ast.Stmt
	bad   string
}

// planBlock finds the merges and extraction bases of a block.
func (p *planner) planBlock(list []ast.Stmt) *blockPlan {
	bp := &blockPlan{list: list, merges: map[ast.Stmt]*mergeInfo{}}
	if len(list) == 0 {
		return bp
	}
	scope := p.blockScope(list)
	starts := map[int]*startSite{}
	for i, s := range list {
		st := p.parseStart(s)
		if st == nil {
			continue
		}
		starts[i] = st
		if st.fromCtx || st.spanObj == nil {
			continue
		}
		if mg := p.findMerge(list, i, st, scope); mg != nil {
			bp.merges[s] = mg
		}
	}
	for i, s := range list {
		sc, ok := p.parseExtractTarget(s)
		if !ok {
			continue
		}
		p.extBase[sc] = p.planExtractBase(list, i, sc, starts, bp)
	}
	return bp
}

// blockScope returns the scope a block's statements declare in.
func (p *planner) blockScope(list []ast.Stmt) *types.Scope {
	par := p.parent[list[0]]
	if s, ok := p.info.Scopes[par]; ok {
		return s
	}
	if blk, ok := par.(*ast.BlockStmt); ok {
		switch fn := p.parent[blk].(type) {
		case *ast.FuncDecl:
			return p.info.Scopes[fn.Type]
		case *ast.FuncLit:
			return p.info.Scopes[fn.Type]
		}
	}
	return nil
}

// findMerge looks for the statement that puts the span started at
// list[i] into a context.
func (p *planner) findMerge(list []ast.Stmt, i int, st *startSite, scope *types.Scope) *mergeInfo {
	span := st.spanObj
	for j := i + 1; j < len(list); j++ {
		cws := p.findCWS(list[j], span)
		if cws == nil {
			if p.assigns(list[j], map[string]bool{span.Name(): true}) {
				return nil
			}
			continue
		}
		base := cws.Args[0]
		free, pure := p.pureNames(base)
		if !pure {
			return nil
		}
		if p.assignsAny(list[i+1:j], free) {
			return nil
		}
		mg := &mergeInfo{ok: true, s2: list[i], s3: list[j], cws: cws, base: base, tok: st.tok}
		if as, ok := list[j].(*ast.AssignStmt); ok && len(as.Lhs) == 1 && len(as.Rhs) == 1 && ast.Unparen(as.Rhs[0]) == cws {
			if id, ok := as.Lhs[0].(*ast.Ident); ok && id.Name != "_" {
				v := p.varOf(id)
				newHere := as.Tok == token.DEFINE && p.info.Defs[id] != nil
				mentioned := p.mentions(list[i+1:j], id.Name)
				switch {
				case newHere && st.tok == token.DEFINE && !mentioned:
					mg.name, mg.obj, mg.whole = id.Name, v, true
					return mg
				case !newHere && v != nil && st.tok == token.ASSIGN:
					mg.name, mg.obj, mg.whole = id.Name, v, true
					return mg
				case !newHere && v != nil && st.tok == token.DEFINE && scope != nil && v.Parent() == scope && !mentioned:
					mg.name, mg.obj, mg.whole = id.Name, v, true
					return mg
				}
			}
		}
		if st.tok != token.DEFINE {
			return nil
		}
		mg.name = p.freshName(span.Name() + "Ctx")
		return mg
	}
	return nil
}

// findCWS finds opentracing.ContextWithSpan(base, span) in a statement,
// outside function literals.
func (p *planner) findCWS(s ast.Stmt, span types.Object) *ast.CallExpr {
	var found *ast.CallExpr
	ast.Inspect(s, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if isFunc(callee(p.info, n), pathOT, "ContextWithSpan") && len(n.Args) == 2 && p.varOf(n.Args[1]) == span {
				found = n
				return false
			}
		}
		return true
	})
	return found
}

// pureNames returns the variables an expression reads, if evaluating it
// earlier gives the same value: identifiers, field selections,
// x.Context() and context.Background().
func (p *planner) pureNames(e ast.Expr) (map[string]bool, bool) {
	free := map[string]bool{}
	var ok func(e ast.Expr) bool
	ok = func(e ast.Expr) bool {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			if _, isVar := p.info.Uses[x].(*types.Var); isVar {
				free[x.Name] = true
				return true
			}
			return false
		case *ast.SelectorExpr:
			if _, isSel := p.info.Selections[x]; !isSel {
				_, isVar := p.info.Uses[x.Sel].(*types.Var)
				return isVar
			}
			return ok(x.X)
		case *ast.CallExpr:
			if len(x.Args) != 0 {
				return false
			}
			fn := callee(p.info, x)
			if isFunc(fn, "context", "Background", "TODO") {
				return true
			}
			if sel, isSel := x.Fun.(*ast.SelectorExpr); isSel && fn != nil && fn.Name() == "Context" {
				return ok(sel.X)
			}
		}
		return false
	}
	return free, ok(e)
}

// assigns reports whether a statement assigns to one of the names (or
// takes its address).
func (p *planner) assigns(s ast.Node, names map[string]bool) bool {
	hit := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := ast.Unparen(l).(*ast.Ident); ok && names[id.Name] {
					hit = true
				}
			}
		case *ast.IncDecStmt:
			if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && names[id.Name] {
				hit = true
			}
		case *ast.UnaryExpr:
			if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Op == token.AND && names[id.Name] {
				hit = true
			}
		case *ast.RangeStmt:
			for _, l := range []ast.Expr{n.Key, n.Value} {
				if id, ok := l.(*ast.Ident); ok && names[id.Name] {
					hit = true
				}
			}
		}
		return !hit
	})
	return hit
}

func (p *planner) assignsAny(list []ast.Stmt, names map[string]bool) bool {
	for _, s := range list {
		if p.assigns(s, names) {
			return true
		}
	}
	return false
}

// mentions reports whether a name is spelled in the statements.
func (p *planner) mentions(list []ast.Stmt, name string) bool {
	hit := false
	for _, s := range list {
		ast.Inspect(s, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == name {
				hit = true
			}
			return !hit
		})
	}
	return hit
}

// mergeS3 plans the statement that put the span into a context: gone, or
// the context variable instead of the call.
func (p *planner) mergeS3(mg *mergeInfo) {
	p.handled[mg.cws] = true
	if mg.whole {
		p.del(mg.s3)
		p.handled[mg.s3] = true
		return
	}
	name := mg.name
	p.rule(mg.cws, func() string { return name })
}

// parseExtractTarget recognises sc, err := tracer.Extract(…) and returns
// the span context variable.
func (p *planner) parseExtractTarget(s ast.Stmt) (*types.Var, bool) {
	as, ok := s.(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 2 || len(as.Rhs) != 1 {
		return nil, false
	}
	call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
	if !ok || !isMethod(callee(p.info, call), pathOT, "Tracer", "Extract") {
		return nil, false
	}
	v := p.varOf(as.Lhs[0])
	return v, v != nil
}

// planExtractBase finds the start that uses an extracted span context and
// checks that its base context can be evaluated at the Extract.
func (p *planner) planExtractBase(list []ast.Stmt, i int, sc *types.Var, starts map[int]*startSite, bp *blockPlan) extractBase {
	var uses []*ast.Ident
	for id, o := range p.info.Uses {
		if o == sc {
			uses = append(uses, id)
		}
	}
	var start *startSite
	startUses := 0
	for _, id := range uses {
		call, ok := p.parent[id].(*ast.CallExpr)
		if !ok {
			continue
		}
		fn := callee(p.info, call)
		if !isFunc(fn, pathOT, "ChildOf") && !isFunc(fn, pathExt, "RPCServerOption") {
			continue
		}
		startUses++
		for j := i + 1; j < len(list); j++ {
			if st := starts[j]; st != nil && st.call.Pos() <= call.Pos() && call.End() <= st.call.End() {
				start = st
			}
		}
	}
	switch {
	case startUses == 0:
		return extractBase{}
	case startUses > 1 || start == nil:
		return extractBase{bad: "the context extracted into " + sc.Name() + " is used by more than one start, or by one the tool cannot see"}
	}
	var base ast.Expr
	end := start.stmt
	if mg := bp.merges[start.stmt]; mg != nil {
		base, end = mg.base, mg.s3
	} else if start.fromCtx {
		base = start.ctxArg
	}
	if base == nil {
		return extractBase{start: start.stmt}
	}
	free, pure := p.pureNames(base)
	if !pure {
		return extractBase{bad: "its base context " + p.short(base) + " cannot be evaluated at the Extract"}
	}
	j := 0
	for k, s := range list {
		if s == end {
			j = k
		}
	}
	if p.assignsAny(list[i+1:j], free) {
		return extractBase{bad: "its base context " + p.short(base) + " changes between the Extract and the start"}
	}
	// every variable of base exists at the Extract
	okDecl := true
	ast.Inspect(base, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if v, ok := p.info.Uses[id].(*types.Var); ok && v.Pos() >= list[i].Pos() {
				okDecl = false
			}
		}
		return true
	})
	if !okDecl {
		return extractBase{bad: "its base context " + p.short(base) + " is declared after the Extract"}
	}
	return extractBase{base: base, start: start.stmt}
}

// prepass collects, in a function, the spans whose context a use needs
// and the span.kind tags set after a start.
func (p *planner) prepass(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			fn := callee(p.info, n)
			if isMethod(fn, pathOT, "Span", "Context", "SetBaggageItem", "BaggageItem") {
				if o := p.varOf(n.Fun.(*ast.SelectorExpr).X); o != nil {
					p.needAssoc[o] = true
				}
			}
		case *ast.ExprStmt:
			call, ok := ast.Unparen(n.X).(*ast.CallExpr)
			if !ok {
				return true
			}
			if o, kn := p.kindSetter(call); o != nil && kn != "" {
				p.kindSet[o] = kindSetter{name: kn, stmt: n}
				p.kindStmt[n] = o
			}
		}
		return true
	})
}

// kindSetter recognises a statement that sets span.kind on a span
// variable: ext.SpanKindRPCClient.Set(span), ext.SpanKind.Set(span, enum)
// or span.SetTag("span.kind", value).
func (p *planner) kindSetter(call *ast.CallExpr) (*types.Var, string) {
	fn := callee(p.info, call)
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || fn == nil {
		return nil, ""
	}
	switch {
	case isMethod(fn, pathOT, "Tag", "Set") && len(call.Args) == 1:
		if k := extKinds[pkgObjName(p.info, sel.X, pathExt)]; k != "" {
			return p.varOf(call.Args[0]), k
		}
	case isMethod(fn, pathExt, "spanKindTagName", "Set") && len(call.Args) == 2:
		return p.varOf(call.Args[0]), p.kindValue(call.Args[1])
	case isMethod(fn, pathOT, "Span", "SetTag") && len(call.Args) == 2:
		if key, ok := p.tagKey(call.Args[0]); ok && key == "span.kind" {
			return p.varOf(sel.X), p.kindValue(call.Args[1])
		}
	}
	return nil, ""
}

// kindAfterStart handles a span.kind set after the start: it moves to the
// start, where the facade sets kinds.
func (p *planner) kindAfterStart(s *ast.ExprStmt, o types.Object, call *ast.CallExpr) bool {
	if !p.migrated(o) {
		return false
	}
	if st := p.startOf[o]; st == nil {
		p.veto(o, "its span.kind is set after a start the tool cannot see (the facade sets the kind at start)")
		return true
	}
	p.del(s)
	p.rewrote(call, "kind", "span.kind → "+p.kindSet[o].name+" at the span's start")
	return true
}
