package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// nethttpMiddleware rewrites nethttp.Middleware(tracer, h, opts…) and
// MiddlewareFunc into tracehttp.Handler, keeping nethttp's span names
// ("HTTP GET", or OperationNameFunc's) with WithSpanNamer.
func (p *planner) nethttpMiddleware(call *ast.CallExpr, fn *types.Func) bool {
	if len(call.Args) < 2 {
		return false
	}
	tr, h := ast.Unparen(call.Args[0]), call.Args[1]
	global := false
	if c, ok := tr.(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
		global = true
	}
	leave := func(why string) bool {
		p.value(tr, slot{k: kTracer})
		for _, a := range call.Args[1:] {
			p.expr(a)
		}
		p.left(call, "nethttp", why)
		return true
	}
	if !global && !p.canM(tr) {
		return leave("its tracer " + p.short(tr) + " stays an opentracing.Tracer")
	}
	if call.Ellipsis.IsValid() {
		return leave("its options are passed as a slice")
	}
	hq, tq := p.q(pathTraceHTTP), p.q("net/http")
	var namer func() string
	var opts []func() string
	var notes []string
	for _, o := range call.Args[2:] {
		c, ok := ast.Unparen(o).(*ast.CallExpr)
		ofn := (*types.Func)(nil)
		if ok {
			ofn = callee(p.info, c)
		}
		if ofn == nil || ofn.Pkg() == nil || ofn.Pkg().Path() != pathNetHTTP {
			return leave("option " + p.short(o) + " is not one of nethttp's")
		}
		switch ofn.Name() {
		case "OperationNameFunc":
			namer = p.spanNamer(c.Args[0])
		case "MWSpanFilter":
			f := c.Args[0]
			p.expr(f)
			opts = append(opts, func() string { return hq() + ".WithFilter(" + p.render(f) + ")" })
		case "MWComponentName":
			p.expr(c.Args[0])
			notes = append(notes, "the component tag is not recorded")
		case "MWURLTagFunc":
			p.expr(c.Args[0])
			notes = append(notes, "url.path is recorded (query values never are) instead of MWURLTagFunc's tag")
		default:
			return leave("option nethttp." + ofn.Name() + " has no tracehttp equivalent")
		}
	}
	if namer == nil {
		namer = func() string {
			return "func(r *" + tq() + `.Request, _ string) string { return "HTTP " + r.Method }`
		}
	}
	if !global {
		p.value(tr, slot{k: kTracer, m: true})
	}
	p.expr(h)
	isFunc := fn.Name() == "MiddlewareFunc"
	p.rule(call, func() string {
		var o []string
		if !global {
			o = append(o, hq()+".WithTracer("+p.render(tr)+")")
		}
		o = append(o, hq()+".WithSpanNamer("+namer()+")")
		for _, f := range opts {
			o = append(o, f())
		}
		hh := p.render(h)
		if isFunc {
			return tq() + ".HandlerFunc(" + hq() + ".Handler(" + tq() + ".HandlerFunc(" + hh + "), " + strings.Join(o, ", ") + ").ServeHTTP)"
		}
		return hq() + ".Handler(" + hh + ", " + strings.Join(o, ", ") + ")"
	})
	msg := "nethttp." + fn.Name() + " → tracehttp.Handler (span names kept with WithSpanNamer)"
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	p.rewrote(call, "nethttp", msg)
	return true
}

// spanNamer adapts OperationNameFunc's func(*http.Request) string to
// WithSpanNamer's func(*http.Request, string) string.
func (p *planner) spanNamer(f ast.Expr) func() string {
	p.expr(f)
	tq := p.q("net/http")
	if lit, ok := ast.Unparen(f).(*ast.FuncLit); ok && len(lit.Type.Params.List) == 1 && len(lit.Type.Params.List[0].Names) <= 1 {
		return func() string {
			name := "_"
			if n := lit.Type.Params.List[0].Names; len(n) == 1 {
				name = n[0].Name
			}
			return "func(" + name + " *" + tq() + ".Request, _ string) string " + p.render(lit.Body)
		}
	}
	r := p.freshName("r")
	return func() string {
		return "func(" + r + " *" + tq() + ".Request, _ string) string { return " + p.render(f) + "(" + r + ") }"
	}
}

// transportDest reports whether a nethttp.Transport literal goes where
// an http.RoundTripper is expected.
func (p *planner) transportDest(lit *ast.CompositeLit) (ast.Expr, bool) {
	var e ast.Expr = lit
	if u, ok := p.parent[lit].(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u
	}
	var dest types.Type
	switch par := p.parent[e].(type) {
	case *ast.KeyValueExpr:
		if id, ok := par.Key.(*ast.Ident); ok {
			if f, ok := p.info.Uses[id].(*types.Var); ok {
				dest = f.Type()
			}
		}
	case *ast.AssignStmt:
		for i, r := range par.Rhs {
			if r == e && i < len(par.Lhs) && par.Tok == token.ASSIGN {
				dest = p.info.TypeOf(par.Lhs[i])
			}
		}
	case *ast.CallExpr:
		if sig, ok := p.sigOf(par); ok {
			for i, a := range par.Args {
				if a == e && i < sig.Params().Len() && !(sig.Variadic() && i >= sig.Params().Len()-1) {
					dest = sig.Params().At(i).Type()
				}
			}
		}
	}
	return e, dest != nil && isNamed(dest, "net/http", "RoundTripper")
}

// complitAPI handles composite literals of known APIs:
// nethttp.Transport and jaeger configurations.
func (p *planner) complitAPI(x *ast.CompositeLit) bool {
	if !isNamed(p.info.TypeOf(x), pathNetHTTP, "Transport") {
		return false
	}
	e, ok := p.transportDest(x)
	var rt ast.Expr
	for _, elt := range x.Elts {
		kv, isKV := elt.(*ast.KeyValueExpr)
		if !isKV {
			ok = false
			break
		}
		if kv.Key.(*ast.Ident).Name == "RoundTripper" {
			rt = kv.Value
		}
	}
	for _, elt := range x.Elts {
		p.expr(elt)
	}
	if !ok {
		p.left(x, "nethttp", "this nethttp.Transport is kept as a value of its own type (tracehttp.Transport returns an http.RoundTripper)")
		return true
	}
	hq, tq := p.q(pathTraceHTTP), p.q("net/http")
	p.rule(e, func() string {
		r := "nil"
		if rt != nil {
			r = p.render(rt)
		}
		return hq() + ".Transport(" + r + ", " + hq() + ".WithSpanNamer(func(r *" + tq() + `.Request, _ string) string { return "HTTP " + r.Method }))`
	})
	p.rewrote(x, "nethttp", "nethttp.Transport → tracehttp.Transport (span names kept with WithSpanNamer)")
	return true
}

// transportsOK reports whether the package builds nethttp.Transports, and
// each where the rewrite turns it into a tracehttp.Transport: then the
// requests it traces with TraceRequest go through a transport that
// traces and injects without it.
func (p *planner) transportsOK() bool {
	n := 0
	for _, fr := range p.files {
		bad := false
		ast.Inspect(fr.f, func(c ast.Node) bool {
			if lit, ok := c.(*ast.CompositeLit); ok && isNamed(p.info.TypeOf(lit), pathNetHTTP, "Transport") {
				n++
				if _, ok := p.transportDest(lit); !ok {
					bad = true
				}
			}
			return true
		})
		if bad {
			return false
		}
	}
	return n > 0
}

// traceRequest rewrites req, ht := nethttp.TraceRequest(tracer, req0, …):
// ht becomes the span nethttp started around the request ("HTTP
// Client"), in req's context, for tracehttp.Transport's spans to nest
// under.
func (p *planner) traceRequest(s *ast.AssignStmt, call *ast.CallExpr) bool {
	ht := p.varOf(s.Lhs[1])
	tr := ast.Unparen(call.Args[0])
	global := false
	if c, ok := tr.(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
		global = true
	}
	fail := func(why string) bool {
		if ht != nil && p.migrated(ht) {
			p.veto(ht, why)
			return true
		}
		p.lhs(s.Lhs[0])
		p.lhs(s.Lhs[1])
		p.value(tr, slot{k: kTracer})
		for _, a := range call.Args[1:] {
			p.expr(a)
		}
		p.left(call, "nethttp", why)
		return true
	}
	switch {
	case ht == nil || !p.migrated(ht):
		why := "the request's tracer is discarded"
		if ht != nil {
			why = p.orWhy(ht, ht.Name()+" stays a *nethttp.Tracer")
		}
		return fail(why)
	case !global && !p.canM(tr):
		return fail("its tracer " + p.short(tr) + " stays an opentracing.Tracer")
	case len(call.Args) < 2 || call.Ellipsis.IsValid():
		return fail("TraceRequest's options are passed as a slice")
	case !p.transportsOK():
		return fail("the transport its request goes through is not a nethttp.Transport built in this package (the rewrite must turn both into tracehttp)")
	}
	var name ast.Expr
	for _, o := range call.Args[2:] {
		c, ok := ast.Unparen(o).(*ast.CallExpr)
		ofn := (*types.Func)(nil)
		if ok {
			ofn = callee(p.info, c)
		}
		if ofn == nil || ofn.Pkg() == nil || ofn.Pkg().Path() != pathNetHTTP {
			return fail("option " + p.short(o) + " is not one of nethttp's")
		}
		switch ofn.Name() {
		case "OperationName":
			name = c.Args[0]
		case "ComponentName", "ClientTrace", "URLTagFunc":
		default:
			return fail("option nethttp." + ofn.Name() + " has no tracehttp equivalent")
		}
	}
	for _, o := range call.Args[2:] {
		p.expr(o)
	}
	if !global {
		p.value(tr, slot{k: kTracer, m: true})
	}
	req0 := call.Args[1]
	p.expr(req0)
	p.lhs(s.Lhs[0])
	tq := p.q(pathTracing)
	ctxName := p.freshName("reqCtx")
	ind := p.cur.indent(s.Pos())
	reqTok := token.ASSIGN
	if id, ok := s.Lhs[0].(*ast.Ident); ok && s.Tok == token.DEFINE && p.info.Defs[id] != nil {
		reqTok = token.DEFINE
	}
	p.rule(s, func() string {
		recv := tq()
		if !global {
			recv = p.render(tr)
		}
		n := `"HTTP Client"`
		if name != nil {
			n = p.render(name)
		}
		r0 := p.render(req0)
		return ctxName + ", " + p.render(s.Lhs[1]) + " := " + recv + ".Start(" + r0 + ".Context(), " + n + ")\n" +
			ind + p.render(s.Lhs[0]) + " " + reqTok.String() + " " + r0 + ".WithContext(" + ctxName + ")"
	})
	p.rewrote(call, "nethttp", "nethttp.TraceRequest → a span around the request (its context in the request), traced by tracehttp.Transport")
	return true
}

// htMethod walks a method call on a *nethttp.Tracer.
func (p *planner) htMethod(call *ast.CallExpr, fn *types.Func, pos callPos, s slot) bool {
	recv := recvOf(call)
	o := p.varOf(recv)
	if o == nil || !p.migrated(o) {
		p.expr(recv)
		for _, a := range call.Args {
			p.expr(a)
		}
		return true
	}
	switch fn.Name() {
	case "Finish":
		p.rule(call, func() string { return p.render(recv) + ".End()" })
		p.rewrote(call, "nethttp", "(*nethttp.Tracer).Finish → End")
		return true
	case "Span":
		return p.flex(call, s)
	}
	p.veto(o, "(*nethttp.Tracer)."+fn.Name()+" has no facade equivalent")
	return true
}

// otgrpcTargets maps opentracing-contrib's interceptor constructors to
// tracegrpc's.
var otgrpcTargets = map[string]string{
	"OpenTracingServerInterceptor":       "UnaryServerInterceptor",
	"OpenTracingStreamServerInterceptor": "StreamServerInterceptor",
	"OpenTracingClientInterceptor":       "UnaryClientInterceptor",
	"OpenTracingStreamClientInterceptor": "StreamClientInterceptor",
}

// otgrpc rewrites opentracing-contrib's gRPC interceptors, given a tracer
// and no options, into middleware/tracegrpc's (which record OpenTelemetry's
// RPC conventions, mapped by each backend to what its users expect); with
// options (payload logging, span decorators, filters) it leaves them on
// OpenTracing, with a migrated tracer passed through the shim.
func (p *planner) otgrpc(call *ast.CallExpr, fn *types.Func) bool {
	target, known := otgrpcTargets[fn.Name()]
	leave := func(why string) bool {
		p.fun(call.Fun)
		p.args(call, fn)
		p.left(call, "otgrpc", "otgrpc."+fn.Name()+" stays on OpenTracing: "+why+"; its spans go through otshim")
		return true
	}
	switch {
	case !known:
		// An option (LogPayloads, SpanDecorator, …): it travels with
		// the interceptor it is given to, which reports.
		p.fun(call.Fun)
		p.args(call, fn)
		return true
	case len(call.Args) != 1 || call.Ellipsis.IsValid():
		return leave("its options (payload logging, span decorators, filters) have no tracegrpc equivalent the tool can be sure of")
	}
	tr := ast.Unparen(call.Args[0])
	global := false
	if c, ok := tr.(*ast.CallExpr); ok && isFunc(callee(p.info, c), pathOT, "GlobalTracer") {
		global = true
	}
	if !global && !p.canM(tr) {
		return leave("its tracer " + p.short(tr) + " stays an opentracing.Tracer")
	}
	if !global {
		p.value(tr, slot{k: kTracer, m: true})
	}
	gq := p.q(pathTraceGRPC)
	p.rule(call, func() string {
		// otgrpc named spans by the full method ("/pkg.Service/Method"):
		// the names, and so the span trees, stay as they were.
		namer := gq() + ".WithSpanNamer(func(c " + gq() + ".CallInfo) string { return c.FullMethod })"
		if global {
			return gq() + "." + target + "(" + namer + ")"
		}
		return gq() + "." + target + "(" + gq() + ".WithTracer(" + p.render(tr) + "), " + namer + ")"
	})
	p.rewrote(call, "otgrpc", "otgrpc."+fn.Name()+" → tracegrpc."+target+" (span names kept with WithSpanNamer)")
	return true
}
