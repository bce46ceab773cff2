package migrate

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// Import paths of the APIs the analyzer reads and writes.
const (
	pathOT        = "github.com/opentracing/opentracing-go"
	pathExt       = pathOT + "/ext"
	pathOTLog     = pathOT + "/log"
	pathJaeger    = "github.com/uber/jaeger-client-go"
	pathJConfig   = pathJaeger + "/config"
	pathNetHTTP   = "github.com/opentracing-contrib/go-stdlib/nethttp"
	pathOTGRPC    = "github.com/opentracing-contrib/go-grpc"
	pathOTGRPCOld = "github.com/grpc-ecosystem/grpc-opentracing/go/otgrpc"

	pathTracing   = "github.com/polytrace/polytrace/tracing"
	pathOTShim    = pathTracing + "/otshim"
	pathJBackend  = pathTracing + "/jaegerbackend"
	pathTraceHTTP = "github.com/polytrace/polytrace/middleware/tracehttp"
	pathTraceGRPC = "github.com/polytrace/polytrace/middleware/tracegrpc"
)

// legacyPath reports whether path is one of the OpenTracing-era packages
// whose use keeps a program on the shim.
func legacyPath(path string) bool {
	switch path {
	case pathOT, pathExt, pathOTLog, pathNetHTTP, pathOTGRPC, pathOTGRPCOld:
		return true
	}
	return strings.HasPrefix(path, pathOT+"/")
}

// kind is what a value of an OpenTracing-era type becomes.
type kind uint8

const (
	kNone    kind = iota
	kTracer       // opentracing.Tracer → *tracing.Tracer
	kSpan         // opentracing.Span → tracing.Span
	kSpanCtx      // opentracing.SpanContext from Extract → context.Context
	kHT           // *nethttp.Tracer from TraceRequest → tracing.Span
	kJSC          // jaeger.SpanContext → tracing.SpanContext
)

func (k kind) String() string {
	return [...]string{"", "opentracing.Tracer", "opentracing.Span", "opentracing.SpanContext", "*nethttp.Tracer", "jaeger.SpanContext"}[k]
}

// isNamed reports whether t is the named type path.name.
func isNamed(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	o := n.Obj()
	return o.Pkg() != nil && o.Pkg().Path() == path && o.Name() == name
}

// kindOf returns the kind of a type.
func kindOf(t types.Type) kind {
	if t == nil {
		return kNone
	}
	switch {
	case isNamed(t, pathOT, "Tracer"):
		return kTracer
	case isNamed(t, pathOT, "Span"):
		return kSpan
	case isNamed(t, pathOT, "SpanContext"):
		return kSpanCtx
	case isNamed(t, pathJaeger, "SpanContext"):
		return kJSC
	}
	if p, ok := types.Unalias(t).(*types.Pointer); ok && isNamed(p.Elem(), pathNetHTTP, "Tracer") {
		return kHT
	}
	return kNone
}

// callee returns the function or method a call calls, or nil.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	f, _ := typeutil.Callee(info, call).(*types.Func)
	return f
}

// isFunc reports whether f is the package-level function path.name.
func isFunc(f *types.Func, path string, names ...string) bool {
	if f == nil || f.Pkg() == nil || f.Pkg().Path() != path {
		return false
	}
	if sig, ok := f.Type().(*types.Signature); !ok || sig.Recv() != nil {
		return false
	}
	for _, n := range names {
		if f.Name() == n {
			return true
		}
	}
	return false
}

// recvNamed returns the named type of a method's receiver (through a
// pointer), or nil.
func recvNamed(f *types.Func) *types.Named {
	if f == nil {
		return nil
	}
	sig, ok := f.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return nil
	}
	t := types.Unalias(sig.Recv().Type())
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, _ := t.(*types.Named)
	return n
}

// isMethod reports whether f is method name of the type path.typ.
func isMethod(f *types.Func, path, typ string, names ...string) bool {
	n := recvNamed(f)
	if n == nil || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != path || n.Obj().Name() != typ {
		return false
	}
	for _, name := range names {
		if f.Name() == name {
			return true
		}
	}
	return len(names) == 0
}

// pkgObjName returns the name of the package-level constant or variable
// of path that e refers to, or "".
func pkgObjName(info *types.Info, e ast.Expr, path string) string {
	var id *ast.Ident
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return ""
	}
	o := info.Uses[id]
	if o == nil || o.Pkg() == nil || o.Pkg().Path() != path || o.Parent() != o.Pkg().Scope() {
		return ""
	}
	return o.Name()
}

// constString returns the value of a constant string expression.
func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// constBool returns the value of a constant boolean expression.
func constBool(info *types.Info, e ast.Expr) (bool, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.Bool {
		return false, false
	}
	return constant.BoolVal(tv.Value), true
}

// extTags maps the names of opentracing-go/ext's tag variables to their
// keys.
var extTags = map[string]string{
	"SpanKind":              "span.kind",
	"Component":             "component",
	"SamplingPriority":      "sampling.priority",
	"PeerService":           "peer.service",
	"PeerAddress":           "peer.address",
	"PeerHostname":          "peer.hostname",
	"PeerHostIPv4":          "peer.ipv4",
	"PeerHostIPv6":          "peer.ipv6",
	"PeerPort":              "peer.port",
	"HTTPUrl":               "http.url",
	"HTTPMethod":            "http.method",
	"HTTPStatusCode":        "http.status_code",
	"DBInstance":            "db.instance",
	"DBStatement":           "db.statement",
	"DBType":                "db.type",
	"DBUser":                "db.user",
	"MessageBusDestination": "message_bus.destination",
	"Error":                 "error",
}

// extKinds maps ext's span-kind tags and enums to the facade's kinds.
var extKinds = map[string]string{
	"SpanKindRPCClient":     "SpanKindClient",
	"SpanKindRPCServer":     "SpanKindServer",
	"SpanKindProducer":      "SpanKindProducer",
	"SpanKindConsumer":      "SpanKindConsumer",
	"SpanKindRPCClientEnum": "SpanKindClient",
	"SpanKindRPCServerEnum": "SpanKindServer",
	"SpanKindProducerEnum":  "SpanKindProducer",
	"SpanKindConsumerEnum":  "SpanKindConsumer",
}

// kindNames maps span.kind tag values to the facade's kinds.
var kindNames = map[string]string{
	"client":   "SpanKindClient",
	"server":   "SpanKindServer",
	"producer": "SpanKindProducer",
	"consumer": "SpanKindConsumer",
	"internal": "SpanKindInternal",
}

// an returns the kind with its article: "an opentracing.Span".
func (k kind) an() string {
	s := k.String()
	if strings.HasPrefix(s, "o") {
		return "an " + s
	}
	return "a " + s
}
