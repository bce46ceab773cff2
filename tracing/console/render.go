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

const maxValueShow = 60 // characters of one value shown on a span's line

// layout is how a tree fits the width: the name column's width at most,
// and the bar's.
type layout struct {
	width, maxName, bar int
}

func (b *Backend) layout() layout {
	w := b.cfg.width
	l := layout{width: w, maxName: min(max(w*2/5, 24), 48), bar: 10}
	switch {
	case w >= 140:
		l.bar = 24
	case w >= 100:
		l.bar = 14
	}
	return l
}

// fixedCols is what a span line takes besides its name and the bar:
// "  kind---- duration- " and the bar's two edges and the space after it.
const fixedCols = 2 + 8 + 1 + 9 + 1 + 2 + 1

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

	lay := b.layout()
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
		nameW = max(nameW, min(utf8.RuneCountInString(l.prefix)+utf8.RuneCountInString(l.d.Name), lay.maxName))
	}

	var sb strings.Builder
	parts := []string{"trace " + tid.String(), b.service, fmtDur(total), fmt.Sprintf("%d span%s", len(t.spans), plural(len(t.spans)))}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d error%s", errs, plural(errs)))
	}
	if t.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d more span%s dropped (limit %d)", t.dropped, plural(t.dropped), b.cfg.maxSpans))
	}
	// The header's parts, folded to the width.
	head, n := parts[0], utf8.RuneCountInString(parts[0])
	for _, p := range parts[1:] {
		pw := utf8.RuneCountInString(p)
		if n+3+pw > lay.width {
			head += "\n  " + p
			n = 2 + pw
			continue
		}
		head += " · " + p
		n += 3 + pw
	}
	sb.WriteString(b.style(bold, head))
	if note != "" {
		sb.WriteString(b.style(dim, " ("+note+")"))
	}
	sb.WriteByte('\n')
	for _, l := range lines {
		b.writeSpan(&sb, l, lay, nameW, t0, total)
	}
	sb.WriteByte('\n')
	_, _ = b.cfg.w.Write([]byte(sb.String()))
}

func (b *Backend) writeSpan(sb *strings.Builder, l line, lay layout, nameW int, t0 time.Time, total time.Duration) {
	d := l.d
	failed := d.Status == tracing.StatusError
	name := truncRunes(d.Name, lay.maxName-utf8.RuneCountInString(l.prefix))
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
	sb.WriteString("▕" + b.style(barColor, bar(d.Start.Sub(t0), d.End.Sub(d.Start), total, lay.bar)) + "▏")

	// Lines under the span (attributes in verbose mode, errors, events,
	// links) keep the tree's connector to the span's children.
	under := l.cont + "   "
	if l.hasChildren {
		under = l.cont + "│  "
	}
	underW := utf8.RuneCountInString(under)
	tags := spanTags(d, !b.cfg.verboseOn())
	switch {
	case b.cfg.verboseOn():
		sb.WriteByte('\n')
		for _, row := range foldTags(tags, lay.width-underW-2) {
			sb.WriteString(under + "  " + b.style(dim, row) + "\n")
		}
	default:
		if s := joinTags(tags, lay.width-nameW-fixedCols-lay.bar); s != "" {
			sb.WriteString(" " + b.style(dim, s))
		}
		sb.WriteByte('\n')
	}
	// fit shortens a line under the span to the width; verbose folds it.
	fit := func(s string) string {
		if b.cfg.verboseOn() {
			return strings.Join(foldTags([]string{s}, lay.width-underW), "\n"+under)
		}
		return truncRunes(s, lay.width-underW)
	}
	if failed && !hasException(d) {
		desc := d.StatusDesc
		if desc == "" {
			desc = "failed"
			if v, ok := d.Attr("http.response.status_code"); ok {
				desc = "HTTP " + v.String()
			}
		}
		sb.WriteString(under + b.style(red, fit("✗ "+oneLine(desc))) + "\n")
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
			suffix := " (" + v("exception.type") + ") " + off
			msg := "✗ " + oneLine(v("exception.message"))
			if b.cfg.verboseOn() {
				sb.WriteString(under + b.style(red, fit(msg+suffix)) + "\n")
			} else {
				msg = truncRunes(msg, lay.width-underW-utf8.RuneCountInString(suffix))
				sb.WriteString(under + b.style(red, msg) + b.style(dim, suffix) + "\n")
			}
			if st := v("exception.stacktrace"); st != "" {
				for i, sl := range strings.Split(strings.TrimRight(st, "\n"), "\n") {
					if i >= 8 {
						sb.WriteString(under + b.style(dim, "    …") + "\n")
						break
					}
					sb.WriteString(under + b.style(dim, fit("    "+strings.TrimSpace(sl))) + "\n")
				}
			}
			continue
		}
		ev := "• " + e.Name + " " + off
		for _, a := range e.Attrs {
			if b.cfg.verboseOn() {
				ev += " " + a.Key + "=" + quoteValue(a.Value)
			} else {
				ev += " " + a.Key + "=" + showValue(a.Value)
			}
		}
		sb.WriteString(under + b.style(dim, fit(ev)) + "\n")
	}
	for _, lk := range d.Links {
		sb.WriteString(under + b.style(dim, "↗ link "+lk.SpanContext.TraceID().String()+"/"+lk.SpanContext.SpanID().String()) + "\n")
	}
	if d.DroppedAttrs > 0 || d.DroppedEvent > 0 {
		sb.WriteString(under + b.style(dim, fmt.Sprintf("(%d attributes, %d events over the limits dropped)", d.DroppedAttrs, d.DroppedEvent)) + "\n")
	}
}

// outcome are the attributes shown first: they say how the span went.
var outcome = map[string]bool{"http.response.status_code": true, "rpc.grpc.status_code": true, "error.type": true}

// conventions are the namespaces of OpenTelemetry's semantic conventions,
// which instrumentation records: shown after the application's own
// attributes, which say more about a particular span.
var conventions = map[string]bool{
	"http": true, "url": true, "server": true, "client": true, "network": true, "user_agent": true,
	"db": true, "rpc": true, "messaging": true, "exception": true, "otel": true, "telemetry": true,
}

// short names the outcome attributes in the compact view.
var short = map[string]string{"http.response.status_code": "status", "rpc.grpc.status_code": "grpc.status"}

// spanTags lists a span's attributes as key=value, most telling first:
// the outcome, the application's own attributes, the service, resource
// and type overrides, then the semantic-convention ones. compact shortens
// values and the outcome's keys.
func spanTags(d *backendkit.SpanData, compact bool) []string {
	val := func(v tracing.Value) string {
		if compact {
			return showValue(v)
		}
		return quoteValue(v)
	}
	var tags []string
	for _, a := range d.Attrs {
		if outcome[a.Key] {
			k := a.Key
			if compact && short[k] != "" {
				k = short[k]
			}
			tags = append(tags, k+"="+val(a.Value))
		}
	}
	app := func() {
		for _, a := range d.Attrs {
			ns, _, _ := strings.Cut(a.Key, ".")
			if !outcome[a.Key] && !conventions[ns] {
				tags = append(tags, a.Key+"="+val(a.Value))
			}
		}
	}
	app()
	if d.Service != "" {
		tags = append(tags, "service="+d.Service)
	}
	if d.Resource != "" && d.Resource != d.Name {
		tags = append(tags, "resource="+val(tracing.StringValue(d.Resource)))
	}
	if d.Type != "" {
		tags = append(tags, "type="+d.Type)
	}
	for _, a := range d.Attrs {
		ns, _, _ := strings.Cut(a.Key, ".")
		if !outcome[a.Key] && conventions[ns] {
			tags = append(tags, a.Key+"="+val(a.Value))
		}
	}
	return tags
}

// joinTags joins as many tags as fit in width columns with spaces, and
// says how many did not ("+3"); the verbose view and FormatJSON show
// everything.
func joinTags(tags []string, width int) string {
	var b strings.Builder
	n := 0 // columns used
	for i, t := range tags {
		tw := utf8.RuneCountInString(t)
		more := ""
		if i < len(tags)-1 {
			more = " +" + strconv.Itoa(len(tags)-i-1)
		}
		sep := 0
		if i > 0 {
			sep = 1
		}
		if n+sep+tw+len(more) > width {
			rest := " +" + strconv.Itoa(len(tags)-i)
			if i == 0 {
				rest = rest[1:]
			}
			if n+len(rest) > width {
				return b.String()
			}
			b.WriteString(rest)
			return b.String()
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
		n += sep + tw
	}
	return b.String()
}

// foldTags puts tags on rows of at most width columns; a tag longer than
// that continues on rows of its own.
func foldTags(tags []string, width int) []string {
	width = max(width, 8)
	var rows []string
	var row strings.Builder
	n := 0
	for _, t := range tags {
		for {
			tw := utf8.RuneCountInString(t)
			if n > 0 && n+1+tw > width {
				rows = append(rows, row.String())
				row.Reset()
				n = 0
			}
			if tw <= width {
				if n > 0 {
					row.WriteByte(' ')
					n++
				}
				row.WriteString(t)
				n += tw
				break
			}
			r := []rune(t)
			rows = append(rows, string(r[:width]))
			t = string(r[width:])
		}
	}
	if n > 0 {
		rows = append(rows, row.String())
	}
	return rows
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

// bar draws, barWidth wide, where [off, off+dur) falls in [0, total).
func bar(off, dur, total time.Duration, barWidth int) string {
	if total <= 0 {
		return strings.Repeat("█", barWidth)
	}
	start := int(int64(off) * int64(barWidth) / int64(total))
	n := int((int64(dur)*int64(barWidth) + int64(total) - 1) / int64(total))
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

func showValue(v tracing.Value) string { return truncRunes(quoteValue(v), maxValueShow) }

// quoteValue formats v, quoting strings that need it.
func quoteValue(v tracing.Value) string {
	s := v.String()
	if v.Kind() == tracing.KindString {
		s = quote(s)
	}
	return s
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
