package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// isAPI reports whether f belongs to an API the rewrite knows.
func (p *planner) isAPI(f *types.Func) bool {
	if f == nil || f.Pkg() == nil {
		return false
	}
	path := f.Pkg().Path()
	return legacyPath(path) || path == pathJaeger || path == pathJConfig
}

// api walks a call of a known API; it reports false for calls it leaves
// to the generic walk.
func (p *planner) api(call *ast.CallExpr, fn *types.Func, pos callPos, s slot) bool {
	if p.handled[call] {
		return true
	}
	if !p.isAPI(fn) {
		return false
	}
	if n := recvNamed(fn); n != nil && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pathOT {
		switch n.Obj().Name() {
		case "Span":
			return p.spanMethod(call, fn, pos)
		case "Tracer":
			return p.tracerMethod(call, fn, pos)
		case "SpanContext":
			return p.scMethod(call, fn, pos)
		}
	}
	switch {
	case isFunc(fn, pathOT, "SpanFromContext", "GlobalTracer"):
		return p.flex(call, s)
	case isFunc(fn, pathOT, "ContextWithSpan") && len(call.Args) == 2:
		return p.contextWithSpan(call)
	case isFunc(fn, pathOT, "SetGlobalTracer") && len(call.Args) == 1:
		return p.setGlobal(call, pos)
	case isFunc(fn, pathExt, "LogError"):
		return p.extLogError(call, pos)
	case fn.Pkg().Path() == pathExt && recvNamed(fn) != nil && (fn.Name() == "Set" || fn.Name() == "SetString"),
		isMethod(fn, pathOT, "Tag", "Set"):
		return p.extSet(call, fn, pos)
	case isFunc(fn, pathNetHTTP, "Middleware", "MiddlewareFunc"):
		return p.nethttpMiddleware(call, fn)
	case isMethod(fn, pathNetHTTP, "Tracer"):
		return p.htMethod(call, fn, pos, s)
	case fn.Pkg().Path() == pathOTGRPC || fn.Pkg().Path() == pathOTGRPCOld:
		return p.otgrpc(call, fn)
	case isMethod(fn, pathJaeger, "SpanContext"):
		return p.jscMethod(call, fn)
	}
	return false
}

// flex walks the calls whose result can be either the OpenTracing value
// or the facade's, whichever the slot takes.
func (p *planner) flex(call *ast.CallExpr, s slot) bool {
	fn := callee(p.info, call)
	tq := p.q(pathTracing)
	switch {
	case isFunc(fn, pathOT, "GlobalTracer"):
		if s.m {
			p.rule(call, func() string { return tq() + ".Default()" })
			p.rewrote(call, "tracer", "opentracing.GlobalTracer() → tracing.Default()")
		}
		return true
	case isFunc(fn, pathOT, "SpanFromContext") && len(call.Args) == 1:
		p.expr(call.Args[0])
		if s.m {
			arg := call.Args[0]
			p.rule(call, func() string { return tq() + ".SpanFromContext(" + p.render(arg) + ")" })
			p.rewrote(call, "span", "opentracing.SpanFromContext → tracing.SpanFromContext")
		} else if s.obj != nil && p.why(s.obj) != "" {
			p.left(call, "span", p.why(s.obj))
		}
		return true
	case isMethod(fn, pathNetHTTP, "Tracer", "Span"):
		x := call.Fun.(*ast.SelectorExpr).X
		if s.m {
			p.value(x, slot{k: kHT, m: true})
			p.rule(call, func() string { return p.render(x) })
			return true
		}
		p.value(x, slot{k: kHT})
		return true
	}
	return false
}

// assignCall handles assignments whose right-hand side is one call of an
// API with a statement form of its own.
func (p *planner) assignCall(s *ast.AssignStmt, lhs []ast.Expr, call *ast.CallExpr) bool {
	if st := p.parseStart(s); st != nil {
		p.startStmt(st)
		return true
	}
	fn := callee(p.info, call)
	switch {
	case isMethod(fn, pathOT, "Tracer", "Extract") && len(lhs) == 2:
		return p.extract(s, call)
	case isMethod(fn, pathOT, "Span", "BaggageItem") && len(lhs) == 1:
		return p.baggageItemStmt(s, lhs[0], s.Tok, call)
	case isMethod(fn, pathOT, "Tracer", "Inject") && len(lhs) == 1 && isBlank(lhs[0]):
		return p.inject(call, s)
	case isMethod(fn, pathOT, "Tracer", "Inject") && len(lhs) == 1:
		return p.injectAssign(s, lhs[0], call)
	case (isMethod(fn, pathJConfig, "Configuration", "NewTracer", "New") || isFunc(fn, pathJConfig, "FromEnv")):
		return p.jaegerConfig(s, call)
	case isFunc(fn, pathNetHTTP, "TraceRequest") && len(lhs) == 2:
		return p.traceRequest(s, call)
	}
	return false
}

// specCall handles var declarations with such a call.
func (p *planner) specCall(vs *ast.ValueSpec, lhs []ast.Expr, call *ast.CallExpr) bool {
	if ds, ok := p.parent[p.parent[vs]].(*ast.DeclStmt); ok {
		if st := p.parseStart(ds); st != nil {
			p.startStmt(st)
			return true
		}
	}
	if isMethod(callee(p.info, call), pathOT, "Span", "BaggageItem") && len(lhs) == 1 && vs.Type == nil {
		return p.baggageItemStmt(vs, lhs[0], token.DEFINE, call)
	}
	return false
}

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

// recvOf returns the receiver expression of a method call.
func recvOf(call *ast.CallExpr) ast.Expr {
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		return sel.X
	}
	return nil
}

// stays walks a call of an OpenTracing value that stays, and reports it.
func (p *planner) stays(call *ast.CallExpr, cat string) {
	recv := recvOf(call)
	if recv != nil {
		p.value(recv, slot{k: kindOf(p.info.TypeOf(recv))})
	}
	for _, a := range call.Args {
		p.expr(a)
	}
	why := ""
	if o := p.varOf(recv); o != nil {
		why = p.why(o)
	}
	if why == "" {
		if o := p.varOf(recv); o != nil && !p.m.fixed[o] && kindOf(o.Type()) != kNone {
			if _, isCand := p.cand[o]; !isCand {
				why = o.Name() + " is an " + kindOf(o.Type()).String() + " the tool does not change (declared where its type must stay)"
			}
		}
	}
	if why == "" {
		why = p.short(recv) + " stays on OpenTracing"
	}
	p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: cat, msg: "left on otshim: " + why})
}

// spanMethod walks a method call on an opentracing.Span.
func (p *planner) spanMethod(call *ast.CallExpr, fn *types.Func, pos callPos) bool {
	recv := recvOf(call)
	cat := methodCategory(fn.Name())
	if !p.canM(recv) {
		p.stays(call, cat)
		return true
	}
	gen, why := p.spanRule(call, fn, pos)
	if why != "" {
		if o := p.varOf(recv); o != nil {
			p.veto(o, why)
			return true
		}
		p.value(recv, slot{k: kSpan})
		for _, a := range call.Args {
			p.expr(a)
		}
		p.left(call, cat, why)
		return true
	}
	p.value(recv, slot{k: kSpan, m: true})
	if gen != nil {
		p.rule(call, gen)
	}
	return true
}

func methodCategory(m string) string {
	switch m {
	case "SetTag":
		return "tags"
	case "LogFields", "LogKV", "LogEvent", "LogEventWithPayload", "Log":
		return "logs"
	case "SetBaggageItem", "BaggageItem":
		return "baggage"
	case "Finish", "FinishWithOptions", "SetOperationName":
		return "span"
	}
	return "span"
}

// spanRule returns the rewrite of a span method call, or why there is
// none.
func (p *planner) spanRule(call *ast.CallExpr, fn *types.Func, pos callPos) (func() string, string) {
	recv := recvOf(call)
	r := func() string { return p.render(recv) }
	stmt := pos != posValue
	switch fn.Name() {
	case "Finish":
		p.rewrote(call, "span", "Finish → End")
		return func() string { return r() + ".End()" }, ""
	case "FinishWithOptions":
		lit, ok := ast.Unparen(call.Args[0]).(*ast.CompositeLit)
		if !ok {
			return nil, "FinishWithOptions with options the tool cannot read"
		}
		var t ast.Expr
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok || kv.Key.(*ast.Ident).Name != "FinishTime" {
				return nil, "FinishWithOptions with log records (use AddEventAt before End)"
			}
			t = kv.Value
		}
		if t == nil {
			p.rewrote(call, "span", "FinishWithOptions → End")
			return func() string { return r() + ".End()" }, ""
		}
		p.expr(t)
		p.rewrote(call, "span", "FinishWithOptions(FinishTime) → EndAt")
		return func() string { return r() + ".EndAt(" + p.render(t) + ")" }, ""
	case "SetOperationName":
		if !stmt {
			return nil, "the span SetOperationName returns is used"
		}
		n := call.Args[0]
		p.expr(n)
		p.rewrote(call, "span", "SetOperationName → SetName")
		return func() string { return r() + ".SetName(" + p.render(n) + ")" }, ""
	case "SetTag":
		if !stmt {
			return nil, "the span SetTag returns is used"
		}
		return p.setTag(call, recv, call.Args[0], call.Args[1], pos)
	case "LogFields", "LogKV":
		if !stmt {
			return nil, "a log in an expression"
		}
		return p.logCall(call, recv, pos)
	case "LogEvent":
		if !stmt {
			return nil, "a log in an expression"
		}
		e := call.Args[0]
		p.expr(e)
		p.rewrote(call, "logs", "LogEvent → AddEvent")
		return func() string { return r() + ".AddEvent(" + p.render(e) + ")" }, ""
	case "LogEventWithPayload":
		if !stmt {
			return nil, "a log in an expression"
		}
		e, pl := call.Args[0], call.Args[1]
		p.expr(e)
		p.expr(pl)
		tq := p.q(pathTracing)
		p.rewrote(call, "logs", "LogEventWithPayload → AddEvent with a payload attribute")
		return func() string {
			return r() + ".AddEvent(" + p.render(e) + ", " + tq() + `.Any("payload", ` + p.render(pl) + "))"
		}, ""
	case "SetBaggageItem":
		if pos != posStmt {
			return nil, "the span SetBaggageItem returns is used"
		}
		return p.setBaggage(call, recv)
	case "BaggageItem":
		return p.baggageItemExpr(call, recv)
	case "Context":
		use := p.contextUse(call)
		if ta, ok := use.(*ast.TypeAssertExpr); ok {
			if as, ok := p.stmtOf[ta].(*ast.AssignStmt); ok && len(as.Lhs) > 0 {
				if v := p.varOf(as.Lhs[0]); v != nil && p.why(v) != "" {
					return nil, "its jaeger span context " + p.why(v)
				}
			}
		}
		return nil, "its span context is used where the facade has no equivalent (" + p.short(use) + ")"
	case "Tracer":
		return nil, "Span.Tracer() is used"
	}
	return nil, "Span." + fn.Name() + " has no facade equivalent"
}

// contextUse returns the expression using span.Context(), for messages.
func (p *planner) contextUse(e ast.Expr) ast.Expr {
	if x, ok := p.parent[e].(ast.Expr); ok {
		return x
	}
	return e
}

// tracerMethod walks a method call on an opentracing.Tracer outside the
// statement forms (starts, Extract, Inject) the rewrite knows.
func (p *planner) tracerMethod(call *ast.CallExpr, fn *types.Func, pos callPos) bool {
	if fn.Name() == "Inject" && pos == posStmt && p.inject(call, nil) {
		return true
	}
	recv := recvOf(call)
	p.value(recv, slot{k: kTracer})
	for _, a := range call.Args {
		p.expr(a)
	}
	if c, ok := ast.Unparen(recv).(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
		p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: "tracer", msg: "left on otshim: opentracing.GlobalTracer()." + fn.Name() + " in a form the tool does not rewrite"})
		return true
	}
	p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: "tracer", msg: "left on otshim: Tracer." + fn.Name() + " in a form the tool does not rewrite"})
	return true
}

// scMethod walks SpanContext.ForeachBaggageItem.
func (p *planner) scMethod(call *ast.CallExpr, fn *types.Func, pos callPos) bool {
	if fn.Name() == "ForeachBaggageItem" && pos == posStmt {
		if p.foreachBaggage(call) {
			return true
		}
	}
	recv := recvOf(call)
	p.expr(recv)
	for _, a := range call.Args {
		p.expr(a)
	}
	return true
}

// contextWithSpan walks opentracing.ContextWithSpan(ctx, span) that was
// not merged into the span's start.
func (p *planner) contextWithSpan(call *ast.CallExpr) bool {
	ctx, sp := call.Args[0], call.Args[1]
	if !p.canM(sp) {
		p.expr(ctx)
		p.value(sp, slot{k: kSpan})
		return true
	}
	p.expr(ctx)
	p.value(sp, slot{k: kSpan, m: true})
	tq := p.q(pathTracing)
	// OpenTracing's baggage is the span's: carry its context's.
	a := ""
	if o := p.varOf(sp); o != nil && p.assoc[o] != "" && p.assocVisible(o, call.Pos()) && p.assoc[o] != p.cur.text(ctx) {
		a = p.useAssoc(sp, call.Pos())
	}
	p.rule(call, func() string {
		out := tq() + ".ContextWithSpan(" + p.render(ctx) + ", " + p.render(sp) + ")"
		if a != "" {
			out = tq() + ".ContextWithBaggage(" + out + ", " + tq() + ".BaggageFromContext(" + a + "))"
		}
		return out
	})
	p.rewrote(call, "span", "opentracing.ContextWithSpan → tracing.ContextWithSpan")
	return true
}

// chain handles span.SetTag(…).SetTag(…) and the like as a statement.
func (p *planner) chain(s *ast.ExprStmt, call *ast.CallExpr) bool {
	var ops []*ast.CallExpr
	c := call
	for {
		fn := callee(p.info, c)
		if !isMethod(fn, pathOT, "Span", "SetTag", "SetOperationName") {
			break
		}
		ops = append(ops, c)
		inner, ok := ast.Unparen(recvOf(c)).(*ast.CallExpr)
		if !ok {
			break
		}
		if !isMethod(callee(p.info, inner), pathOT, "Span", "SetTag", "SetOperationName") {
			break
		}
		c = inner
	}
	if len(ops) < 2 {
		return false
	}
	root := recvOf(ops[len(ops)-1])
	if !p.canM(root) {
		p.call(call, posStmt, slot{})
		return true
	}
	var gens []func() string
	for i := len(ops) - 1; i >= 0; i-- {
		op := ops[i]
		fn := callee(p.info, op)
		var gen func() string
		var why string
		if fn.Name() == "SetTag" {
			gen, why = p.setTag(op, root, op.Args[0], op.Args[1], posStmt)
		} else {
			n := op.Args[0]
			p.expr(n)
			gen = func() string { return p.render(root) + ".SetName(" + p.render(n) + ")" }
		}
		if why != "" {
			if o := p.varOf(root); o != nil {
				p.veto(o, why)
			}
			p.left(call, "tags", why)
			return true
		}
		gens = append(gens, gen)
	}
	p.value(root, slot{k: kSpan, m: true})
	ind := p.cur.indent(s.Pos())
	p.rule(s, func() string {
		var out []string
		for _, g := range gens {
			if t := g(); t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, "\n"+ind)
	})
	p.rewrote(call, "tags", "chained SetTag/SetOperationName → one statement each")
	return true
}
