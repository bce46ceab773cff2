package migrate

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// fileRW is the rewrite of one file: its source, the names it declares
// (so that added imports and variables do not clash) and the imports and
// declarations the rewrite adds.
type fileRW struct {
	f     *ast.File
	tf    *token.File
	src   []byte
	test  bool
	scope *types.Scope // the package scope, to see what a name means where

	names   map[string]bool   // every identifier spelled in the file
	imports map[string]string // path → name, for the file's own imports
	added   map[string]string // path → name, imports to add
	order   []string          // paths of added, in order of need
	tail    []string          // declarations to append to the file
}

func newFileRW(pass *analysis.Pass, f *ast.File, src []byte) *fileRW {
	fr := &fileRW{
		f:       f,
		tf:      pass.Fset.File(f.FileStart),
		src:     src,
		names:   map[string]bool{},
		imports: map[string]string{},
		added:   map[string]string{},
	}
	fr.test = strings.HasSuffix(fr.tf.Name(), "_test.go")
	fr.scope = pass.Pkg.Scope()
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			fr.names[id.Name] = true
		}
		return true
	})
	for _, name := range pass.Pkg.Scope().Names() {
		fr.names[name] = true
	}
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		name := ""
		if spec.Name != nil {
			name = spec.Name.Name
		} else if pn, ok := pass.TypesInfo.Implicits[spec].(*types.PkgName); ok {
			name = pn.Name()
		}
		if name == "_" || name == "." || name == "" {
			continue
		}
		fr.names[name] = true
		if _, dup := fr.imports[path]; !dup {
			fr.imports[path] = name
		}
	}
	return fr
}

// defaultNames are the names an added import is given, first choice
// first.
var defaultNames = map[string][]string{
	pathTracing:   {"tracing", "ptracing", "polytracing"},
	pathOTShim:    {"otshim"},
	pathJBackend:  {"jaegerbackend"},
	pathTraceHTTP: {"tracehttp"},
	"context":     {"context", "gocontext"},
	"errors":      {"errors", "goerrors"},
	"net/http":    {"http", "nethttp_"},
	"io":          {"io", "goio"},
}

// qAt returns the name under which the file refers to the package path
// at pos: its import's name unless a local declaration shadows it there,
// else a name the rewrite imports it under.
func (fr *fileRW) qAt(path string, pos token.Pos) string {
	if n, ok := fr.imports[path]; ok {
		if fr.scope == nil || !pos.IsValid() {
			return n
		}
		if sc := fr.scope.Innermost(pos); sc != nil {
			if _, o := sc.LookupParent(n, pos); o != nil {
				if pn, ok := o.(*types.PkgName); ok && pn.Imported().Path() == path {
					return n
				}
			}
		} else {
			return n
		}
		return fr.add(path)
	}
	return fr.q(path)
}

// q returns the name under which the file refers to the package path,
// adding an import if it has none.
func (fr *fileRW) q(path string) string {
	if n, ok := fr.imports[path]; ok {
		return n
	}
	return fr.add(path)
}

// blank imports path for its side effects, unless the file imports it.
func (fr *fileRW) blank(path string) {
	if _, ok := fr.imports[path]; ok {
		return
	}
	if _, ok := fr.added[path]; ok {
		return
	}
	for _, spec := range fr.f.Imports {
		if spec.Path.Value == strconv.Quote(path) {
			return
		}
	}
	fr.added[path] = "_"
	fr.order = append(fr.order, path)
}

func (fr *fileRW) add(path string) string {
	if n, ok := fr.added[path]; ok {
		return n
	}
	cands := defaultNames[path]
	if len(cands) == 0 {
		cands = []string{path[strings.LastIndex(path, "/")+1:]}
	}
	taken := func(c string) bool {
		if fr.names[c] || types.Universe.Lookup(c) != nil {
			return true
		}
		for _, n := range fr.added {
			if n == c && n != "_" {
				return true
			}
		}
		return false
	}
	name := ""
	for _, c := range cands {
		if !taken(c) {
			name = c
			break
		}
	}
	for i := 2; name == ""; i++ {
		if c := cands[0] + strconv.Itoa(i); !taken(c) {
			name = c
		}
	}
	fr.added[path] = name
	fr.order = append(fr.order, path)
	return name
}

// importEdit returns the edits adding the file's new imports, if any:
// standard library packages after the file's last standard import,
// others after its last import.
func (fr *fileRW) importEdits() []analysis.TextEdit {
	if len(fr.order) == 0 {
		return nil
	}
	paths := append([]string(nil), fr.order...)
	sort.Strings(paths)
	spec := func(path string) string {
		name := fr.added[path]
		s := strconv.Quote(path)
		if name != path[strings.LastIndex(path, "/")+1:] {
			s = name + " " + s
		}
		return s
	}
	var last *ast.GenDecl
	for _, d := range fr.f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			last = g
		}
	}
	if last == nil || !last.Lparen.IsValid() {
		var specs []string
		for _, p := range paths {
			specs = append(specs, spec(p))
		}
		pos := fr.f.Name.End()
		if last != nil {
			pos = last.End()
		}
		return []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte("\n\nimport (\n\t" + strings.Join(specs, "\n\t") + "\n)")}}
	}
	var lastStd, lastAny ast.Spec
	for _, s := range last.Specs {
		path, _ := strconv.Unquote(s.(*ast.ImportSpec).Path.Value)
		if isStd(path) {
			lastStd = s
		}
		lastAny = s
	}
	var std, other []string
	for _, p := range paths {
		if isStd(p) && lastStd != nil {
			std = append(std, spec(p))
		} else {
			other = append(other, spec(p))
		}
	}
	var edits []analysis.TextEdit
	add := func(after ast.Spec, specs []string) {
		if len(specs) > 0 {
			pos := after.End()
			edits = append(edits, analysis.TextEdit{Pos: pos, End: pos, NewText: []byte("\n\t" + strings.Join(specs, "\n\t"))})
		}
	}
	if lastStd == lastAny {
		add(lastAny, append(std, other...))
	} else {
		add(lastStd, std)
		add(lastAny, other)
	}
	return edits
}

// isStd reports whether an import path is the standard library's.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func (fr *fileRW) off(pos token.Pos) int { return fr.tf.Offset(pos) }

// text returns the source of n.
func (fr *fileRW) text(n ast.Node) string { return string(fr.src[fr.off(n.Pos()):fr.off(n.End())]) }

// indent returns the white space that starts the line of pos.
func (fr *fileRW) indent(pos token.Pos) string {
	o := fr.off(pos)
	start := o
	for start > 0 && fr.src[start-1] != '\n' {
		start--
	}
	end := start
	for end < len(fr.src) && (fr.src[end] == ' ' || fr.src[end] == '\t') {
		end++
	}
	return string(fr.src[start:end])
}

// blankLine reports whether line l (1-based) is empty.
func (fr *fileRW) blankLine(l int) bool {
	if l < 1 || l > fr.tf.LineCount() {
		return false
	}
	start := fr.tf.Offset(fr.tf.LineStart(l))
	end := len(fr.src)
	if l < fr.tf.LineCount() {
		end = fr.tf.Offset(fr.tf.LineStart(l + 1))
	}
	for _, c := range fr.src[start:end] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// line returns the line of pos.
func (fr *fileRW) line(pos token.Pos) int { return fr.tf.Line(pos) }

// hasMarker reports whether a polytrace-migrate comment ends on the line
// before pos, or on pos's own line.
func (fr *fileRW) hasMarker(pos token.Pos) bool {
	l := fr.line(pos)
	for _, cg := range fr.f.Comments {
		el := fr.line(cg.End())
		if el != l-1 && el != l && (el != l-2 || !fr.blankLine(l-1)) {
			continue
		}
		for _, c := range cg.List {
			if strings.Contains(c.Text, "polytrace-migrate:") {
				return true
			}
		}
	}
	return false
}

// rewriter renders nodes with the rules planned for them.
type rewriter struct {
	rules  map[ast.Node]func() string
	prefix map[ast.Node]string
	files  map[*token.File]*fileRW
	fset   *token.FileSet
}

func (r *rewriter) fileOf(n ast.Node) *fileRW { return r.files[r.fset.File(n.Pos())] }

// render returns the new text of n: its rule's, or its source with the
// rules of the nodes inside it applied.
func (r *rewriter) render(n ast.Node) string {
	if n == nil {
		return ""
	}
	var s string
	if fn, ok := r.rules[n]; ok {
		s = fn()
	} else {
		s = r.splice(n)
	}
	if pre, ok := r.prefix[n]; ok {
		s = pre + s
	}
	return s
}

type piece struct {
	start, end int
	text       string
}

// splice returns the source of n with the rules of the outermost ruled
// nodes inside it applied.
func (r *rewriter) splice(n ast.Node) string {
	fr := r.fileOf(n)
	base := fr.off(n.Pos())
	src := fr.src[base:fr.off(n.End())]
	parts := r.inner(n)
	if len(parts) == 0 {
		return string(src)
	}
	var b strings.Builder
	at := 0
	for _, p := range parts {
		s, e := p.start-base, p.end-base
		if p.text == "" {
			s, e = widenDeletion(src, s, e)
		}
		if s < at {
			continue
		}
		b.Write(src[at:s])
		b.WriteString(p.text)
		at = e
	}
	b.Write(src[at:])
	return b.String()
}

// inner returns the rendered outermost ruled nodes strictly inside n.
func (r *rewriter) inner(n ast.Node) []piece {
	fr := r.fileOf(n)
	var parts []piece
	ast.Inspect(n, func(c ast.Node) bool {
		if c == nil || c == n {
			return true
		}
		_, ruled := r.rules[c]
		_, pre := r.prefix[c]
		if ruled || pre {
			parts = append(parts, piece{fr.off(c.Pos()), fr.off(c.End()), r.render(c)})
			return false
		}
		return true
	})
	return parts
}

// widenDeletion extends the deletion of src[s:e] to whole lines when the
// deleted text is alone on its line(s).
func widenDeletion(src []byte, s, e int) (int, int) {
	ls := s
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	if ls > 0 && src[ls-1] != '\n' {
		return s, e
	}
	le := e
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if le < len(src) && src[le] != '\n' {
		return s, e
	}
	if le < len(src) {
		le++
	} else if ls > 0 {
		ls--
	}
	return ls, le
}

// edits returns the text edits of one file.
func (r *rewriter) edits(fr *fileRW) []analysis.TextEdit {
	var out []analysis.TextEdit
	ast.Inspect(fr.f, func(c ast.Node) bool {
		if c == nil {
			return true
		}
		_, ruled := r.rules[c]
		_, pre := r.prefix[c]
		if !ruled && !pre {
			return true
		}
		text := r.render(c)
		s, e := fr.off(c.Pos()), fr.off(c.End())
		if text == "" {
			s, e = widenDeletion(fr.src, s, e)
		}
		if fr.text(c) != text || s != fr.off(c.Pos()) {
			out = append(out, analysis.TextEdit{Pos: fr.tf.Pos(s), End: fr.tf.Pos(e), NewText: []byte(text)})
		}
		return false
	})
	out = append(out, fr.importEdits()...)
	if len(fr.tail) > 0 {
		end := fr.tf.Pos(len(fr.src))
		out = append(out, analysis.TextEdit{Pos: end, End: end, NewText: []byte("\n" + strings.Join(fr.tail, "\n"))})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pos < out[j].Pos })
	return out
}
