package console

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/polytrace/polytrace/tracing"
	"github.com/polytrace/polytrace/tracing/backendkit"
)

const (
	barWidth     = 24
	maxNameWidth = 48
	maxValueShow = 60
	maxTagsShow  = 240 // characters of attributes shown on a span's line
)

// ANSI styles.
const (
	reset = "\x1b[0m"
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	cyan  = "\x1b[36m"
	green = "\x1b[32m"
)

type node struct {
	d        *backendkit.SpanData
	children []*node
}

type line struct {
	prefix, cont string // tree prefix for the span and for lines under it
	d            *backendkit.SpanData
	hasChildren  bool
}

// writeTreeLocked draws one trace.
func (b *Backend) writeTreeLocked(tid tracing.TraceID, t *traceBuf, note string) {
	if len(t.spans) == 0 {
		return
	}
	// Index spans and link children to parents; spans whose parent is not
	// here (a root, or a remote parent) are roots of the drawing.
	byID := make(map[tracing.SpanID]*node, len(t.spans))
	for _, d := range t.spans {
		byID[d.SpanContext.SpanID()] = &node{d: d}
	}
	var roots []*node
	for _, d := range t.spans {
		n := byID[d.SpanContext.SpanID()]
		if p, ok := byID[d.Parent.SpanID()]; ok && d.Parent.IsValid() && p != n {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	byStart := func(a, c *node) int { return a.d.Start.Compare(c.d.Start) }
	slices.SortFunc(roots, byStart)
	for _, n := range byID {
		slices.SortFunc(n.children, byStart)
	}

	t0, t1 := t.spans[0].Start, t.spans[0].End
	errs := 0
	for _, d := range t.spans {
		if d.Start.Before(t0) {
			t0 = d.Start
		}
		if d.End.After(t1) {
			t1 = d.End
		}
		if d.Status == tracing.StatusError {
			errs++
		}
	}
	total := t1.Sub(t0)

	var lines []line
	var walk func(n *node, prefix, cont string)
	walk = func(n *node, prefix, cont string) {
		lines = append(lines, line{prefix: prefix, cont: cont, d: n.d, hasChildren: len(n.children) > 0})
		for i, c := range n.children {
			if i == len(n.children)-1 {
				walk(c, cont+"└─ ", cont+"   ")
			} else {
				walk(c, cont+"├─ ", cont+"│  ")
			}
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}

	nameW := 0
	for _, l := range lines {
		nameW = max(nameW, min(utf8.RuneCountInString(l.prefix)+utf8.RuneCountInString(l.d.Name), maxNameWidth))
	}

	var sb strings.Builder
	head := fmt.Sprintf("trace %s · %s · %s · %d span%s", tid, b.service, fmtDur(total), len(t.spans), plural(len(t.spans)))
	if errs > 0 {
		head += fmt.Sprintf(" · %d error%s", errs, plural(errs))
	}
	if t.dropped > 0 {
		head += fmt.Sprintf(" · %d more span%s dropped (limit %d)", t.dropped, plural(t.dropped), b.cfg.maxSpans)
	}
	sb.WriteString(b.style(bold, head))
	if note != "" {
		sb.WriteString(b.style(dim, " ("+note+")"))
	}
	sb.WriteByte('\n')
	for _, l := range lines {
		b.writeSpan(&sb, l, nameW, t0, total)
	}
	sb.WriteByte('\n')
	_, _ = b.cfg.w.Write([]byte(sb.String()))
}

func (b *Backend) writeSpan(sb *strings.Builder, l line, nameW int, t0 time.Time, total time.Duration) {
	d := l.d
	failed := d.Status == tracing.StatusError
	name := truncRunes(d.Name, maxNameWidth-utf8.RuneCountInString(l.prefix))
	pad := nameW - utf8.RuneCountInString(l.prefix) - utf8.RuneCountInString(name)
	sb.WriteString(l.prefix)
	if failed {
		sb.WriteString(b.style(bold+red, name))
	} else {
		sb.WriteString(b.style(bold, name))
	}
	sb.WriteString(strings.Repeat(" ", max(pad, 0)))
	fmt.Fprintf(sb, "  %-8s %9s ", d.Kind, fmtDur(d.End.Sub(d.Start)))
	barColor := cyan
	if failed {
		barColor = red
	}
	sb.WriteString("▕" + b.style(barColor, bar(d.Start.Sub(t0), d.End.Sub(d.Start), total)) + "▏")

	var tags []string
	if d.Service != "" {
		tags = append(tags, "service="+d.Service)
	}
	if d.Resource != "" && d.Resource != d.Name {
		tags = append(tags, "resource="+quote(d.Resource))
	}
	if d.Type != "" {
		tags = append(tags, "type="+d.Type)
	}
	// The outcome first: it matters most, and long lines are cut.
	for _, a := range d.Attrs {
		if first[a.Key] {
			tags = append(tags, a.Key+"="+showValue(a.Value))
		}
	}
	for _, a := range d.Attrs {
		if !first[a.Key] {
			tags = append(tags, a.Key+"="+showValue(a.Value))
		}
	}
	if len(tags) > 0 {
		sb.WriteString(" " + b.style(dim, joinTags(tags)))
	}
	sb.WriteByte('\n')

	// Lines under the span (errors, events, links) keep the tree's
	// connector to the span's children.
	under := l.cont + "   "
	if l.hasChildren {
		under = l.cont + "│  "
	}
	if failed && !hasException(d) {
		desc := d.StatusDesc
		if desc == "" {
			desc = "failed"
			if v, ok := d.Attr("http.response.status_code"); ok {
				desc = "HTTP " + v.String()
			}
		}
		sb.WriteString(under + b.style(red, "✗ "+oneLine(desc)) + "\n")
	}
	for _, e := range d.Events {
		off := "+" + fmtDur(e.Time.Sub(d.Start))
		if e.Name == "exception" {
			v := func(k string) string {
				for _, a := range e.Attrs {
					if a.Key == k {
						return a.Value.String()
					}
				}
				return ""
			}
			sb.WriteString(under + b.style(red, "✗ "+oneLine(v("exception.message"))) + b.style(dim, " ("+v("exception.type")+") "+off) + "\n")
			if st := v("exception.stacktrace"); st != "" {
				for i, sl := range strings.Split(strings.TrimRight(st, "\n"), "\n") {
					if i >= 8 {
						sb.WriteString(under + b.style(dim, "    …") + "\n")
						break
					}
					sb.WriteString(under + b.style(dim, "    "+strings.TrimSpace(sl)) + "\n")
				}
			}
			continue
		}
		ev := "• " + e.Name + " " + off
		for _, a := range e.Attrs {
			ev += " " + a.Key + "=" + showValue(a.Value)
		}
		sb.WriteString(under + b.style(dim, ev) + "\n")
	}
	for _, lk := range d.Links {
		sb.WriteString(under + b.style(dim, "↗ link "+lk.SpanContext.TraceID().String()+"/"+lk.SpanContext.SpanID().String()) + "\n")
	}
	if d.DroppedAttrs > 0 || d.DroppedEvent > 0 {
		sb.WriteString(under + b.style(dim, fmt.Sprintf("(%d attributes, %d events over the limits dropped)", d.DroppedAttrs, d.DroppedEvent)) + "\n")
	}
}

// first are the attributes shown before the others.
var first = map[string]bool{"http.response.status_code": true, "error.type": true}

// joinTags joins tags with spaces, up to maxTagsShow characters; the rest
// are counted (FormatJSON shows everything).
func joinTags(tags []string) string {
	var b strings.Builder
	for i, t := range tags {
		if i > 0 && b.Len()+1+len(t) > maxTagsShow {
			fmt.Fprintf(&b, " … (+%d)", len(tags)-i)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

// oneLine keeps a message on one line of the tree.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ⏎ ") }

func hasException(d *backendkit.SpanData) bool {
	for _, e := range d.Events {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}

// bar draws where [off, off+dur) falls in [0, total).
func bar(off, dur, total time.Duration) string {
	if total <= 0 {
		return strings.Repeat("█", barWidth)
	}
	start := int(int64(off) * barWidth / int64(total))
	n := int((int64(dur)*barWidth + int64(total) - 1) / int64(total))
	start = min(max(start, 0), barWidth-1)
	n = min(max(n, 1), barWidth-start)
	return strings.Repeat(" ", start) + strings.Repeat("█", n) + strings.Repeat(" ", barWidth-start-n)
}

func (b *Backend) style(code, s string) string {
	if !b.color || s == "" {
		return s
	}
	return code + s + reset
}

func showValue(v tracing.Value) string {
	s := v.String()
	if v.Kind() == tracing.KindString {
		s = quote(s)
	}
	return truncRunes(s, maxValueShow)
}

// quote quotes s if it has spaces or is empty.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}

func truncRunes(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func itoa(n int) string { return strconv.Itoa(n) }
