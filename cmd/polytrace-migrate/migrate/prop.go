package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
)

// useAssoc returns the context variable carrying span e at pos, and
// records that the rewrite reads it.
func (p *planner) useAssoc(e ast.Expr, pos token.Pos) string {
	o := p.varOf(e)
	if o == nil || p.assoc[o] == "" || !p.assocVisible(o, pos) {
		return ""
	}
	p.assocUsed[o] = true
	return p.assoc[o]
}

// consume records a use of a span variable that the rewrite drops (its
// context is used instead): a variable left with no use is not declared.
func (p *planner) consume(e ast.Expr) {
	if o := p.varOf(e); o != nil {
		p.consumed[o]++
	}
}

// unused reports whether every use of a span variable was dropped.
func (p *planner) unused(o types.Object) bool {
	if o == nil || p.consumed[o] == 0 {
		return false
	}
	n := 0
	for _, u := range p.info.Uses {
		if u == o {
			n++
		}
	}
	return n == p.consumed[o]
}

// spanCtx returns the generator of a context carrying span sp at pos:
// its context variable when that still carries exactly the span (and is
// base, if given), else tracing.ContextWithSpan(base, sp) with base the
// given context, the span's context variable, or context.Background().
func (p *planner) spanCtx(sp ast.Expr, pos token.Pos, base ast.Expr) func() string {
	tq, cq := p.q(pathTracing), p.q("context")
	if c, ok := ast.Unparen(sp).(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "SpanFromContext") && base == nil {
		// opentracing.SpanFromContext(ctx): ctx carries it
		arg := c.Args[0]
		p.expr(arg)
		return func() string { return p.render(arg) }
	}
	a := ""
	if o := p.varOf(sp); o != nil && p.assoc[o] != "" && p.assocVisible(o, pos) {
		a = p.assoc[o]
	}
	exact := a != "" && p.assocExact(p.varOf(sp))
	switch {
	case exact && (base == nil || p.cur.text(base) == a):
		p.useAssoc(sp, pos)
		p.consume(sp)
		return func() string { return a }
	case base == nil && a != "":
		p.useAssoc(sp, pos)
	default:
		a = ""
	}
	return func() string {
		b := a
		switch {
		case base != nil:
			b = p.render(base)
		case b == "":
			b = cq() + ".Background()"
		}
		return tq() + ".ContextWithSpan(" + b + ", " + p.render(sp) + ")"
	}
}

// assocExact reports whether the context variable of a span is not
// assigned after it was associated with the span.
func (p *planner) assocExact(o types.Object) bool {
	if p.assocExpr[o] != nil {
		return true // checked by assocVisible
	}
	v := p.assocObj[o]
	if v == nil {
		return true // declared by the rewrite
	}
	at := p.assocAt[o]
	if p.fn == nil {
		return false
	}
	body := p.fn.body
	for f := p.fn; f != nil; f = f.outer {
		body = f.body
	}
	exact := true
	ast.Inspect(body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || as.Pos() <= at {
			return exact
		}
		for _, l := range as.Lhs {
			if p.varOf(l) == v {
				exact = false
			}
		}
		return exact
	})
	return exact
}

// setBaggage rewrites span.SetBaggageItem(k, v): baggage is the
// context's in the facade, so the span's context variable gets it.
func (p *planner) setBaggage(call *ast.CallExpr, recv ast.Expr) (func() string, string) {
	a := p.useAssoc(recv, call.Pos())
	if o := p.varOf(recv); a != "" && o != nil && p.assocExpr[o] != nil {
		a = "" // an expression cannot take the new baggage
	}
	if a == "" {
		return nil, "SetBaggageItem on a span whose context is not in sight (the facade keeps baggage in the context)"
	}
	k, v := call.Args[0], call.Args[1]
	p.expr(k)
	p.expr(v)
	p.consume(recv)
	tq := p.q(pathTracing)
	ind := p.cur.indent(call.Pos())
	bag, errName := "bag", "err"
	if a == bag {
		bag = "bag2"
	}
	if a == errName {
		errName = "err2"
	}
	p.rewrote(call, "baggage", "SetBaggageItem → tracing.ContextWithBaggage on "+a)
	return func() string {
		return "if " + bag + ", " + errName + " := " + tq() + ".BaggageFromContext(" + a + ").With(" + p.render(k) + ", " + p.render(v) + "); " + errName + " == nil {\n" +
			ind + "\t" + a + " = " + tq() + ".ContextWithBaggage(" + a + ", " + bag + ")\n" + ind + "}"
	}, ""
}

// baggageItemExpr rewrites span.BaggageItem(k) inside an expression.
func (p *planner) baggageItemExpr(call *ast.CallExpr, recv ast.Expr) (func() string, string) {
	a := p.useAssoc(recv, call.Pos())
	if a == "" {
		return nil, "BaggageItem on a span whose context is not in sight (the facade keeps baggage in the context)"
	}
	k := call.Args[0]
	p.expr(k)
	p.consume(recv)
	tq := p.q(pathTracing)
	p.rewrote(call, "baggage", "BaggageItem → tracing.BaggageFromContext("+a+").Get")
	return func() string {
		return "func() string { v, _ := " + tq() + ".BaggageFromContext(" + a + ").Get(" + p.render(k) + "); return v }()"
	}, ""
}

// baggageItemStmt rewrites v := span.BaggageItem(k) into
// v, _ := tracing.BaggageFromContext(ctx).Get(k).
func (p *planner) baggageItemStmt(n ast.Node, lhs ast.Expr, tok token.Token, call *ast.CallExpr) bool {
	recv := recvOf(call)
	if !p.canM(recv) {
		return false
	}
	a := p.useAssoc(recv, call.Pos())
	if a == "" {
		if o := p.varOf(recv); o != nil {
			p.veto(o, "BaggageItem on a span whose context is not in sight (the facade keeps baggage in the context)")
			return true
		}
		return false
	}
	p.lhs(lhs)
	p.consume(recv)
	k := call.Args[0]
	p.expr(k)
	tq := p.q(pathTracing)
	_, spec := n.(*ast.ValueSpec)
	p.rule(n, func() string {
		op := " " + tok.String() + " "
		if spec {
			op = " = "
		}
		return p.render(lhs) + ", _" + op + tq() + ".BaggageFromContext(" + a + ").Get(" + p.render(k) + ")"
	})
	p.rewrote(call, "baggage", "BaggageItem → tracing.BaggageFromContext("+a+").Get")
	return true
}

// foreachBaggage rewrites span.Context().ForeachBaggageItem(f) (or on an
// extracted span context) into a loop over the context's baggage.
func (p *planner) foreachBaggage(call *ast.CallExpr) bool {
	recv := ast.Unparen(recvOf(call))
	var ctx string
	switch {
	case isSpanContextCall(p, recv):
		sp := recvOf(recv.(*ast.CallExpr))
		if !p.canM(sp) {
			return false
		}
		ctx = p.useAssoc(sp, call.Pos())
		p.consume(sp)
		if ctx == "" {
			if o := p.varOf(sp); o != nil {
				p.veto(o, "ForeachBaggageItem on a span whose context is not in sight (the facade keeps baggage in the context)")
				return true
			}
			return false
		}
	default:
		v := p.varOf(recv)
		if v == nil || kindOf(v.Type()) != kSpanCtx || !p.migrated(v) {
			return false
		}
		ctx = v.Name()
	}
	f := call.Args[0]
	p.expr(f)
	tq := p.q(pathTracing)
	ind := p.cur.indent(call.Pos())
	m := p.freshName("member")
	p.rule(call, func() string {
		return "for _, " + m + " := range " + tq() + ".BaggageFromContext(" + ctx + ").Members() {\n" +
			ind + "\tif !" + p.render(f) + "(" + m + ".Key, " + m + ".Value) {\n" +
			ind + "\t\tbreak\n" + ind + "\t}\n" + ind + "}"
	})
	p.rewrote(call, "baggage", "ForeachBaggageItem → a loop over tracing.BaggageFromContext(…).Members()")
	return true
}

func isSpanContextCall(p *planner, e ast.Expr) bool {
	c, ok := e.(*ast.CallExpr)
	return ok && isMethod(callee(p.info, c), pathOT, "Span", "Context")
}

// carrier converts an OpenTracing carrier to the facade's.
func (p *planner) carrier(e ast.Expr) (func() string, string) {
	e = ast.Unparen(e)
	tq := p.q(pathTracing)
	conv := func(ctor string, x ast.Expr) func() string {
		p.expr(x)
		return func() string { return tq() + "." + ctor + "(" + p.render(x) + ")" }
	}
	if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
		if tv := p.info.Types[call.Fun]; tv.IsType() {
			switch {
			case isNamed(tv.Type, pathOT, "HTTPHeadersCarrier"):
				return conv("HeaderCarrier", call.Args[0]), ""
			case isNamed(tv.Type, pathOT, "TextMapCarrier"):
				return conv("MapCarrier", call.Args[0]), ""
			}
		}
	}
	t := p.info.TypeOf(e)
	switch {
	case t == nil:
	case isNamed(t, pathOT, "HTTPHeadersCarrier"), isNamed(t, "net/http", "Header"):
		return conv("HeaderCarrier", e), ""
	case isNamed(t, pathOT, "TextMapCarrier"):
		return conv("MapCarrier", e), ""
	default:
		if m, ok := t.Underlying().(*types.Map); ok && types.Identical(m.Key(), types.Typ[types.String]) && types.Identical(m.Elem(), types.Typ[types.String]) {
			return conv("MapCarrier", e), ""
		}
	}
	return nil, "carrier " + p.short(e) + " has no facade equivalent (HTTP headers and string maps do)"
}

func (p *planner) format(e ast.Expr) string {
	switch pkgObjName(p.info, e, pathOT) {
	case "HTTPHeaders", "TextMap":
		return ""
	}
	return "format " + p.short(e) + " (the facade propagates through HTTP headers and string maps)"
}

// tracerRecv returns the text of the tracer a method call is made on:
// the package for the global tracer.
func (p *planner) tracerRecv(call *ast.CallExpr) (tr ast.Expr, global bool) {
	x := recvOf(call)
	if c, ok := ast.Unparen(x).(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
		return nil, true
	}
	return x, false
}

// extract rewrites sc, _ := tracer.Extract(format, carrier) into
// sc := tracer.Extract(base, carrier'): the facade's span context lives in
// a context, built on the context of the start that uses it.
func (p *planner) extract(s *ast.AssignStmt, call *ast.CallExpr) bool {
	sc := p.varOf(s.Lhs[0])
	tr, global := p.tracerRecv(call)
	fail := func(why string) bool {
		if sc != nil && p.migrated(sc) {
			p.veto(sc, why)
			return true
		}
		p.lhs(s.Lhs[0])
		p.lhs(s.Lhs[1])
		p.call(call, posValue, slot{})
		if sc != nil {
			p.left(call, "propagation", p.orWhy(sc, why))
		} else {
			p.left(call, "propagation", why)
		}
		return true
	}
	if sc == nil {
		return fail("the extracted span context is discarded")
	}
	if !p.migrated(sc) {
		return fail(sc.Name() + " stays an opentracing.SpanContext")
	}
	if !global && !p.canM(tr) {
		return fail("its tracer " + p.short(tr) + " stays an opentracing.Tracer")
	}
	if why := p.format(call.Args[0]); why != "" {
		return fail(why)
	}
	if errID := s.Lhs[1]; !isBlank(errID) {
		if v := p.varOf(errID); v == nil || p.info.Defs[errID.(*ast.Ident)] != nil || p.usedAfter(v, s.End()) {
			return fail("the error of Extract is used (the facade's Extract has none: malformed input is ignored)")
		}
	}
	eb := p.extBase[sc]
	if eb.bad != "" {
		return fail(eb.bad)
	}
	cgen, why := p.carrier(call.Args[1])
	if why != "" {
		return fail(why)
	}
	if !global {
		p.value(tr, slot{k: kTracer, m: true})
	}
	tq, cq := p.q(pathTracing), p.q("context")
	tok := token.ASSIGN
	if id, ok := s.Lhs[0].(*ast.Ident); ok && s.Tok == token.DEFINE && p.info.Defs[id] != nil {
		tok = token.DEFINE
	}
	p.rule(s, func() string {
		recv := tq()
		if !global {
			recv = p.render(tr)
		}
		base := cq() + ".Background()"
		if eb.base != nil {
			base = p.render(eb.base)
		}
		return sc.Name() + " " + tok.String() + " " + recv + ".Extract(" + base + ", " + cgen() + ")"
	})
	p.rewrote(call, "propagation", "Tracer.Extract → Tracer.Extract(ctx, carrier): "+sc.Name()+" becomes a context.Context")
	return true
}

// usedAfter reports whether v is read after pos.
func (p *planner) usedAfter(v *types.Var, pos token.Pos) bool {
	for id, o := range p.info.Uses {
		if o == v && id.Pos() > pos {
			return true
		}
	}
	return false
}

// inject rewrites tracer.Inject(sc, format, carrier) as a statement (or
// _ = …); as is the assignment, if any.
func (p *planner) inject(call *ast.CallExpr, as *ast.AssignStmt) bool {
	gen, why := p.injectRule(call)
	if why != "" {
		return false
	}
	if as != nil {
		p.rule(as, gen)
	} else {
		p.rule(call, gen)
	}
	return true
}

func (p *planner) injectRule(call *ast.CallExpr) (func() string, string) {
	if len(call.Args) != 3 {
		return nil, "Inject"
	}
	tr, global := p.tracerRecv(call)
	if !global && !p.canM(tr) {
		return nil, "its tracer stays an opentracing.Tracer"
	}
	if why := p.format(call.Args[1]); why != "" {
		return nil, why
	}
	// the span context: span.Context(), SpanFromContext(ctx).Context(), or an extracted one
	tq := p.q(pathTracing)
	scArg := ast.Unparen(call.Args[0])
	var ctx func() string
	var spanExpr ast.Expr
	switch {
	case isSpanContextCall(p, scArg):
		sp := ast.Unparen(recvOf(scArg.(*ast.CallExpr)))
		if c, ok := sp.(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "SpanFromContext") {
			arg := c.Args[0]
			ctx = func() string { return p.render(arg) }
			p.expr(arg)
			break
		}
		if !p.canM(sp) {
			return nil, "its span stays an opentracing.Span"
		}
		spanExpr = sp
		ctx = p.spanCtx(sp, call.Pos(), nil)
	default:
		v := p.varOf(scArg)
		if v == nil || kindOf(v.Type()) != kSpanCtx || !p.migrated(v) {
			return nil, "its span context " + p.short(scArg) + " is not one the tool can follow"
		}
		ctx = func() string { return v.Name() }
	}
	cgen, why := p.carrier(call.Args[2])
	if why != "" {
		return nil, why
	}
	if spanExpr != nil {
		p.value(spanExpr, slot{k: kSpan, m: true})
	}
	if !global {
		p.value(tr, slot{k: kTracer, m: true})
	}
	p.rewrote(call, "propagation", "Tracer.Inject(span.Context(), format, carrier) → Tracer.Inject(ctx, carrier)")
	return func() string {
		recv := tq()
		if !global {
			recv = p.render(tr)
		}
		return recv + ".Inject(" + ctx() + ", " + cgen() + ")"
	}, ""
}

// injectAssign rewrites err = tracer.Inject(…) (or err := …): the
// facade's Inject cannot fail, so err becomes nil where it is read later
// (declared, for :=), and the checks that follow stay as they were.
func (p *planner) injectAssign(s *ast.AssignStmt, lhs ast.Expr, call *ast.CallExpr) bool {
	gen, why := p.injectRule(call)
	if why != "" {
		return false
	}
	v := p.varOf(lhs)
	used := v != nil && p.usedAfter(v, s.End())
	ind := p.cur.indent(s.Pos())
	define := s.Tok == token.DEFINE
	p.rule(s, func() string {
		out := gen()
		switch {
		case !used:
		case define:
			out += "\n" + ind + "var " + p.render(lhs) + " error // tracing.Inject cannot fail"
		default:
			out += "\n" + ind + p.render(lhs) + " = nil // tracing.Inject cannot fail"
		}
		return out
	})
	return true
}

// injectIf rewrites if err := tracer.Inject(…); err != nil { … }: the
// facade's Inject cannot fail.
func (p *planner) injectIf(s *ast.IfStmt) bool {
	as, ok := s.Init.(*ast.AssignStmt)
	if !ok || s.Else != nil || len(as.Lhs) != 1 || len(as.Rhs) != 1 || as.Tok != token.DEFINE {
		return false
	}
	call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
	if !ok || !isMethod(callee(p.info, call), pathOT, "Tracer", "Inject") {
		return false
	}
	gen, why := p.injectRule(call)
	if why != "" {
		return false
	}
	p.rule(s, gen)
	return true
}
