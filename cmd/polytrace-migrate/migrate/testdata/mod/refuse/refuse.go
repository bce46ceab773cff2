// Package refuse holds what the rewrite must leave on OpenTracing. // want package:"uses OpenTracing"
package refuse

import (
	"context"
	"fmt"

	"github.com/opentracing/opentracing-go"
	otlog "github.com/opentracing/opentracing-go/log"
)

// Tagger is implemented by types that tag spans.
type Tagger interface {
	Tag(span opentracing.Span)
}

type userTagger struct{}

func (userTagger) Tag(span opentracing.Span) { span.SetTag("user", "u") } // want `left on otshim: span stays an opentracing\.Span: it belongs to method T` `left on otshim: span stays an opentracing\.Span: it belongs to method T`

func kept(ctx context.Context, opts ...opentracing.StartSpanOption) []opentracing.Span {
	var spans []opentracing.Span
	span, _ := opentracing.StartSpanFromContext(ctx, "kept") // want `left on otshim: span stays an opentracing\.Span: it is passed to append`
	spans = append(spans, span)
	printed, _ := opentracing.StartSpanFromContext(ctx, "printed") // want `left on otshim: printed stays an opentracing\.Span: it is passed to fmt`
	fmt.Println(printed)
	sliced, _ := opentracing.StartSpanFromContext(ctx, "sliced", opts...)          // want `left on otshim: its start options are passed as a slice`
	sliced.Finish()                                                                // want `left on otshim: sliced stays an opentracing\.Span: its start options ar`
	lazy, _ := opentracing.StartSpanFromContext(ctx, "lazy")                       // want `left on otshim: lazy stays an opentracing\.Span: log field otlog\.Lazy h`
	lazy.LogFields(otlog.Lazy(func(fv otlog.Encoder) { fv.EmitString("k", "v") })) // want `left on otshim: lazy stays an opentracing\.Span: log field otlog\.Lazy h`
	lazy.Finish()                                                                  // want `left on otshim: lazy stays an opentracing\.Span: log field otlog\.Lazy h`
	valued, _ := opentracing.StartSpanFromContext(ctx, "valued")                   // want `left on otshim: valued stays an opentracing\.Span: its method Finish is`
	finish := valued.Finish
	finish()
	notBool, _ := opentracing.StartSpanFromContext(ctx, "notbool") // want `left on otshim: notBool stays an opentracing\.Span: the error tag's val`
	notBool.SetTag("error", "yes")                                 // want `left on otshim: notBool stays an opentracing\.Span: the error tag's val`
	notBool.Finish()                                               // want `left on otshim: notBool stays an opentracing\.Span: the error tag's val`
	owned, _ := opentracing.StartSpanFromContext(ctx, "owned")     // want `left on otshim: owned stays an opentracing\.Span: Span\.Tracer\(\) is used`
	_ = owned.Tracer()                                             // want `left on otshim: owned stays an opentracing\.Span: Span\.Tracer\(\) is used`
	owned.Finish()                                                 // want `left on otshim: owned stays an opentracing\.Span: Span\.Tracer\(\) is used`
	callback(func(sp opentracing.Span) { sp.Finish() })            // want `left on otshim: sp stays an opentracing\.Span: it is a parameter of a f` `left on otshim: sp stays an opentracing\.Span: it is a parameter of a f`
	return spans
}

func callback(f func(opentracing.Span)) { f(opentracing.StartSpan("cb")) }
