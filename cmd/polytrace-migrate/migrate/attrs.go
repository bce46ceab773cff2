package migrate

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
)

var (
	errorIface    = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	stringerIface = types.NewInterfaceType([]*types.Func{
		types.NewFunc(token.NoPos, nil, "String", types.NewSignatureType(nil, nil, nil, nil,
			types.NewTuple(types.NewVar(token.NoPos, nil, "", types.Typ[types.String])), false)),
	}, nil).Complete()
)

// attr returns the generator of the facade attribute for an OpenTracing
// tag or log field value: the typed constructor for the value's static
// type, as tracing.AnyValue (which otshim uses) would convert it, or
// tracing.Any for values of interface type. drop is true for a nil
// value, which the shim drops.
func (p *planner) attr(key func() string, v ast.Expr) (gen func() string, drop bool) {
	tv := p.info.Types[v]
	if tv.IsNil() {
		return nil, true
	}
	t := tv.Type
	if t == nil {
		t = types.Typ[types.Invalid]
	}
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		t = types.Default(t)
	}
	tq := p.q(pathTracing)
	val := func() string { return p.render(v) }
	isConst := isLiteral(v)
	mk := func(ctor string, conv string) func() string {
		return func() string {
			x := val()
			if conv != "" && !isConst {
				x = conv + "(" + x + ")"
			}
			return tq() + "." + ctor + "(" + key() + ", " + x + ")"
		}
	}
	method := func(ctor, m string) func() string {
		return func() string { return tq() + "." + ctor + "(" + key() + ", " + val() + "." + m + "())" }
	}
	// uint16(x) with x an int, as ext's Uint16 tags are set: the int.
	if call, ok := ast.Unparen(v).(*ast.CallExpr); ok && len(call.Args) == 1 {
		if ftv := p.info.Types[call.Fun]; ftv.IsType() && types.Identical(ftv.Type, types.Typ[types.Uint16]) {
			if at := p.info.TypeOf(call.Args[0]); at != nil && types.Identical(at, types.Typ[types.Int]) {
				inner := call.Args[0]
				return func() string { return tq() + ".Int(" + key() + ", " + p.render(inner) + ")" }, false
			}
		}
	}
	if _, isIface := t.Underlying().(*types.Interface); isIface {
		return mk("Any", ""), false
	}
	if _, named := types.Unalias(t).(*types.Named); named {
		switch {
		case types.Implements(t, errorIface):
			return method("String", "Error"), false
		case types.Implements(t, stringerIface):
			return method("String", "String"), false
		}
		if _, ptr := t.Underlying().(*types.Pointer); ptr {
			return mk("Any", ""), false
		}
	}
	if _, ptr := t.(*types.Pointer); ptr {
		return mk("Any", ""), false
	}
	named := types.Unalias(t) != t.Underlying()
	switch u := t.Underlying().(type) {
	case *types.Basic:
		conv := func(to string) string {
			if named || !types.Identical(t, types.Typ[basicOf(to)]) {
				return to
			}
			return ""
		}
		switch {
		case u.Kind() == types.String:
			return mk("String", conv("string")), false
		case u.Kind() == types.Bool:
			return mk("Bool", conv("bool")), false
		case u.Kind() == types.Int:
			return mk("Int", conv("int")), false
		case u.Kind() == types.Int64:
			return mk("Int64", conv("int64")), false
		case u.Kind() == types.Int8, u.Kind() == types.Int16, u.Kind() == types.Int32,
			u.Kind() == types.Uint8, u.Kind() == types.Uint16, u.Kind() == types.Uint32:
			return mk("Int64", "int64"), false
		case u.Kind() == types.Float64:
			return mk("Float64", conv("float64")), false
		case u.Kind() == types.Float32:
			return mk("Float64", "float64"), false
		}
		// uint, uint64, uintptr (strings above math.MaxInt64), complex
		if isConst && tv.Value != nil && u.Info()&types.IsUnsigned != 0 {
			if _, exact := constant.Int64Val(tv.Value); exact {
				return mk("Int64", ""), false
			}
		}
		return mk("Any", ""), false
	case *types.Slice:
		if named {
			break
		}
		switch {
		case types.Identical(u.Elem(), types.Typ[types.String]):
			return mk("StringSlice", ""), false
		case types.Identical(u.Elem(), types.Typ[types.Int64]):
			return mk("Int64Slice", ""), false
		case types.Identical(u.Elem(), types.Typ[types.Float64]):
			return mk("Float64Slice", ""), false
		case types.Identical(u.Elem(), types.Typ[types.Bool]):
			return mk("BoolSlice", ""), false
		case types.Identical(u.Elem(), types.Typ[types.Byte]):
			return mk("String", "string"), false
		}
	}
	return mk("Any", ""), false
}

func basicOf(name string) types.BasicKind {
	switch name {
	case "string":
		return types.String
	case "bool":
		return types.Bool
	case "int":
		return types.Int
	case "int64":
		return types.Int64
	case "float64":
		return types.Float64
	}
	return types.Invalid
}

// isLiteral reports whether e is a number literal (possibly negated),
// which converts implicitly to any numeric parameter.
func isLiteral(e ast.Expr) bool {
	switch x := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		return x.Kind == token.INT || x.Kind == token.FLOAT
	case *ast.UnaryExpr:
		return (x.Op == token.SUB || x.Op == token.ADD) && isLiteral(x.X)
	}
	return false
}
