package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// startSite is a statement that starts a span: span, ctx :=
// opentracing.StartSpanFromContext(ctx, …) or span := tracer.StartSpan(…).
type startSite struct {
	stmt    ast.Stmt
	spec    *ast.ValueSpec // var span = …
	call    *ast.CallExpr
	fromCtx bool
	tracer  ast.Expr // nil: the global tracer
	ctxArg  ast.Expr
	name    ast.Expr
	opts    []ast.Expr
	lhsSpan ast.Expr
	lhsCtx  ast.Expr
	tok     token.Token
	spanObj *types.Var
}

// parseStart recognises a span start in a statement.
func (p *planner) parseStart(s ast.Stmt) *startSite {
	var lhs []ast.Expr
	var call *ast.CallExpr
	st := &startSite{stmt: s}
	switch s := s.(type) {
	case *ast.AssignStmt:
		if len(s.Rhs) != 1 || (s.Tok != token.DEFINE && s.Tok != token.ASSIGN) {
			return nil
		}
		call, _ = ast.Unparen(s.Rhs[0]).(*ast.CallExpr)
		lhs, st.tok = s.Lhs, s.Tok
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR || len(gd.Specs) != 1 {
			return nil
		}
		vs := gd.Specs[0].(*ast.ValueSpec)
		if len(vs.Values) != 1 {
			return nil
		}
		call, _ = ast.Unparen(vs.Values[0]).(*ast.CallExpr)
		for _, n := range vs.Names {
			lhs = append(lhs, n)
		}
		st.spec, st.tok = vs, token.DEFINE
	default:
		return nil
	}
	if call == nil {
		return nil
	}
	st.call = call
	fn := callee(p.info, call)
	a := call.Args
	switch {
	case isFunc(fn, pathOT, "StartSpanFromContext") && len(lhs) == 2 && len(a) >= 2:
		st.fromCtx, st.ctxArg, st.name, st.opts = true, a[0], a[1], a[2:]
		st.lhsSpan, st.lhsCtx = lhs[0], lhs[1]
	case isFunc(fn, pathOT, "StartSpanFromContextWithTracer") && len(lhs) == 2 && len(a) >= 3:
		st.fromCtx, st.ctxArg, st.tracer, st.name, st.opts = true, a[0], a[1], a[2], a[3:]
		st.lhsSpan, st.lhsCtx = lhs[0], lhs[1]
	case isMethod(fn, pathOT, "Tracer", "StartSpan") && len(lhs) == 1 && len(a) >= 1:
		st.tracer, st.name, st.opts = call.Fun.(*ast.SelectorExpr).X, a[0], a[1:]
		st.lhsSpan = lhs[0]
	case isFunc(fn, pathOT, "StartSpan") && len(lhs) == 1 && len(a) >= 1:
		st.name, st.opts = a[0], a[1:]
		st.lhsSpan = lhs[0]
	default:
		return nil
	}
	if st.tracer != nil {
		if c, ok := ast.Unparen(st.tracer).(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
			st.tracer = nil
		}
	}
	st.spanObj = p.varOf(st.lhsSpan)
	return st
}

// startPlan is what a start's options become.
type startPlan struct {
	kind   string
	attrs  []func() string
	time   ast.Expr
	parent parentRef
	links  []parentRef
	drops  []string
}

type parentRef struct {
	span ast.Expr   // a span expression (p.Context())
	sctx *types.Var // a context from Extract
}

func (r parentRef) ok() bool { return r.span != nil || r.sctx != nil }

// planStart checks that a start can be rewritten and says how.
func (p *planner) planStart(st *startSite) (*startPlan, string) {
	if st.call.Ellipsis.IsValid() {
		return nil, "its start options are passed as a slice"
	}
	if st.tracer != nil && !p.canM(st.tracer) {
		why := "its tracer " + p.short(st.tracer) + " stays an opentracing.Tracer"
		if o := p.varOf(st.tracer); o != nil && p.why(o) != "" {
			why = p.why(o)
		}
		return nil, why
	}
	if id, ok := st.lhsSpan.(*ast.Ident); !ok || id.Name != "_" {
		if st.spanObj == nil {
			return nil, "the span is stored in " + p.short(st.lhsSpan)
		}
		if !p.migrated(st.spanObj) {
			if w := p.why(st.spanObj); w != "" {
				return nil, w
			}
			return nil, "the span is stored in " + st.spanObj.Name() + ", an " + kindOf(st.spanObj.Type()).String()
		}
	}
	pl := &startPlan{}
	for _, o := range st.opts {
		if why := p.startOpt(o, pl); why != "" {
			return nil, why
		}
	}
	if st.spanObj != nil {
		if ks, ok := p.kindSet[st.spanObj]; ok {
			pl.kind = ks.name
		}
	}
	if pl.parent.sctx != nil {
		eb, ok := p.extBase[pl.parent.sctx]
		if !ok || eb.bad != "" || eb.start != st.stmt {
			why := "the context extracted into " + pl.parent.sctx.Name() + " is also used elsewhere"
			if ok && eb.bad != "" {
				why = eb.bad
			}
			return nil, why
		}
	}
	return pl, ""
}

// startOpt reads one start option.
func (p *planner) startOpt(o ast.Expr, pl *startPlan) string {
	o = ast.Unparen(o)
	switch x := o.(type) {
	case *ast.CallExpr:
		if tv := p.info.Types[x.Fun]; tv.IsType() && isNamed(tv.Type, pathOT, "StartTime") && len(x.Args) == 1 {
			pl.time = x.Args[0]
			return ""
		}
		fn := callee(p.info, x)
		switch {
		case isFunc(fn, pathOT, "ChildOf") && len(x.Args) == 1,
			isFunc(fn, pathExt, "RPCServerOption") && len(x.Args) == 1:
			if fn.Name() == "RPCServerOption" {
				pl.kind = "SpanKindServer"
			}
			ref, why := p.ref(x.Args[0])
			if why != "" {
				return why
			}
			if !ref.ok() {
				return ""
			}
			if pl.parent.ok() {
				pl.links = append(pl.links, ref)
			} else {
				pl.parent = ref
			}
			return ""
		case isFunc(fn, pathOT, "FollowsFrom") && len(x.Args) == 1:
			ref, why := p.ref(x.Args[0])
			if why != "" {
				return why
			}
			if ref.ok() {
				pl.links = append(pl.links, ref)
			}
			return ""
		}
	case *ast.CompositeLit:
		t := p.info.TypeOf(x)
		switch {
		case isNamed(t, pathOT, "Tag"):
			var k, v ast.Expr
			for i, e := range x.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					switch kv.Key.(*ast.Ident).Name {
					case "Key":
						k = kv.Value
					case "Value":
						v = kv.Value
					}
				} else if i == 0 {
					k = e
				} else {
					v = e
				}
			}
			if k == nil || v == nil {
				return ""
			}
			return p.startTag(k, v, pl)
		case isNamed(t, pathOT, "Tags"):
			for _, e := range x.Elts {
				kv := e.(*ast.KeyValueExpr)
				if why := p.startTag(kv.Key, kv.Value, pl); why != "" {
					return why
				}
			}
			return ""
		}
	case *ast.Ident, *ast.SelectorExpr:
		if name := pkgObjName(p.info, x, pathExt); extKinds[name] != "" {
			pl.kind = extKinds[name]
			return ""
		}
	}
	return "start option " + p.short(o) + " has no facade equivalent the tool knows"
}

// ref reads the argument of ChildOf, FollowsFrom or RPCServerOption.
func (p *planner) ref(e ast.Expr) (parentRef, string) {
	e = ast.Unparen(e)
	if p.isNil(e) {
		return parentRef{}, ""
	}
	if call, ok := e.(*ast.CallExpr); ok && isMethod(callee(p.info, call), pathOT, "Span", "Context") {
		x := call.Fun.(*ast.SelectorExpr).X
		if !p.canM(x) {
			why := p.short(x) + " stays an opentracing.Span"
			if o := p.varOf(x); o != nil && p.why(o) != "" {
				why = p.why(o)
			}
			return parentRef{}, "its parent " + why
		}
		return parentRef{span: x}, ""
	}
	if v := p.varOf(e); v != nil && kindOf(v.Type()) == kSpanCtx {
		if !p.migrated(v) {
			return parentRef{}, "its parent " + p.orWhy(v, v.Name()+" stays an opentracing.SpanContext")
		}
		return parentRef{sctx: v}, ""
	}
	return parentRef{}, "its parent " + p.short(e) + " is a span context the tool cannot follow"
}

func (p *planner) orWhy(o types.Object, def string) string {
	if w := p.why(o); w != "" {
		return w
	}
	return def
}

// startTag reads a tag given at start.
func (p *planner) startTag(k, v ast.Expr, pl *startPlan) string {
	key, isConst := p.tagKey(k)
	if isConst {
		switch key {
		case "span.kind":
			if kn := p.kindValue(v); kn != "" {
				pl.kind = kn
				return ""
			}
			return "its span.kind tag " + p.short(v) + " is not a constant"
		case "error":
			return "it is started with the error tag"
		case "sampling.priority":
			pl.drops = append(pl.drops, "sampling.priority")
			return ""
		}
	}
	gen, drop := p.attr(p.keyText(k, key, isConst), v)
	if !drop {
		pl.attrs = append(pl.attrs, gen)
	}
	p.expr(v)
	return ""
}

// tagKey returns a tag key's constant value: a constant string, or
// string(ext.X).
func (p *planner) tagKey(k ast.Expr) (string, bool) {
	k = ast.Unparen(k)
	if s, ok := constString(p.info, k); ok {
		return s, true
	}
	if call, ok := k.(*ast.CallExpr); ok && len(call.Args) == 1 {
		if tv := p.info.Types[call.Fun]; tv.IsType() {
			if key, ok := extTags[pkgObjName(p.info, call.Args[0], pathExt)]; ok {
				return key, true
			}
		}
	}
	return "", false
}

// keyText renders a tag key as the facade's key.
func (p *planner) keyText(k ast.Expr, key string, isConst bool) func() string {
	if isConst {
		return func() string { return strconv.Quote(backendkit.OTTagKey(key)) }
	}
	return func() string { return p.render(k) }
}

// kindValue reads a span.kind value: a constant string or an ext enum.
func (p *planner) kindValue(v ast.Expr) string {
	if s, ok := constString(p.info, v); ok {
		return kindNames[strings.ToLower(s)]
	}
	return extKinds[pkgObjName(p.info, v, pathExt)]
}

// startStmt rewrites a span start; it reports whether it handled s.
func (p *planner) startStmt(st *startSite) {
	pl, why := p.planStart(st)
	if why != "" {
		p.leaveStart(st, why)
		return
	}
	mg := p.blk.merges[st.stmt]
	if mg != nil && !mg.ok {
		mg = nil
	}
	// walk what the rewrite keeps
	if st.tracer != nil {
		p.value(st.tracer, slot{k: kTracer, m: true})
	}
	if st.fromCtx {
		p.expr(st.ctxArg)
		p.lhs(st.lhsCtx)
	}
	p.expr(st.name)
	if pl.time != nil {
		p.expr(pl.time)
	}
	for _, r := range append([]parentRef{pl.parent}, pl.links...) {
		if r.span != nil {
			p.value(r.span, slot{k: kindOf(p.info.TypeOf(r.span)), m: true})
		}
	}
	if mg != nil {
		p.expr(mg.base)
	}
	p.lhs(st.lhsSpan)

	// the context the span is carried in
	ctxName := ""
	ctxObj := types.Object(nil)
	switch {
	case st.fromCtx:
		if id, ok := st.lhsCtx.(*ast.Ident); ok && id.Name != "_" {
			ctxName, ctxObj = id.Name, p.varOf(id)
		}
	case mg != nil:
		ctxName = mg.name
		if mg.whole {
			ctxObj = mg.obj
		}
	}
	declares := st.tok == token.DEFINE && st.spanObj != nil && p.info.Defs[identOf(st.lhsSpan)] != nil
	fresh := false
	if ctxName == "" && st.spanObj != nil && p.needAssoc[st.spanObj] && declares && (st.fromCtx || mg == nil) {
		ctxName, fresh = p.freshName(st.spanObj.Name()+"Ctx"), true
	}
	var parentCtx func() string
	if pl.parent.span != nil {
		var base ast.Expr
		switch {
		case mg != nil:
			base = mg.base
		case st.fromCtx:
			base = st.ctxArg
		}
		parentCtx = p.spanCtx(pl.parent.span, st.stmt.Pos(), base)
	}
	if st.spanObj != nil && ctxName != "" {
		p.assoc[st.spanObj] = ctxName
		p.assocObj[st.spanObj] = ctxObj
		p.assocAt[st.spanObj] = st.stmt.End()
		p.startOf[st.spanObj] = st
	} else if st.spanObj != nil {
		p.startOf[st.spanObj] = st
	}
	if mg != nil {
		p.mergeS3(mg)
	}

	tq, cq := p.q(pathTracing), p.q("context")
	tok := st.tok
	if mg != nil {
		tok = mg.tok
	}
	if fresh {
		tok = token.DEFINE
	}
	gen := func() string {
		// parent context
		var base string
		switch {
		case mg != nil:
			base = p.render(mg.base)
		case st.fromCtx:
			base = p.render(st.ctxArg)
		}
		var parent string
		newRoot := false
		switch {
		case pl.parent.span != nil:
			parent = parentCtx()
		case pl.parent.sctx != nil:
			parent = pl.parent.sctx.Name()
		case base != "":
			parent = base
			newRoot = !st.fromCtx && !isBackground(mg.base, p.info)
		default:
			parent = cq() + ".Background()"
		}
		var opts []string
		if pl.kind != "" {
			opts = append(opts, tq()+".WithKind("+tq()+"."+pl.kind+")")
		}
		if len(pl.attrs) > 0 {
			var as []string
			for _, a := range pl.attrs {
				as = append(as, a())
			}
			opts = append(opts, tq()+".WithAttrs("+strings.Join(as, ", ")+")")
		}
		if pl.time != nil {
			opts = append(opts, tq()+".WithStartTime("+p.render(pl.time)+")")
		}
		if len(pl.links) > 0 {
			var ls []string
			for _, l := range pl.links {
				ls = append(ls, tq()+".Link{SpanContext: "+p.linkContext(l, tq)+"}")
			}
			opts = append(opts, tq()+".WithLinks("+strings.Join(ls, ", ")+")")
		}
		if newRoot {
			opts = append(opts, tq()+".WithNewRoot()")
		}
		recv := tq()
		if st.tracer != nil {
			recv = p.render(st.tracer)
		}
		rhs := recv + ".Start(" + parent + ", " + p.render(st.name)
		if len(opts) > 0 {
			rhs += ", " + strings.Join(opts, ", ")
		}
		rhs += ")"
		left := "_"
		if ctxName != "" && (!fresh || p.assocUsed[st.spanObj]) {
			left = ctxName
		} else if st.fromCtx {
			left = p.render(st.lhsCtx)
		}
		sp := p.render(st.lhsSpan)
		if p.unused(st.spanObj) {
			sp = "_"
		}
		lhs := left + ", " + sp
		if st.spec != nil {
			return lhs + " = " + rhs
		}
		op := tok
		if left == "_" && sp == "_" {
			op = token.ASSIGN // nothing left to declare
		}
		return lhs + " " + op.String() + " " + rhs
	}
	if st.spec != nil {
		p.rule(st.spec, gen)
	} else {
		p.rule(st.stmt, gen)
	}
	what := "tracer.StartSpan → tracer.Start"
	switch {
	case st.fromCtx && st.tracer == nil:
		what = "opentracing.StartSpanFromContext → tracing.Start"
	case st.fromCtx:
		what = "opentracing.StartSpanFromContextWithTracer → tracer.Start"
	case st.tracer == nil:
		what = "opentracing.StartSpan → tracing.Start"
	}
	if mg != nil {
		what += " (with opentracing.ContextWithSpan)"
	}
	if len(pl.links) > 0 {
		what += "; FollowsFrom → link"
	}
	for _, d := range pl.drops {
		what += "; " + d + " dropped (the facade samples at start)"
	}
	p.rewrote(st.call, "span-start", what)
}

func (p *planner) linkContext(l parentRef, tq func() string) string {
	if l.span != nil {
		return p.render(l.span) + ".SpanContext()"
	}
	return tq() + ".SpanFromContext(" + l.sctx.Name() + ").SpanContext()"
}

// leaveStart walks a start that stays on OpenTracing.
func (p *planner) leaveStart(st *startSite, why string) {
	if st.spanObj != nil && p.migrated(st.spanObj) {
		p.veto(st.spanObj, why)
		return
	}
	if st.tracer != nil {
		p.value(st.tracer, slot{k: kTracer})
	}
	for _, a := range st.call.Args {
		if a != st.tracer {
			p.expr(a)
		}
	}
	p.lhs(st.lhsSpan)
	if st.lhsCtx != nil {
		p.lhs(st.lhsCtx)
	}
	p.left(st.call, "span-start", why)
}

func isBackground(e ast.Expr, info *types.Info) bool {
	if e == nil {
		return true
	}
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	return ok && isFunc(callee(info, call), "context", "Background", "TODO")
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := e.(*ast.Ident)
	if id == nil {
		return &ast.Ident{}
	}
	return id
}

// freshName returns a name not used in the file nor planned yet.
func (p *planner) freshName(base string) string {
	for i := 1; ; i++ {
		n := base
		if i > 1 {
			n += strconv.Itoa(i)
		}
		if !p.cur.names[n] && !p.fresh[n] {
			p.fresh[n] = true
			return n
		}
	}
}

// assocVisible reports whether the context variable associated with a
// span means that variable at pos.
func (p *planner) assocVisible(span types.Object, pos token.Pos) bool {
	name := p.assoc[span]
	obj := p.assocObj[span]
	if e := p.assocExpr[span]; e != nil {
		return p.sameMeaning(e, pos)
	}
	if obj == nil {
		return p.fresh[name] // a variable the rewrite declares
	}
	sc := p.pass.Pkg.Scope().Innermost(pos)
	if sc == nil {
		return false
	}
	_, o := sc.LookupParent(name, pos)
	return o == obj
}

// sameMeaning reports whether the variables of a pure expression mean
// the same at pos and are not assigned between the expression and pos.
func (p *planner) sameMeaning(e ast.Expr, pos token.Pos) bool {
	ok := true
	sc := p.pass.Pkg.Scope().Innermost(pos)
	ast.Inspect(e, func(n ast.Node) bool {
		id, isID := n.(*ast.Ident)
		if !isID {
			return ok
		}
		v, isVar := p.info.Uses[id].(*types.Var)
		if !isVar {
			return ok
		}
		if sc == nil {
			ok = false
			return false
		}
		if _, o := sc.LookupParent(id.Name, pos); o != v {
			ok = false
		}
		if p.assignedBetween(v, e.End(), pos) {
			ok = false
		}
		return ok
	})
	return ok
}

// assignedBetween reports whether v is assigned in the function between
// two positions.
func (p *planner) assignedBetween(v *types.Var, from, to token.Pos) bool {
	if p.fn == nil {
		return true
	}
	body := p.fn.body
	for f := p.fn; f != nil; f = f.outer {
		body = f.body
	}
	hit := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Pos() > from && n.Pos() < to {
				for _, l := range n.Lhs {
					if p.varOf(l) == v {
						hit = true
					}
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && p.varOf(n.X) == v {
				hit = true
			}
		}
		return !hit
	})
	return hit
}
