package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
)

// callPos says where a call stands: as a statement of its own (so that
// its rewrite may be several statements, or none), after defer or go, or
// inside an expression.
type callPos uint8

const (
	posValue callPos = iota
	posStmt
	posDefer
	posGo
)

func (p *planner) walkFile(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			fn, _ := p.info.Defs[d.Name].(*types.Func)
			if d.Body == nil || fn == nil {
				continue
			}
			p.fn = &funcCtx{sig: fn.Type().(*types.Signature), body: d.Body}
			p.fresh = map[string]bool{}
			p.prepass(d.Body)
			p.block(d.Body.List)
			p.fn = nil
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, spec := range d.Specs {
				p.at = d
				p.valueSpec(spec.(*ast.ValueSpec))
			}
			p.at = nil
		}
	}
}

func (p *planner) block(list []ast.Stmt) {
	saved := p.blk
	p.blk = p.planBlock(list)
	for _, s := range list {
		p.stmt(s)
	}
	p.blk = saved
}

func (p *planner) stmt(s ast.Stmt) {
	if s == nil || p.handled[s] {
		return
	}
	prev := p.at
	p.at = s
	defer func() { p.at = prev }()
	switch s := s.(type) {
	case *ast.AssignStmt:
		p.assign(s)
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, spec := range gd.Specs {
				p.valueSpec(spec.(*ast.ValueSpec))
			}
		}
	case *ast.ExprStmt:
		p.exprStmt(s)
	case *ast.DeferStmt:
		p.call(s.Call, posDefer, slot{})
	case *ast.GoStmt:
		p.call(s.Call, posGo, slot{})
	case *ast.ReturnStmt:
		p.ret(s)
	case *ast.BlockStmt:
		p.block(s.List)
	case *ast.IfStmt:
		if p.injectIf(s) {
			return
		}
		p.stmt(s.Init)
		p.expr(s.Cond)
		p.block(s.Body.List)
		p.stmt(s.Else)
	case *ast.ForStmt:
		p.stmt(s.Init)
		p.expr(s.Cond)
		p.stmt(s.Post)
		p.block(s.Body.List)
	case *ast.RangeStmt:
		p.expr(s.X)
		p.block(s.Body.List)
	case *ast.SwitchStmt:
		p.stmt(s.Init)
		p.expr(s.Tag)
		p.block(s.Body.List)
	case *ast.TypeSwitchStmt:
		p.stmt(s.Init)
		switch a := s.Assign.(type) {
		case *ast.AssignStmt:
			p.expr(a.Rhs[0])
		case *ast.ExprStmt:
			p.expr(a.X)
		}
		p.block(s.Body.List)
	case *ast.SelectStmt:
		p.block(s.Body.List)
	case *ast.CaseClause:
		for _, e := range s.List {
			p.expr(e)
		}
		p.block(s.Body)
	case *ast.CommClause:
		p.stmt(s.Comm)
		p.block(s.Body)
	case *ast.LabeledStmt:
		p.stmt(s.Stmt)
	case *ast.SendStmt:
		p.expr(s.Chan)
		p.expr(s.Value)
	case *ast.IncDecStmt:
		p.expr(s.X)
	}
}

func (p *planner) assign(s *ast.AssignStmt) {
	if s.Tok != token.DEFINE && s.Tok != token.ASSIGN {
		for _, e := range s.Lhs {
			p.expr(e)
		}
		for _, e := range s.Rhs {
			p.expr(e)
		}
		return
	}
	if len(s.Rhs) == 1 {
		rhs := ast.Unparen(s.Rhs[0])
		if call, ok := rhs.(*ast.CallExpr); ok && p.assignCall(s, s.Lhs, call) {
			return
		}
		if ta, ok := rhs.(*ast.TypeAssertExpr); ok && len(s.Lhs) == 2 && p.jaegerAssertOK(s, ta) {
			return
		}
		if len(s.Lhs) > 1 {
			for _, l := range s.Lhs {
				p.lhs(l)
			}
			p.tuple(s.Lhs, rhs)
			return
		}
	}
	if len(s.Lhs) == 1 && len(s.Rhs) == 1 && p.configLitStmt(s, s.Lhs[0], s.Rhs[0]) {
		return
	}
	for i, r := range s.Rhs {
		if i >= len(s.Lhs) {
			break
		}
		if isBlank(s.Lhs[i]) {
			// _ = x takes any value
			if k := kindOf(p.info.TypeOf(r)); k != kNone && p.canM(r) {
				p.value(r, slot{k: k, m: true})
			} else {
				p.expr(r)
			}
			continue
		}
		p.lhs(s.Lhs[i])
		p.value(r, p.slotLHS(s.Lhs[i]))
		p.assocFromContext(s.Lhs[i], r)
	}
}

// assocFromContext records that span := opentracing.SpanFromContext(ctx)
// is carried by ctx.
func (p *planner) assocFromContext(lhs, rhs ast.Expr) {
	call, ok := ast.Unparen(rhs).(*ast.CallExpr)
	if !ok || !isFunc(callee(p.info, call), pathOT, "SpanFromContext") {
		return
	}
	sp := p.varOf(lhs)
	if sp == nil || !p.migrated(sp) {
		return
	}
	arg := ast.Unparen(call.Args[0])
	if c, ok := arg.(*ast.Ident); ok {
		if cv := p.varOf(c); cv != nil {
			p.assoc[sp] = c.Name
			p.assocObj[sp] = cv
			p.assocAt[sp] = rhs.End()
		}
	} else if _, pure := p.pureNames(arg); pure {
		// span := opentracing.SpanFromContext(r.Context()): r.Context()
		// carries it as long as r does not change.
		p.assoc[sp] = p.cur.text(arg)
		p.assocExpr[sp] = arg
		p.assocAt[sp] = rhs.End()
	}
	// span := tracing.SpanFromContext(ctx) goes when every use of span
	// now reads ctx.
	if as, ok := p.stmtOf[call].(*ast.AssignStmt); ok && as.Tok == token.DEFINE && len(as.Lhs) == 1 {
		p.rule(as, func() string {
			if p.unused(sp) {
				return ""
			}
			return p.splice(as)
		})
	}
}

// lhs walks what an assignment's left-hand side evaluates.
func (p *planner) lhs(e ast.Expr) {
	switch x := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		if _, ok := p.info.Selections[x]; ok {
			p.expr(x.X)
		}
	case *ast.IndexExpr:
		p.expr(x.X)
		p.expr(x.Index)
	case *ast.StarExpr:
		p.expr(x.X)
	}
}

func (p *planner) slotLHS(e ast.Expr) slot {
	if id, ok := e.(*ast.Ident); ok && id.Name == "_" {
		return slot{}
	}
	if o := p.varOf(e); o != nil {
		return p.slotOf(o)
	}
	t := p.info.TypeOf(e)
	return slot{k: kindOf(t)}
}

// tuple walks lhs… = rhs where rhs yields several values.
func (p *planner) tuple(lhs []ast.Expr, rhs ast.Expr) {
	slots := make([]slot, len(lhs))
	for i, l := range lhs {
		slots[i] = p.slotLHS(l)
	}
	p.tupleSlots(slots, rhs)
}

func (p *planner) tupleSlots(slots []slot, rhs ast.Expr) {
	call, ok := ast.Unparen(rhs).(*ast.CallExpr)
	if !ok {
		p.expr(rhs)
		for _, s := range slots {
			if s.m {
				p.veto(s.obj, "it is assigned from "+p.short(rhs))
			}
		}
		return
	}
	fn := callee(p.info, call)
	if fn != nil && p.isAPI(fn) {
		p.call(call, posValue, slot{})
		for _, s := range slots {
			if s.m {
				p.veto(s.obj, "it is assigned from "+p.short(rhs))
			}
		}
		return
	}
	p.fun(call.Fun)
	p.args(call, fn)
	var res *types.Tuple
	if sig, ok := p.sigOf(call); ok {
		res = sig.Results()
	}
	for i, s := range slots {
		if res == nil || i >= res.Len() {
			continue
		}
		r := res.At(i)
		if kindOf(r.Type()) == kNone && !s.m {
			continue
		}
		rm := p.migrated(r)
		switch {
		case s.m && !rm:
			p.veto(s.obj, "it is assigned from "+p.short(call)+", which returns an "+kindOf(r.Type()).String())
		case rm && !s.m && s.obj != nil:
			p.veto(r, "a caller assigns it to "+s.obj.Name()+", which stays "+s.k.an())
		case rm && !s.m && s.k != kNone:
			p.veto(r, "a caller keeps it as an "+s.k.String())
		}
	}
}

func (p *planner) valueSpec(vs *ast.ValueSpec) {
	if len(vs.Values) == 1 {
		if call, ok := ast.Unparen(vs.Values[0]).(*ast.CallExpr); ok {
			lhs := make([]ast.Expr, len(vs.Names))
			for i, n := range vs.Names {
				lhs[i] = n
			}
			if p.specCall(vs, lhs, call) {
				return
			}
		}
		if len(vs.Names) > 1 {
			slots := make([]slot, len(vs.Names))
			for i, n := range vs.Names {
				slots[i] = p.slotOf(p.info.Defs[n])
			}
			p.tupleSlots(slots, vs.Values[0])
			return
		}
	}
	for i, v := range vs.Values {
		if i < len(vs.Names) {
			p.value(v, p.slotOf(p.info.Defs[vs.Names[i]]))
		}
	}
}

func (p *planner) ret(s *ast.ReturnStmt) {
	if p.fn == nil {
		return
	}
	res := p.fn.sig.Results()
	switch {
	case len(s.Results) == res.Len():
		for i, e := range s.Results {
			p.value(e, p.slotOf(res.At(i)))
		}
	case len(s.Results) == 1 && res.Len() > 1:
		slots := make([]slot, res.Len())
		for i := range slots {
			slots[i] = p.slotOf(res.At(i))
		}
		p.tupleSlots(slots, s.Results[0])
	default:
		for _, e := range s.Results {
			p.expr(e)
		}
	}
}

func (p *planner) exprStmt(s *ast.ExprStmt) {
	call, ok := ast.Unparen(s.X).(*ast.CallExpr)
	if !ok {
		p.expr(s.X)
		return
	}
	if o, ok := p.kindStmt[s]; ok && p.kindAfterStart(s, o, call) {
		return
	}
	if p.chain(s, call) {
		return
	}
	p.call(call, posStmt, slot{})
}

// varOf returns the variable (local, package-level or field) that an
// identifier or selector names.
func (p *planner) varOf(e ast.Expr) *types.Var {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := p.info.Uses[x].(*types.Var); ok {
			return v
		}
		v, _ := p.info.Defs[x].(*types.Var)
		return v
	case *ast.SelectorExpr:
		if sel, ok := p.info.Selections[x]; ok {
			if sel.Kind() == types.FieldVal {
				v, _ := sel.Obj().(*types.Var)
				return v
			}
			return nil
		}
		v, _ := p.info.Uses[x.Sel].(*types.Var)
		return v
	}
	return nil
}

func (p *planner) isNil(e ast.Expr) bool {
	tv, ok := p.info.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}

// canM reports whether e can produce the facade's value of its kind.
func (p *planner) canM(e ast.Expr) bool {
	e = ast.Unparen(e)
	if o := p.varOf(e); o != nil {
		return p.migrated(o)
	}
	if p.isNil(e) {
		return true
	}
	if call, ok := e.(*ast.CallExpr); ok {
		fn := callee(p.info, call)
		switch {
		case isFunc(fn, pathOT, "GlobalTracer", "SpanFromContext"):
			return true
		case isMethod(fn, pathNetHTTP, "Tracer", "Span"):
			return p.canM(call.Fun.(*ast.SelectorExpr).X)
		}
		if r := p.resultVar(call); r != nil {
			return p.migrated(r)
		}
	}
	return false
}

// resultVar returns the result variable of a call to a declared function
// with one result.
func (p *planner) resultVar(call *ast.CallExpr) *types.Var {
	fn := callee(p.info, call)
	if fn == nil {
		return nil
	}
	sig := fn.Type().(*types.Signature)
	if sig.Results().Len() != 1 {
		return nil
	}
	return sig.Results().At(0)
}

func (p *planner) sigOf(call *ast.CallExpr) (*types.Signature, bool) {
	if fn := callee(p.info, call); fn != nil {
		return fn.Type().(*types.Signature), true
	}
	t := p.info.TypeOf(call.Fun)
	if t == nil {
		return nil, false
	}
	sig, ok := t.Underlying().(*types.Signature)
	return sig, ok
}

// value walks e, whose value goes to slot s.
func (p *planner) value(e ast.Expr, s slot) {
	e = ast.Unparen(e)
	k := kindOf(p.info.TypeOf(e))
	if p.isNil(e) {
		p.nilValue(e, s)
		return
	}
	if s.k != kNone && k != s.k {
		p.expr(e)
		if s.m {
			p.veto(s.obj, "it is assigned "+p.short(e))
		}
		return
	}
	if k == kNone {
		p.expr(e)
		return
	}
	if s.k == kNone {
		s = slot{k: k}
	}
	if o := p.varOf(e); o != nil {
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if _, isField := p.info.Selections[sel]; isField {
				p.expr(sel.X)
			}
		}
		p.reconcile(e, o, s)
		return
	}
	if call, ok := e.(*ast.CallExpr); ok {
		if p.flex(call, s) {
			return
		}
		fn := callee(p.info, call)
		if fn != nil && !p.isAPI(fn) {
			if r := p.resultVar(call); r != nil {
				p.fun(call.Fun)
				p.args(call, fn)
				p.reconcile(call, r, s)
				return
			}
		}
		p.call(call, posValue, slot{k: k})
		if s.m {
			p.veto(s.obj, "it is assigned "+p.short(e))
		}
		return
	}
	if ta, ok := e.(*ast.TypeAssertExpr); ok && k == kJSC && p.jaegerAssert(ta, s) {
		return
	}
	p.expr(e)
	if s.m {
		p.veto(s.obj, "it is assigned "+p.short(e))
	}
}

func (p *planner) nilValue(e ast.Expr, s slot) {
	if !s.m {
		return
	}
	tq := p.q(pathTracing)
	switch s.k {
	case kSpan, kHT:
		p.rule(e, func() string { return tq() + ".Span{}" })
	case kJSC:
		p.rule(e, func() string { return tq() + ".SpanContext{}" })
	}
}

// reconcile checks that the value of variable src fits slot s, vetoing
// the side that cannot follow; a migrated tracer going where an
// opentracing.Tracer is needed goes through the shim.
func (p *planner) reconcile(e ast.Expr, src *types.Var, s slot) {
	srcM := p.migrated(src)
	switch {
	case s.m && !srcM:
		why := "it is assigned " + p.short(e)
		if w := p.why(src); w != "" {
			why += ", and " + w
		}
		p.veto(s.obj, why)
	case !s.m && srcM:
		if s.k == kTracer {
			p.shimAdapter(e)
			return
		}
		where := "an OpenTracing API"
		if use := p.contextUse(e); use != e {
			where = p.short(use)
		}
		if s.obj != nil {
			where = s.obj.Name() + ", which stays " + s.k.an()
			if w, ok := p.vetoed[s.obj]; ok {
				where += " (" + w + ")"
			}
		}
		p.veto(src, "it is passed to "+where)
	}
}

// shimAdapter passes a *tracing.Tracer where an opentracing.Tracer is
// needed: otshim.New(otshim.WithTracer(t)).
func (p *planner) shimAdapter(e ast.Expr) {
	sq := p.q(pathOTShim)
	p.rule(e, func() string { return sq() + ".New(" + sq() + ".WithTracer(" + p.splice(e) + "))" })
	p.sites = append(p.sites, site{pos: e.Pos(), end: e.End(), cat: "otshim",
		msg: "left on otshim: the *tracing.Tracer goes to an OpenTracing API through otshim.New(otshim.WithTracer(…))"})
}

// splice renders n's source with the rules of the nodes inside it.
func (p *planner) splice(n ast.Node) string {
	r := &rewriter{rules: p.rules, prefix: p.prefix, files: p.m.files, fset: p.pass.Fset}
	return r.splice(n)
}

// expr walks an expression whose value goes nowhere in particular (an
// OpenTracing value there keeps its type).
func (p *planner) expr(e ast.Expr) {
	switch x := e.(type) {
	case nil:
	case *ast.ParenExpr:
		p.expr(x.X)
	case *ast.Ident:
		if o := p.varOf(x); o != nil && kindOf(o.Type()) != kNone {
			p.reconcile(x, o, slot{k: kindOf(o.Type())})
		}
	case *ast.SelectorExpr:
		if o := p.varOf(x); o != nil && kindOf(o.Type()) != kNone {
			if _, ok := p.info.Selections[x]; ok {
				p.expr(x.X)
			}
			p.reconcile(x, o, slot{k: kindOf(o.Type())})
			return
		}
		if sel, ok := p.info.Selections[x]; ok {
			if sel.Kind() == types.MethodVal && kindOf(sel.Recv()) != kNone {
				// a method value of an OpenTracing value
				if o := p.varOf(x.X); o != nil && p.migrated(o) && kindOf(o.Type()) != kTracer {
					p.veto(o, "its method "+x.Sel.Name+" is used as a function value")
				}
			}
			p.expr(x.X)
		}
	case *ast.CallExpr:
		p.call(x, posValue, slot{})
	case *ast.FuncLit:
		p.funcLit(x)
	case *ast.CompositeLit:
		p.complit(x)
	case *ast.BinaryExpr:
		if p.nilCompare(x) {
			return
		}
		p.expr(x.X)
		p.expr(x.Y)
	case *ast.UnaryExpr:
		p.expr(x.X)
	case *ast.StarExpr:
		p.expr(x.X)
	case *ast.IndexExpr:
		p.expr(x.X)
		p.expr(x.Index)
	case *ast.IndexListExpr:
		p.expr(x.X)
	case *ast.SliceExpr:
		p.expr(x.X)
		p.expr(x.Low)
		p.expr(x.High)
		p.expr(x.Max)
	case *ast.TypeAssertExpr:
		if kindOf(p.info.TypeOf(x)) == kJSC && p.jaegerAssert(x, slot{}) {
			return
		}
		p.expr(x.X)
	case *ast.KeyValueExpr:
		p.expr(x.Key)
		p.expr(x.Value)
	}
}

func (p *planner) funcLit(x *ast.FuncLit) {
	sig, _ := p.info.TypeOf(x).(*types.Signature)
	if sig == nil {
		return
	}
	outer := p.fn
	if outer == nil {
		p.prepass(x.Body)
	}
	p.fn = &funcCtx{sig: sig, lit: true, body: x.Body, outer: outer}
	p.block(x.Body.List)
	p.fn = outer
}

func (p *planner) complit(x *ast.CompositeLit) {
	t := p.info.TypeOf(x)
	if t == nil {
		return
	}
	if p.complitAPI(x) {
		return
	}
	if st, ok := t.Underlying().(*types.Struct); ok {
		for i, elt := range x.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					if f, ok := p.info.Uses[id].(*types.Var); ok {
						p.value(kv.Value, p.slotOf(f))
						continue
					}
				}
				p.expr(kv.Value)
				continue
			}
			if i < st.NumFields() {
				p.value(elt, p.slotOf(st.Field(i)))
			}
		}
		return
	}
	for _, elt := range x.Elts {
		p.expr(elt)
	}
}

// nilCompare handles x == nil and x != nil for OpenTracing values: the
// facade's span is a value, valid when it has a span context.
func (p *planner) nilCompare(x *ast.BinaryExpr) bool {
	if x.Op != token.EQL && x.Op != token.NEQ {
		return false
	}
	v, other := x.X, x.Y
	if p.isNil(v) {
		v, other = other, v
	}
	if !p.isNil(other) {
		return false
	}
	k := kindOf(p.info.TypeOf(v))
	if k == kNone || k == kJSC {
		return false
	}
	if !p.canM(v) {
		p.expr(v)
		return true
	}
	p.value(v, slot{k: k, m: true})
	if k == kTracer {
		return true
	}
	tq := p.q(pathTracing)
	not := ""
	if x.Op == token.EQL {
		not = "!"
	}
	p.rule(x, func() string {
		if k == kSpanCtx {
			return not + tq() + ".SpanFromContext(" + p.render(v) + ").SpanContext().IsValid()"
		}
		return not + p.render(v) + ".SpanContext().IsValid()"
	})
	return true
}

// fun walks a call's function expression.
func (p *planner) fun(f ast.Expr) {
	switch x := ast.Unparen(f).(type) {
	case *ast.Ident:
	case *ast.SelectorExpr:
		if _, ok := p.info.Selections[x]; ok {
			p.expr(x.X)
		}
	case *ast.FuncLit:
		p.funcLit(x)
	default:
		p.expr(f)
	}
}

// args walks a call's arguments into its parameters.
func (p *planner) args(call *ast.CallExpr, _ *types.Func) {
	sig, ok := p.sigOf(call)
	if !ok {
		for _, a := range call.Args {
			p.expr(a)
		}
		return
	}
	n := sig.Params().Len()
	for i, a := range call.Args {
		if sig.Variadic() && i >= n-1 {
			if call.Ellipsis.IsValid() {
				p.expr(a)
				continue
			}
			elem := sig.Params().At(n - 1).Type().Underlying().(*types.Slice).Elem()
			p.value(a, slot{k: kindOf(elem)})
			continue
		}
		if i >= n {
			p.expr(a)
			continue
		}
		if len(call.Args) == 1 && n > 1 {
			// f(g()) with g returning several values
			slots := make([]slot, n)
			for j := range slots {
				slots[j] = p.slotOf(sig.Params().At(j))
			}
			p.tupleSlots(slots, a)
			continue
		}
		p.value(a, p.slotOf(sig.Params().At(i)))
	}
}

// call walks a call whose result goes to slot s.
func (p *planner) call(call *ast.CallExpr, pos callPos, s slot) {
	if tv, ok := p.info.Types[call.Fun]; ok && (tv.IsType() || tv.IsBuiltin()) {
		for _, a := range call.Args {
			p.expr(a)
		}
		return
	}
	fn := callee(p.info, call)
	if fn != nil && p.api(call, fn, pos, s) {
		return
	}
	p.fun(call.Fun)
	p.args(call, fn)
	if k := kindOf(p.info.TypeOf(call)); k != kNone && s.m {
		p.veto(s.obj, "it is assigned "+p.short(call))
	}
}

// short returns a short form of an expression for messages.
func (p *planner) short(e ast.Expr) string {
	fr := p.m.files[p.pass.Fset.File(e.Pos())]
	if fr == nil {
		return "a value"
	}
	s := fr.text(e)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
