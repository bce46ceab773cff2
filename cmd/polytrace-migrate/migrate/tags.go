package migrate

import (
	"fmt"
	"go/ast"
	"go/types"
	"strings"

	"github.com/polytrace/polytrace/tracing/backendkit"
)

// setTag rewrites span.SetTag(k, v).
func (p *planner) setTag(call *ast.CallExpr, recv, k, v ast.Expr, pos callPos) (func() string, string) {
	key, isConst := p.tagKey(k)
	if isConst {
		switch key {
		case "span.kind":
			return nil, "span.kind is set where the span's start is not in sight (the facade sets the kind at start)"
		case "error":
			return p.errorTag(call, recv, v, pos)
		case "sampling.priority":
			return p.dropSampling(call, pos)
		}
	} else {
		p.expr(k)
	}
	gen, drop := p.attr(p.keyText(k, key, isConst), v)
	p.expr(v)
	if drop {
		if pos != posStmt {
			return nil, "a tag with a nil value in a deferred call"
		}
		p.rewrote(call, "tags", "SetTag with a nil value: nothing (the shim drops it)")
		return func() string { return "" }, ""
	}
	r := func() string { return p.render(recv) }
	msg := "SetTag → SetAttrs"
	if isConst {
		if sk := backendkit.OTTagKey(key); sk != key {
			msg = fmt.Sprintf("SetTag(%q) → SetAttrs(%q)", key, sk)
		} else {
			msg = fmt.Sprintf("SetTag(%q) → SetAttrs", key)
		}
	} else {
		msg += " (key not constant: kept as it is, not mapped to the OpenTelemetry conventions)"
	}
	p.rewrote(call, "tags", msg)
	return func() string { return r() + ".SetAttrs(" + gen() + ")" }, ""
}

// errorTag rewrites the error tag: true marks the span failed.
func (p *planner) errorTag(call *ast.CallExpr, recv, v ast.Expr, pos callPos) (func() string, string) {
	tq := p.q(pathTracing)
	r := func() string { return p.render(recv) }
	set := func() string { return r() + ".SetStatus(" + tq() + `.StatusError, "")` }
	if b, ok := constBool(p.info, v); ok {
		if !b {
			if pos != posStmt {
				return nil, "error=false in a deferred call"
			}
			p.rewrote(call, "status", "error=false: nothing")
			return func() string { return "" }, ""
		}
		p.rewrote(call, "status", "error=true → SetStatus(tracing.StatusError, \"\")")
		return set, ""
	}
	if t := p.info.TypeOf(v); t == nil || !types.Identical(t.Underlying(), types.Typ[types.Bool]) {
		return nil, "the error tag's value " + p.short(v) + " is not a bool"
	}
	if pos != posStmt {
		return nil, "a conditional error tag in a deferred call"
	}
	p.expr(v)
	ind := p.cur.indent(call.Pos())
	p.rewrote(call, "status", "error=<bool> → if <bool> { SetStatus(tracing.StatusError, \"\") }")
	return func() string {
		return "if " + p.render(v) + " {\n" + ind + "\t" + set() + "\n" + ind + "}"
	}, ""
}

// dropSampling replaces a sampling.priority tag by a comment: the facade
// samples at start.
func (p *planner) dropSampling(call *ast.CallExpr, pos callPos) (func() string, string) {
	if pos != posStmt {
		return nil, "sampling.priority in a deferred call"
	}
	p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: "tags",
		msg: "rewrite tags: sampling.priority dropped (the facade samples at start: JAEGER_SAMPLER_*, OTEL_TRACES_SAMPLER); a comment keeps the trace"})
	return func() string {
		return "// polytrace-migrate: dropped sampling.priority here; the facade samples at start (set the sampler: JAEGER_SAMPLER_TYPE, OTEL_TRACES_SAMPLER)"
	}, ""
}

// extSet rewrites ext.X.Set(span, v) and ext.SpanKindRPCClient.Set(span).
func (p *planner) extSet(call *ast.CallExpr, fn *types.Func, pos callPos) bool {
	recv := recvOf(call)
	name := pkgObjName(p.info, recv, pathExt)
	if len(call.Args) == 0 {
		return false
	}
	sp := call.Args[0]
	if !p.canM(sp) {
		p.value(sp, slot{k: kSpan})
		for _, a := range call.Args[1:] {
			p.expr(a)
		}
		why := p.short(sp) + " stays on OpenTracing"
		if o := p.varOf(sp); o != nil && p.why(o) != "" {
			why = p.why(o)
		}
		p.sites = append(p.sites, site{pos: call.Pos(), end: call.End(), cat: "tags", msg: "left on otshim: " + why})
		return true
	}
	fail := func(why string) bool {
		if o := p.varOf(sp); o != nil {
			p.veto(o, why)
			return true
		}
		p.value(sp, slot{k: kSpan})
		for _, a := range call.Args[1:] {
			p.expr(a)
		}
		p.left(call, "tags", why)
		return true
	}
	key, known := extTags[name]
	if extKinds[name] != "" || key == "span.kind" {
		return fail("span.kind is set where the span's start is not in sight (the facade sets the kind at start)")
	}
	if !known || len(call.Args) != 2 {
		return fail("ext." + name + " has no facade equivalent the tool knows")
	}
	v := call.Args[1]
	var gen func() string
	var why string
	switch key {
	case "error":
		gen, why = p.errorTag(call, sp, v, pos)
	case "sampling.priority":
		gen, why = p.dropSampling(call, pos)
	case "peer.ipv4":
		if fn.Name() != "SetString" {
			return fail("ext.PeerHostIPv4 with a uint32 (set the address as a string)")
		}
		fallthrough
	default:
		ag, _ := p.attr(func() string { return `"` + backendkit.OTTagKey(key) + `"` }, v)
		p.expr(v)
		r := sp
		gen = func() string { return p.render(r) + ".SetAttrs(" + ag() + ")" }
		msg := "ext." + name + ".Set → SetAttrs"
		if sk := backendkit.OTTagKey(key); sk != key {
			msg = fmt.Sprintf("ext.%s.Set → SetAttrs(%q)", name, sk)
		}
		p.rewrote(call, "tags", msg)
	}
	if why != "" {
		return fail(why)
	}
	p.value(sp, slot{k: kSpan, m: true})
	p.rule(call, gen)
	return true
}

// extLogError rewrites ext.LogError(span, err).
func (p *planner) extLogError(call *ast.CallExpr, pos callPos) bool {
	if len(call.Args) < 2 {
		return false
	}
	sp, err := call.Args[0], call.Args[1]
	if !p.canM(sp) {
		return false
	}
	if len(call.Args) > 2 || call.Ellipsis.IsValid() {
		if o := p.varOf(sp); o != nil {
			p.veto(o, "ext.LogError with extra log fields")
			return true
		}
		return false
	}
	p.value(sp, slot{k: kSpan, m: true})
	p.expr(err)
	p.rule(call, func() string { return p.render(sp) + ".RecordError(" + p.render(err) + ")" })
	p.rewrote(call, "errors", "ext.LogError → RecordError")
	return true
}

// logCall rewrites span.LogFields and span.LogKV into events and errors.
func (p *planner) logCall(call *ast.CallExpr, recv ast.Expr, pos callPos) (func() string, string) {
	if call.Ellipsis.IsValid() {
		return nil, "log fields passed as a slice"
	}
	rec := &logRec{}
	fn := callee(p.info, call)
	if fn.Name() == "LogFields" {
		for _, f := range call.Args {
			if why := p.logField(f, rec); why != "" {
				return nil, why
			}
		}
	} else {
		if len(call.Args)%2 != 0 {
			return nil, "LogKV with an odd number of arguments"
		}
		for i := 0; i < len(call.Args); i += 2 {
			k, v := call.Args[i], call.Args[i+1]
			if t := p.info.TypeOf(k); t == nil || !types.Identical(t.Underlying(), types.Typ[types.String]) && !types.Identical(t, types.Typ[types.UntypedString]) {
				return nil, "LogKV with a key that is not a string"
			}
			if why := p.logKV(k, v, rec); why != "" {
				return nil, why
			}
		}
	}
	return p.logGen(call, recv, rec, pos)
}

type logRec struct {
	event               ast.Expr
	isErrEvent          bool
	errE, errText       ast.Expr
	kind, message, stck ast.Expr
	attrs               []logAttr
	errLike             []ast.Expr // error-typed values of other fields
}

type logAttr struct {
	v   ast.Expr
	gen func() string
}

// logField reads one otlog field.
func (p *planner) logField(f ast.Expr, rec *logRec) string {
	call, ok := ast.Unparen(f).(*ast.CallExpr)
	if !ok {
		return "log field " + p.short(f) + " is not a field constructor"
	}
	fn := callee(p.info, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != pathOTLog {
		return "log field " + p.short(f) + " is not a field constructor"
	}
	a := call.Args
	switch fn.Name() {
	case "Noop":
		return ""
	case "Error":
		if p.isNil(a[0]) {
			return "" // the shim drops a nil error
		}
		p.expr(a[0])
		rec.errE = a[0]
		return ""
	case "Event":
		p.expr(a[0])
		rec.setEvent(p, a[0])
		return ""
	case "Message":
		p.expr(a[0])
		rec.message = a[0]
		return ""
	case "String", "Bool", "Int", "Int32", "Int64", "Uint32", "Uint64", "Float32", "Float64", "Object":
		return p.logKV(a[0], a[1], rec)
	}
	return "log field otlog." + fn.Name() + " has no facade equivalent"
}

func (r *logRec) setEvent(p *planner, e ast.Expr) {
	r.event = e
	if s, ok := constString(p.info, e); ok && s == "error" {
		r.isErrEvent = true
	}
}

// logKV reads one key and value of a log record.
func (p *planner) logKV(k, v ast.Expr, rec *logRec) string {
	key, isConst := constString(p.info, k)
	vt := p.info.TypeOf(v)
	isStr := vt != nil && (types.Identical(vt, types.Typ[types.String]) || types.Identical(vt, types.Typ[types.UntypedString]))
	isErr := vt != nil && types.Implements(vt, errorIface) && !p.isNil(v)
	if isConst {
		switch {
		case key == "event" && isStr && rec.event == nil:
			p.expr(v)
			rec.setEvent(p, v)
			return ""
		case key == "error.object":
			p.expr(v)
			if isErr {
				rec.errE = v
			} else {
				rec.errText = v
			}
			return ""
		case key == "error.kind" && isStr:
			p.expr(v)
			rec.kind = v
			return ""
		case key == "message" && isStr:
			p.expr(v)
			rec.message = v
			return ""
		case key == "stack" && isStr:
			p.expr(v)
			rec.stck = v
			return ""
		}
	} else {
		p.expr(k)
	}
	if isErr {
		rec.errLike = append(rec.errLike, v)
	}
	keyText := func() string { return p.render(k) }
	gen, drop := p.attr(keyText, v)
	p.expr(v)
	if !drop {
		rec.attrs = append(rec.attrs, logAttr{v, gen})
	}
	return ""
}

// logGen renders a log record: an error record (event=error or an error
// object) records the error and marks the span failed; the other fields
// form an event named by the event field ("log" without one).
func (p *planner) logGen(call *ast.CallExpr, recv ast.Expr, rec *logRec, pos callPos) (func() string, string) {
	tq := p.q(pathTracing)
	r := func() string { return p.render(recv) }
	isErr := rec.isErrEvent || rec.errE != nil || rec.errText != nil
	if isErr && rec.errE == nil && rec.errText == nil && len(rec.errLike) == 1 {
		rec.errE = rec.errLike[0] // event=error with an error under another key
		var keep []logAttr
		for _, a := range rec.attrs {
			if a.v != rec.errE {
				keep = append(keep, a)
			}
		}
		rec.attrs = keep
	}
	var stmts []func() string
	msg := ""
	if isErr {
		switch {
		case rec.errE != nil && rec.kind == nil && rec.stck == nil:
			e := rec.errE
			stmts = append(stmts, func() string { return r() + ".RecordError(" + p.render(e) + ")" })
			msg = "error log → RecordError"
		case rec.errE != nil || rec.errText != nil || rec.message != nil:
			var fields []string
			add := func(name string, e ast.Expr) {
				if e != nil {
					fields = append(fields, name+": "+"%s")
				}
			}
			add("Err", rec.errE)
			m := rec.errText
			if m == nil && rec.errE == nil {
				m = rec.message
			}
			add("Message", m)
			add("Type", rec.kind)
			add("Stack", rec.stck)
			vals := []ast.Expr{}
			for _, e := range []ast.Expr{rec.errE, m, rec.kind, rec.stck} {
				if e != nil {
					vals = append(vals, e)
				}
			}
			stmts = append(stmts, func() string {
				var parts []string
				for i, f := range fields {
					parts = append(parts, fmt.Sprintf(f, p.render(vals[i])))
				}
				return r() + ".RecordErrorInfo(" + tq() + ".ErrorInfo{" + strings.Join(parts, ", ") + "})"
			})
			msg = "error log → RecordErrorInfo"
		default:
			stmts = append(stmts, func() string { return r() + ".SetStatus(" + tq() + `.StatusError, "")` })
			msg = "event=error log → SetStatus(tracing.StatusError)"
		}
		if rec.message != nil && (rec.errE != nil || rec.errText != nil) {
			m := rec.message
			rec.attrs = append(rec.attrs, logAttr{m, func() string { return tq() + `.String("message", ` + p.render(m) + ")" }})
		}
	} else {
		for _, e := range []struct {
			key string
			e   ast.Expr
		}{{"error.kind", rec.kind}, {"message", rec.message}, {"stack", rec.stck}} {
			if e.e != nil {
				ex, k := e.e, e.key
				rec.attrs = append(rec.attrs, logAttr{ex, func() string { return tq() + `.String("` + k + `", ` + p.render(ex) + ")" }})
			}
		}
	}
	if !isErr || len(rec.attrs) > 0 {
		ev := rec.event
		attrs := rec.attrs
		stmts = append(stmts, func() string {
			name := `"log"`
			if ev != nil {
				name = p.render(ev)
			}
			var as []string
			for _, a := range attrs {
				as = append(as, a.gen())
			}
			out := r() + ".AddEvent(" + name
			if len(as) > 0 {
				out += ", " + strings.Join(as, ", ")
			}
			return out + ")"
		})
		if msg == "" {
			msg = "log → AddEvent"
		} else {
			msg += " and AddEvent"
		}
	}
	if len(stmts) > 1 && pos != posStmt {
		return nil, "a deferred log that becomes two calls"
	}
	ind := p.cur.indent(call.Pos())
	p.rewrote(call, "logs", msg)
	return func() string {
		var out []string
		for _, s := range stmts {
			out = append(out, s())
		}
		return strings.Join(out, "\n"+ind)
	}, ""
}
