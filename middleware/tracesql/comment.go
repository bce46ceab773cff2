package tracesql

import (
	"context"
	"strings"

	"github.com/polytrace/polytrace/tracing"
)

// withComment returns query with a sqlcommenter comment carrying the trace
// context of the span in ctx, if trace comments are on and there is a
// valid span; otherwise query itself.
func (c *config) withComment(ctx context.Context, query string) string {
	if c.comment == CommentOff {
		return query
	}
	sc := tracing.SpanFromContext(ctx).SpanContext()
	if !sc.IsValid() {
		return query
	}
	return addComment(query, traceComment(sc), c.comment)
}

// traceComment formats sc as a sqlcommenter comment: keys in
// lexicographic order, values URL-encoded in single quotes.
func traceComment(sc tracing.SpanContext) string {
	var b strings.Builder
	b.WriteString("/*traceparent='")
	b.WriteString(sc.Traceparent())
	b.WriteByte('\'')
	if ts := sc.TraceState(); ts != "" {
		b.WriteString(",tracestate='")
		urlEncode(&b, ts)
		b.WriteByte('\'')
	}
	b.WriteString("*/")
	return b.String()
}

// urlEncode writes s percent-encoded, keeping only unreserved characters,
// so that the value can end neither its quotes nor the comment.
func urlEncode(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// addComment places comment before query, or after it (before a final
// semicolon, on a line of its own so that a trailing -- comment cannot
// swallow it).
func addComment(query, comment string, pos CommentPosition) string {
	if pos == CommentPrepend {
		return comment + " " + query
	}
	body := strings.TrimRight(query, " \t\r\n")
	if strings.HasSuffix(body, ";") {
		return body[:len(body)-1] + "\n" + comment + ";"
	}
	return body + "\n" + comment
}
