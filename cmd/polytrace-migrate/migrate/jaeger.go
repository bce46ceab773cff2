package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// setGlobal rewrites opentracing.SetGlobalTracer(t) with a migrated t:
// tracing.SetDefault(t), and, while OpenTracing call sites remain in the
// program, the shim as OpenTracing's global tracer.
func (p *planner) setGlobal(call *ast.CallExpr, pos callPos) bool {
	arg := call.Args[0]
	if t := p.info.TypeOf(arg); t != nil {
		if ptr, ok := t.(*types.Pointer); ok && isNamed(ptr.Elem(), pathOTShim, "Tracer") {
			p.expr(arg)
			p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: "tracer",
				msg: "left on otshim: OpenTracing's global tracer is the shim, for the call sites that remain"})
			return true
		}
	}
	if !p.canM(arg) {
		p.value(arg, slot{k: kTracer})
		why := "its tracer " + p.short(arg) + " stays an opentracing.Tracer"
		if o := p.varOf(arg); o != nil && p.why(o) != "" {
			why = p.why(o)
		}
		p.left(call, "tracer", why)
		return true
	}
	p.value(arg, slot{k: kTracer, m: true})
	tq, oq, sq := p.q(pathTracing), p.q(pathOT), p.q(pathOTShim)
	ind := p.cur.indent(call.Pos())
	if pos == posStmt {
		p.shimLines = append(p.shimLines, call)
	}
	p.rule(call, func() string {
		out := tq() + ".SetDefault(" + p.render(arg) + ")"
		if p.needShim && pos == posStmt {
			out += "\n" + ind + "// polytrace-migrate: OpenTracing call sites remain (here or in packages this one imports): the shim runs them on the default tracer\n" +
				ind + oq() + ".SetGlobalTracer(" + sq() + ".New())"
		}
		return out
	})
	p.rewrote(call, "tracer", "opentracing.SetGlobalTracer → tracing.SetDefault")
	return true
}

// cfgSeq is a jaeger-client-go configuration and the NewTracer call that
// uses it.
type cfgSeq struct {
	origin   ast.Stmt // config.FromEnv or the literal; nil when inline
	fromEnv  bool
	lit      *ast.CompositeLit
	cfg      *types.Var
	errObj   *types.Var // FromEnv's error
	errCheck ast.Stmt
	edits    []*ast.AssignStmt
	nt       *ast.AssignStmt
	ntCall   *ast.CallExpr
	svcArg   ast.Expr // Configuration.New(service, …)
}

// configLit returns the config.Configuration literal e is (or points to).
func (p *planner) configLit(e ast.Expr) *ast.CompositeLit {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok || !isNamed(p.info.TypeOf(lit), pathJConfig, "Configuration") {
		return nil
	}
	return lit
}

// jaegerConfig handles a statement of a jaeger configuration sequence:
// config.FromEnv, a Configuration literal, or NewTracer.
func (p *planner) jaegerConfig(s *ast.AssignStmt, call *ast.CallExpr) bool {
	fn := callee(p.info, call)
	seq := &cfgSeq{}
	switch {
	case isFunc(fn, pathJConfig, "FromEnv"):
		if len(s.Lhs) != 2 {
			return false
		}
		seq.origin, seq.fromEnv = s, true
		seq.cfg = p.varOf(s.Lhs[0])
		seq.errObj = p.varOf(s.Lhs[1])
	default: // NewTracer or New not reached through its configuration
		if lit := p.configLit(recvOf(call)); lit != nil {
			seq.lit, seq.nt, seq.ntCall = lit, s, call
			break
		}
		return p.leaveConfig(s, call, "the configuration "+p.short(recvOf(call))+" is built where the tool cannot follow it")
	}
	return p.runConfig(seq, s, call)
}

// configLitStmt handles cfg := config.Configuration{…}.
func (p *planner) configLitStmt(s ast.Stmt, lhs ast.Expr, rhs ast.Expr) bool {
	lit := p.configLit(rhs)
	if lit == nil {
		return false
	}
	seq := &cfgSeq{origin: s, lit: lit, cfg: p.varOf(lhs)}
	return p.runConfig(seq, s, nil)
}

func (p *planner) runConfig(seq *cfgSeq, s ast.Stmt, call *ast.CallExpr) bool {
	why := ""
	if seq.origin != nil {
		why = p.findNewTracer(seq)
		if why == "" && seq.nt == nil {
			return false // a configuration not used for a tracer here
		}
	}
	if why == "" {
		why = p.checkNewTracer(seq)
	}
	if why != "" {
		if seq.nt != nil {
			if o := p.varOf(seq.nt.Lhs[0]); o != nil && p.migrated(o) {
				p.veto(o, "it is built by "+p.short(seq.ntCall)+", which stays: "+why)
				return true
			}
			p.handled[seq.nt] = true
			p.assign2(seq.nt)
			p.left(seq.ntCall, "jaeger-config", why)
		}
		if seq.origin != nil {
			p.assign2(seq.origin)
		}
		return true
	}
	p.planConfig(seq)
	return true
}

// assign2 walks an assignment generically.
func (p *planner) assign2(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		for _, l := range s.Lhs {
			p.lhs(l)
		}
		for _, r := range s.Rhs {
			p.expr(r)
		}
	case *ast.DeclStmt:
		ast.Inspect(s, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				p.expr(e)
				return false
			}
			return true
		})
	}
}

func (p *planner) leaveConfig(s *ast.AssignStmt, call *ast.CallExpr, why string) bool {
	if o := p.varOf(s.Lhs[0]); o != nil && p.migrated(o) {
		p.veto(o, "it is built by "+p.short(call)+", which stays: "+why)
		return true
	}
	p.assign2(s)
	p.left(call, "jaeger-config", why)
	return true
}

// findNewTracer follows a configuration variable down its block to the
// NewTracer call.
func (p *planner) findNewTracer(seq *cfgSeq) string {
	if seq.cfg == nil || p.blk == nil {
		return "the configuration is not kept in a variable"
	}
	list := p.blk.list
	i := -1
	for k, st := range list {
		if st == seq.origin {
			i = k
		}
	}
	if i < 0 {
		return "the configuration is not a statement of a block"
	}
	for j := i + 1; j < len(list); j++ {
		st := list[j]
		if seq.fromEnv && j == i+1 && seq.errObj != nil && p.isErrCheck(st, seq.errObj) {
			seq.errCheck = st
			continue
		}
		if as, ok := st.(*ast.AssignStmt); ok && len(as.Rhs) == 1 {
			if c, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr); ok {
				fn := callee(p.info, c)
				if isMethod(fn, pathJConfig, "Configuration", "NewTracer", "New") && p.varOf(recvOf(c)) == seq.cfg && len(as.Lhs) == 3 {
					seq.nt, seq.ntCall = as, c
					if fn.Name() == "New" {
						if len(c.Args) == 0 {
							return "Configuration.New without a service name"
						}
						seq.svcArg = c.Args[0]
					}
					break
				}
			}
			if len(as.Lhs) == 1 && as.Tok == token.ASSIGN && p.rootVar(as.Lhs[0]) == seq.cfg && !p.uses(as.Rhs[0], seq.cfg) {
				seq.edits = append(seq.edits, as)
				continue
			}
		}
		if p.uses(st, seq.cfg) {
			return "the configuration " + seq.cfg.Name() + " is used by " + p.short(stmtExpr(st))
		}
		if seq.errObj != nil && p.uses(st, seq.errObj) {
			return "the error of config.FromEnv is used by " + p.short(stmtExpr(st))
		}
	}
	if seq.nt == nil {
		return ""
	}
	if p.usedAfter(seq.cfg, seq.nt.End()) {
		return "the configuration " + seq.cfg.Name() + " is used after NewTracer"
	}
	return ""
}

func stmtExpr(s ast.Stmt) ast.Expr {
	switch s := s.(type) {
	case *ast.ExprStmt:
		return s.X
	case *ast.AssignStmt:
		return s.Rhs[0]
	}
	return &ast.BadExpr{From: s.Pos(), To: s.End()}
}

func (p *planner) isErrCheck(s ast.Stmt, err *types.Var) bool {
	is, ok := s.(*ast.IfStmt)
	if !ok || is.Init != nil || is.Else != nil {
		return false
	}
	b, ok := is.Cond.(*ast.BinaryExpr)
	return ok && b.Op == token.NEQ && p.varOf(b.X) == err && p.isNil(b.Y)
}

// rootVar returns the variable a selector chain starts from.
func (p *planner) rootVar(e ast.Expr) *types.Var {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.SelectorExpr:
			e = x.X
		case *ast.Ident:
			return p.varOf(x)
		default:
			return nil
		}
	}
}

// uses reports whether n mentions v.
func (p *planner) uses(n ast.Node, v *types.Var) bool {
	hit := false
	ast.Inspect(n, func(c ast.Node) bool {
		if id, ok := c.(*ast.Ident); ok && p.info.Uses[id] == v {
			hit = true
		}
		return !hit
	})
	return hit
}

// jaegerOpts maps NewTracer's options to the jaeger backend's.
var jaegerOpts = map[string]string{
	"Logger":            "WithLogger",
	"Metrics":           "WithMetricsFactory",
	"Sampler":           "WithSampler",
	"Reporter":          "WithReporter",
	"MaxTagValueLength": "WithAttributeValueLengthLimit",
	"Gen128Bit":         "",
}

// checkNewTracer checks NewTracer's results and options.
func (p *planner) checkNewTracer(seq *cfgSeq) string {
	nt := seq.nt
	if len(nt.Lhs) != 3 {
		return "NewTracer's results are not assigned to three variables"
	}
	if seq.ntCall.Ellipsis.IsValid() {
		return "NewTracer's options are passed as a slice"
	}
	tr := p.varOf(nt.Lhs[0])
	if tr == nil || isBlank(nt.Lhs[0]) {
		return "the tracer is not kept in a variable"
	}
	if !p.migrated(tr) {
		return p.orWhy(tr, tr.Name()+" stays an opentracing.Tracer")
	}
	args := seq.ntCall.Args
	if seq.svcArg != nil {
		args = args[1:]
	}
	for _, a := range args {
		c, ok := ast.Unparen(a).(*ast.CallExpr)
		fn := (*types.Func)(nil)
		if ok {
			fn = callee(p.info, c)
		}
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != pathJConfig {
			return "NewTracer option " + p.short(a) + " is not one of config's"
		}
		if _, known := jaegerOpts[fn.Name()]; !known {
			return "NewTracer option config." + fn.Name() + " has no jaeger backend option"
		}
	}
	if seq.lit != nil {
		for _, e := range seq.lit.Elts {
			if _, ok := e.(*ast.KeyValueExpr); !ok {
				return "a Configuration literal without field names"
			}
		}
	}
	// the closer: Close calls, or values of type io.Closer
	if cl := p.varOf(nt.Lhs[1]); cl != nil && !isBlank(nt.Lhs[1]) {
		for id, o := range p.info.Uses {
			if o != cl {
				continue
			}
			sel, ok := p.parent[id].(*ast.SelectorExpr)
			if ok && sel.Sel.Name == "Close" {
				if c, ok := p.parent[sel].(*ast.CallExpr); ok && c.Fun == sel {
					continue
				}
			}
			if t := p.info.TypeOf(id); t == nil || !isNamed(t, "io", "Closer") {
				return "the io.Closer of NewTracer is used as a " + t.String()
			}
		}
	}
	return ""
}

// planConfig plans the rewrite of a configuration sequence.
func (p *planner) planConfig(seq *cfgSeq) {
	nt := seq.nt
	tr := p.varOf(nt.Lhs[0])
	tq, cq, jq, cfq := p.q(pathTracing), p.q("context"), p.q(pathJBackend), p.q(pathJConfig)
	fr := p.cur
	ind := fr.indent(nt.Pos())

	// where the configuration came from
	if seq.origin != nil {
		p.handled[seq.origin] = true
		redeclared := nt.Tok == token.DEFINE && p.info.Defs[identOf(nt.Lhs[0])] != nil
		if seq.fromEnv && seq.errObj != nil && p.info.Defs[seq.origin.(*ast.AssignStmt).Lhs[1].(*ast.Ident)] != nil && !redeclared && p.usedAfterExcept(seq.errObj, seq.origin.End(), seq.errCheck) {
			name := seq.errObj.Name()
			p.rule(seq.origin, func() string { return "var " + name + " error" })
		} else {
			p.del(seq.origin)
		}
	}
	if seq.errCheck != nil {
		p.handled[seq.errCheck] = true
		p.del(seq.errCheck)
	}
	for _, e := range seq.edits {
		p.handled[e] = true
		p.del(e)
		p.expr(e.Rhs[0])
	}
	p.handled[nt] = true

	// the configuration's settings
	var svc ast.Expr = seq.svcArg
	var sets []func() string
	param := "cfg"
	if seq.cfg != nil {
		param = seq.cfg.Name()
	} else if fr.names["cfg"] {
		param = p.freshName("jcfg")
	}
	if seq.lit != nil {
		for _, e := range seq.lit.Elts {
			kv := e.(*ast.KeyValueExpr)
			name := kv.Key.(*ast.Ident).Name
			v := kv.Value
			p.expr(v)
			switch name {
			case "ServiceName":
				if svc == nil {
					svc = v
				}
			case "Gen128Bit":
			default:
				sets = append(sets, func() string { return param + "." + name + " = " + p.render(v) })
			}
		}
	}
	for _, e := range seq.edits {
		if sel, ok := e.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "ServiceName" && p.varOf(sel.X) == seq.cfg {
			svc = e.Rhs[0]
			continue
		}
		e := e
		sets = append(sets, func() string { return p.splice(e) })
	}
	args := seq.ntCall.Args
	if seq.svcArg != nil {
		args = args[1:]
		p.expr(seq.svcArg)
	}
	type opt struct {
		name string
		arg  ast.Expr
	}
	var opts []opt
	for _, a := range args {
		c := ast.Unparen(a).(*ast.CallExpr)
		fn := callee(p.info, c)
		for _, x := range c.Args {
			p.expr(x)
		}
		if n := jaegerOpts[fn.Name()]; n != "" {
			opts = append(opts, opt{n, c.Args[0]})
		}
	}

	// the closer
	closerUses := map[*ast.Ident]bool{}
	if cl := p.varOf(nt.Lhs[1]); cl != nil && !isBlank(nt.Lhs[1]) {
		for id, o := range p.info.Uses {
			if o == cl {
				closerUses[id] = true
			}
		}
	}
	trName := tr.Name()
	for id := range closerUses {
		sel, ok := p.parent[id].(*ast.SelectorExpr)
		if ok && sel.Sel.Name == "Close" {
			if c, ok := p.parent[sel].(*ast.CallExpr); ok && c.Fun == sel {
				p.handled[c] = true
				p.rule(c, func() string { return trName + ".Shutdown(" + cq() + ".Background())" })
				continue
			}
		}
		p.rule(id, func() string { return p.closerType(fr, tq, cq) + "{" + trName + "}" })
	}

	tok := nt.Tok
	if tok == token.DEFINE {
		newVar := false
		for _, l := range []ast.Expr{nt.Lhs[0], nt.Lhs[2]} {
			if id, ok := l.(*ast.Ident); ok && p.info.Defs[id] != nil {
				newVar = true
			}
		}
		if !newVar {
			tok = token.ASSIGN
		}
	}
	fromEnv := seq.fromEnv
	p.rule(nt, func() string {
		if len(opts) == 0 && len(sets) == 0 {
			fr.blank(pathJBackend) // registers the jaeger backend
		}
		var o []string
		if svc != nil {
			o = append(o, tq()+".WithServiceName("+p.render(svc)+")")
		}
		var bo []string
		if len(sets) > 0 {
			var lines []string
			for _, s := range sets {
				lines = append(lines, ind+"\t"+s())
			}
			bo = append(bo, jq()+".WithConfig(func("+param+" *"+cfq()+".Configuration) {\n"+strings.Join(lines, "\n")+"\n"+ind+"})")
		}
		for _, x := range opts {
			bo = append(bo, jq()+"."+x.name+"("+p.render(x.arg)+")")
		}
		if len(bo) > 0 {
			o = append(o, tq()+".WithBackendOptions("+strings.Join(bo, ", ")+")")
		}
		rhs := tq() + ".Open(" + cq() + `.Background(), "jaeger"`
		if fromEnv {
			// The service reported to Jaeger with no TRACING_BACKEND:
			// it keeps doing so, and operators can switch it.
			rhs = tq() + ".FromEnv(" + cq() + `.Background(), ` + tq() + `.WithDefaultBackend("jaeger")`
		}
		if len(o) > 0 {
			rhs += ", " + strings.Join(o, ", ")
		}
		rhs += ")"
		return p.render(nt.Lhs[0]) + ", " + p.render(nt.Lhs[2]) + " " + tok.String() + " " + rhs
	})
	if fromEnv {
		p.rewrote(seq.ntCall, "jaeger-config", "config.FromEnv + NewTracer → tracing.FromEnv with WithDefaultBackend(\"jaeger\") and the jaeger backend's options (the JAEGER_* variables still apply; TRACING_BACKEND switches the backend); the closer → Shutdown")
	} else {
		p.rewrote(seq.ntCall, "jaeger-config", `config.Configuration.NewTracer → tracing.Open(ctx, "jaeger", …) with the jaeger backend's options; the closer → Shutdown`)
	}
}

// usedAfterExcept reports whether v is read after pos outside skip.
func (p *planner) usedAfterExcept(v *types.Var, pos token.Pos, skip ast.Node) bool {
	for id, o := range p.info.Uses {
		if o != v || id.Pos() <= pos {
			continue
		}
		if skip != nil && skip.Pos() <= id.Pos() && id.End() <= skip.End() {
			continue
		}
		return true
	}
	return false
}

// closerType returns the name of the io.Closer over a *tracing.Tracer the
// rewrite adds to the package (once), where jaeger-client-go's NewTracer
// returned a closer that is passed on.
func (p *planner) closerType(fr *fileRW, tq, cq func() string) string {
	const name = "shutdownCloser"
	if o := p.pass.Pkg.Scope().Lookup(name); o != nil {
		return name
	}
	decl := "// " + name + " is the io.Closer jaeger-client-go's NewTracer returned\n" +
		"// (added by polytrace-migrate): Close shuts the tracer down.\n" +
		"type " + name + " struct{ t *" + tq() + ".Tracer }\n\n" +
		"// Close flushes the tracer's spans and stops it.\n" +
		"func (c " + name + ") Close() error { return c.t.Shutdown(" + cq() + ".Background()) }\n"
	for _, f := range p.m.files {
		for _, t := range f.tail {
			if t == decl {
				return name
			}
		}
	}
	fr.tail = append(fr.tail, decl)
	return name
}

// jaegerAssert rewrites span.Context().(jaeger.SpanContext) into
// span.SpanContext() where what is read of it exists in the facade.
func (p *planner) jaegerAssert(ta *ast.TypeAssertExpr, s slot) bool {
	if !isNamed(p.info.TypeOf(ta.Type), pathJaeger, "SpanContext") || !isSpanContextCall(p, ast.Unparen(ta.X)) {
		return false
	}
	sp := recvOf(ast.Unparen(ta.X).(*ast.CallExpr))
	if !p.canM(sp) {
		return false
	}
	if s.obj != nil {
		if !s.m {
			return false
		}
	} else if !p.jscUseOK(ta) {
		return false
	}
	p.value(sp, slot{k: kSpan, m: true})
	p.rule(ta, func() string { return p.render(sp) + ".SpanContext()" })
	p.rewrote(ta, "span-context", "span.Context().(jaeger.SpanContext) → span.SpanContext()")
	return true
}

// jaegerAssertOK rewrites jsc, ok := span.Context().(jaeger.SpanContext).
func (p *planner) jaegerAssertOK(s *ast.AssignStmt, ta *ast.TypeAssertExpr) bool {
	if !isNamed(p.info.TypeOf(ta.Type), pathJaeger, "SpanContext") || !isSpanContextCall(p, ast.Unparen(ta.X)) {
		return false
	}
	sp := recvOf(ast.Unparen(ta.X).(*ast.CallExpr))
	jsc := p.varOf(s.Lhs[0])
	if jsc == nil || !p.migrated(jsc) || !p.canM(sp) {
		if jsc != nil && p.migrated(jsc) {
			p.veto(jsc, "its span stays an opentracing.Span")
			return true
		}
		return false
	}
	p.value(sp, slot{k: kSpan, m: true})
	p.lhs(s.Lhs[1])
	p.rule(s, func() string {
		sc := p.render(sp) + ".SpanContext()"
		return p.render(s.Lhs[0]) + ", " + p.render(s.Lhs[1]) + " " + s.Tok.String() + " " + sc + ", " + sc + ".IsValid()"
	})
	p.rewrote(ta, "span-context", "span.Context().(jaeger.SpanContext) → span.SpanContext()")
	return true
}

// jscUseOK reports whether a jaeger.SpanContext value is only read in
// ways the facade's SpanContext reads the same.
func (p *planner) jscUseOK(e ast.Expr) bool {
	sel, ok := p.parent[e].(*ast.SelectorExpr)
	if !ok {
		return false
	}
	call, ok := p.parent[sel].(*ast.CallExpr)
	if !ok || call.Fun != sel {
		return false
	}
	switch sel.Sel.Name {
	case "IsSampled", "IsValid":
		return true
	case "TraceID", "SpanID":
		s2, ok := p.parent[call].(*ast.SelectorExpr)
		if !ok {
			return false
		}
		c2, ok := p.parent[s2].(*ast.CallExpr)
		return ok && c2.Fun == s2 && (s2.Sel.Name == "String" || s2.Sel.Name == "IsValid")
	}
	return false
}

// jscMethod walks a method call on a jaeger.SpanContext.
func (p *planner) jscMethod(call *ast.CallExpr, fn *types.Func) bool {
	recv := recvOf(call)
	if o := p.varOf(recv); o != nil && p.migrated(o) {
		if !p.jscUseOK(recv) {
			p.veto(o, "it is read with "+p.short(p.contextUse(call))+", which the facade's SpanContext does not have")
		}
		return true
	}
	p.expr(recv)
	for _, a := range call.Args {
		p.expr(a)
	}
	return true
}
