package tracesql

import (
	"strings"
)

// queryInfo is what tracesql records about a query text. It is computed
// once per text (see config.info) and shared: never modify one.
type queryInfo struct {
	// text is db.query.text and the span's resource: the query with its
	// literals replaced by "?" (or the raw query with WithRawQuery).
	text string
	// op is db.operation.name: the statement's first keyword, upper case
	// (for WITH …, the main statement's keyword).
	op string
	// collection is db.collection.name: the one table the statement
	// names, or "" if it names none, several, or it is not sure.
	collection string
	// name is the span name: "op collection", "op" or "db.query".
	name string
}

// Limits that keep span names low-cardinality and short.
const (
	maxOpLen         = 32
	maxCollectionLen = 128
	maxParenDepth    = 64
)

// analyze lexes query once and returns what tracesql records about it. It
// never fails: text it cannot make sense of is hidden, not recorded.
func analyze(query string, d dialect, raw bool) *queryInfo {
	a := analyzer{lx: lexer{s: query, d: d}}
	a.run(!raw)
	q := &queryInfo{op: a.op, text: query}
	if !raw {
		q.text = string(a.out)
	}
	if !a.multi && a.table != "" && len(a.table) <= maxCollectionLen {
		q.collection = a.table
	}
	switch {
	case q.op != "" && q.collection != "":
		q.name = q.op + " " + q.collection
	case q.op != "":
		q.name = q.op
	default:
		q.name = "db.query"
	}
	return q
}

// Sanitize returns query as tracesql records it by default: string,
// number, blob and dollar-quoted literals replaced by "?", lists of
// literals in parentheses collapsed to "(?)", comments removed and white
// space collapsed to single spaces. Placeholders ("?", "$1", ":name",
// "@name") are kept. Text that cannot be lexed with certainty (an
// unterminated string, say) is replaced by a single "?" up to the end.
//
// system is a db.system.name value ("mysql", "postgresql", …) that selects
// the lexical rules; an unknown one selects rules that hide the most.
func Sanitize(query, system string) string {
	return analyze(query, dialectOf(system), false).text
}

type tokKind uint8

const (
	tokEnd     tokKind = iota
	tokWord            // unquoted identifier or keyword
	tokIdent           // quoted identifier
	tokLiteral         // string, number or blob literal
	tokParam           // placeholder
	tokOpen            // (
	tokClose           // )
	tokComma           // ,
	tokDot             // .
	tokOther           // operator or other punctuation
	tokRest            // the rest of the text cannot be lexed with certainty
)

// lexer splits SQL into tokens, skipping white space and comments.
type lexer struct {
	s string
	i int
	d dialect
	// operand reports whether the previous token ends an operand, so that
	// a following minus sign is binary ("a -1") rather than a sign
	// ("= -1").
	operand bool
}

func (l *lexer) at(i int) byte {
	if i < len(l.s) {
		return l.s[i]
	}
	return 0
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isHexDigit(c byte) bool   { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }
func isIdentStart(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' || c == '_' || c >= 0x80 }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '$' }

// next returns the next token and whether white space or a comment came
// before it.
func (l *lexer) next() (k tokKind, tok string, space bool) {
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '-' && l.at(l.i+1) == '-', c == '#' && l.d.hashComments:
			for l.i < len(l.s) && l.s[l.i] != '\n' {
				l.i++
			}
		case c == '/' && l.at(l.i+1) == '*':
			l.skipBlockComment()
		default:
			start := l.i
			k = l.scan()
			l.operand = k == tokIdent || k == tokLiteral || k == tokParam || k == tokClose ||
				k == tokWord && !expectsOperand(l.s[start:l.i])
			return k, l.s[start:l.i], space
		}
		space = true
	}
	return tokEnd, "", space
}

func (l *lexer) skipBlockComment() {
	l.i += 2
	depth := 1
	for l.i < len(l.s) {
		switch {
		case l.s[l.i] == '*' && l.at(l.i+1) == '/':
			l.i += 2
			if depth--; depth == 0 {
				return
			}
		case l.d.nestedComments && l.s[l.i] == '/' && l.at(l.i+1) == '*':
			l.i += 2
			depth++
		default:
			l.i++
		}
	}
}

// scan consumes one token starting at l.i (not white space or a comment).
func (l *lexer) scan() tokKind {
	c := l.s[l.i]
	switch {
	case c == '\'':
		return l.quoted('\'', l.d.backslash, l.d.unsureBackslash, tokLiteral)
	case c == '"':
		if l.d.doubleQuotedStrings {
			return l.quoted('"', l.d.backslash, l.d.unsureBackslash, tokLiteral)
		}
		return l.quoted('"', false, false, tokIdent)
	case c == '`':
		return l.quoted('`', false, false, tokIdent)
	case c == '[' && l.d.brackets:
		if j := strings.IndexByte(l.s[l.i+1:], ']'); j >= 0 {
			l.i += j + 2
			return tokIdent
		}
		l.i = len(l.s)
		return tokRest
	case isDigit(c), c == '.' && isDigit(l.at(l.i+1)) && !l.operand:
		return l.number(l.i)
	case c == '-' && !l.operand && (isDigit(l.at(l.i+1)) || l.at(l.i+1) == '.' && isDigit(l.at(l.i+2))):
		l.i++
		return l.number(l.i - 1)
	case isIdentStart(c):
		return l.word()
	case c == '?':
		l.i++
		for isDigit(l.at(l.i)) {
			l.i++
		}
		return tokParam
	case c == '$':
		return l.dollar()
	case c == ':':
		switch n := l.at(l.i + 1); {
		case n == ':':
			l.i += 2
			return tokOther
		case isIdentStart(n) || isDigit(n):
			l.i += 2
			for isIdentPart(l.at(l.i)) {
				l.i++
			}
			return tokParam
		}
	case c == '@':
		j := l.i + 1
		if l.at(j) == '@' {
			j++
		}
		if isIdentStart(l.at(j)) {
			l.i = j + 1
			for isIdentPart(l.at(l.i)) {
				l.i++
			}
			return tokParam
		}
	case c == '(':
		l.i++
		return tokOpen
	case c == ')':
		l.i++
		return tokClose
	case c == ',':
		l.i++
		return tokComma
	case c == '.':
		l.i++
		return tokDot
	}
	l.i++
	return tokOther
}

// quoted consumes a quoted token; a doubled quote stands for itself. With
// backslash, a backslash escapes the next character; with unsure, a quote
// after an odd number of backslashes makes the rest of the text
// uncertain (it ends the token in one dialect and not in another).
func (l *lexer) quoted(q byte, backslash, unsure bool, k tokKind) tokKind {
	i := l.i + 1
	for i < len(l.s) {
		c := l.s[i]
		switch {
		case c == '\\' && backslash:
			i += 2
		case c == '\\' && unsure:
			j := i
			for j < len(l.s) && l.s[j] == '\\' {
				j++
			}
			if (j-i)%2 == 1 && j < len(l.s) && l.s[j] == q {
				l.i = len(l.s)
				return tokRest
			}
			i = j
		case c == q:
			if i+1 < len(l.s) && l.s[i+1] == q {
				i += 2
				continue
			}
			l.i = i + 1
			return k
		default:
			i++
		}
	}
	l.i = len(l.s)
	return tokRest
}

// number consumes a number that starts at start (l.i is past a sign, if
// any). A "number" running into letters ("1abc", which MySQL allows as an
// identifier) is a word.
func (l *lexer) number(start int) tokKind {
	i := l.i
	if l.at(i) == '0' && (l.at(i+1)|0x20 == 'x' || l.at(i+1)|0x20 == 'b') && isHexDigit(l.at(i+2)) {
		i += 2
		for isHexDigit(l.at(i)) {
			i++
		}
	} else {
		for isDigit(l.at(i)) {
			i++
		}
		if l.at(i) == '.' {
			i++
			for isDigit(l.at(i)) {
				i++
			}
		}
		if l.at(i)|0x20 == 'e' && (isDigit(l.at(i+1)) || (l.at(i+1) == '+' || l.at(i+1) == '-') && isDigit(l.at(i+2))) {
			i += 2
			for isDigit(l.at(i)) {
				i++
			}
		}
	}
	if isIdentPart(l.at(i)) && l.s[start] != '-' && !strings.Contains(l.s[start:i], ".") {
		for isIdentPart(l.at(i)) {
			i++
		}
		l.i = i
		return tokWord
	}
	l.i = i
	return tokLiteral
}

// word consumes an identifier or keyword, or a literal with a prefix:
// N'…', E'…' (with backslash escapes), X'…', B'…', U&'…' and MySQL's
// character set introducers (_utf8mb4'…').
func (l *lexer) word() tokKind {
	start := l.i
	for isIdentPart(l.at(l.i)) {
		l.i++
	}
	w := l.s[start:l.i]
	switch {
	case l.at(l.i) == '\'' && (len(w) == 1 && strings.ContainsRune("nNeExXbB", rune(w[0])) || w[0] == '_'):
		backslash := l.d.backslash || w[0]|0x20 == 'e'
		return l.quoted('\'', backslash, l.d.unsureBackslash && !backslash, tokLiteral)
	case len(w) == 1 && w[0]|0x20 == 'u' && l.at(l.i) == '&' && l.at(l.i+1) == '\'':
		l.i++
		return l.quoted('\'', false, false, tokLiteral)
	}
	return tokWord
}

// dollar consumes a token starting with '$': a positional placeholder
// ($1), a dollar-quoted string ($$…$$, $tag$…$tag$) or a named
// placeholder ($name).
func (l *lexer) dollar() tokKind {
	i := l.i + 1
	if isDigit(l.at(i)) {
		for isDigit(l.at(i)) {
			i++
		}
		l.i = i
		return tokParam
	}
	for i < len(l.s) && (isIdentStart(l.s[i]) || isDigit(l.s[i])) {
		i++
	}
	if l.at(i) == '$' {
		tag := l.s[l.i : i+1]
		if j := strings.Index(l.s[i+1:], tag); j >= 0 {
			l.i = i + 1 + j + len(tag)
			return tokLiteral
		}
		l.i = len(l.s)
		return tokRest
	}
	if i > l.i+1 {
		l.i = i
		return tokParam
	}
	l.i++
	return tokOther
}

// expectsOperand reports whether w is a keyword after which a minus sign
// is a sign (SELECT -1, WHERE -x > 0).
func expectsOperand(w string) bool {
	if len(w) > 9 {
		return false
	}
	for _, k := range [...]string{"SELECT", "WHERE", "AND", "OR", "NOT", "IN", "IS", "LIKE", "BETWEEN", "THEN", "ELSE",
		"WHEN", "CASE", "VALUES", "SET", "BY", "LIMIT", "OFFSET", "ON", "AS", "HAVING", "RETURN", "DEFAULT", "INTERVAL", "ESCAPE"} {
		if strings.EqualFold(w, k) {
			return true
		}
	}
	return false
}

// analyzer walks the tokens once, writing the sanitized text and finding
// the operation and the table.
type analyzer struct {
	lx  lexer
	out []byte

	op     string
	withOp bool // the statement starts with WITH: op is still to find
	opSeen bool // the first word has been seen
	depth  int
	parens [maxParenDepth]paren
	// groupEnd is len(out) just after the last "(…)" of literals only, or
	// 0; closeParen merges the next such group into it.
	groupEnd int
	openNew  bool // the previous token was "("

	// Table search.
	expect   expectKind // what the next name is
	skipMods bool       // skip modifier words before the name (UPDATE OR IGNORE t)
	name     []byte     // the qualified name being read
	nameDot  bool       // name ends with a dot: another part follows
	nameFrom bool       // the name follows FROM or JOIN
	after    int        // tokens seen after a FROM item (for "FROM a, b")
	table    string     // the first table found
	multi    bool       // several tables, or not sure
}

type paren struct {
	pos   int  // len(out) after the "("
	lits  int  // literals directly inside
	pure  bool // only literals and commas directly inside
	query bool // a subquery: (SELECT …
}

type expectKind uint8

const (
	expectNone  expectKind = iota
	expectTable            // a table name follows
	expectName             // reading a table name
)

func (a *analyzer) run(sanitize bool) {
	if sanitize {
		a.out = make([]byte, 0, len(a.lx.s))
	}
	for {
		k, tok, space := a.lx.next()
		if k == tokEnd {
			a.endName(k, "")
			return
		}
		a.table1(k, tok)
		a.operation(k, tok)
		if !sanitize {
			if k == tokRest {
				return
			}
			a.nest(k, tok)
			continue
		}
		if space && len(a.out) > 0 {
			a.out = append(a.out, ' ')
		}
		switch k {
		case tokRest:
			a.out = append(a.out, '?')
			return
		case tokLiteral:
			a.out = append(a.out, '?')
			if a.depth > 0 && a.depth <= maxParenDepth {
				a.parens[a.depth-1].lits++
			}
		case tokClose:
			a.closeParen()
		case tokComma, tokOpen:
			a.out = append(a.out, tok...)
		default:
			a.out = append(a.out, tok...)
			if a.depth > 0 && a.depth <= maxParenDepth {
				a.parens[a.depth-1].pure = false
			}
		}
		a.nest(k, tok)
	}
}

// closeParen writes ")", collapsing a list of literals to "(?)" and a
// list of such lists ("VALUES (1, 'a'), (2, 'b')") to one, so that the
// number of values does not make distinct query texts.
func (a *analyzer) closeParen() {
	if a.groupEnd > len(a.out) {
		a.groupEnd = 0
	}
	if a.depth == 0 || a.depth > maxParenDepth {
		a.out = append(a.out, ')')
		return
	}
	p := a.parens[a.depth-1]
	if !p.pure || p.lits == 0 {
		a.out = append(a.out, ')')
		return
	}
	a.out = append(a.out[:p.pos], '?')
	if open := p.pos - 1; a.groupEnd > 0 && open >= a.groupEnd && oneComma(a.out[a.groupEnd:open]) {
		a.out = a.out[:a.groupEnd]
		return
	}
	a.out = append(a.out, ')')
	a.groupEnd = len(a.out)
}

// oneComma reports whether b is a comma with optional spaces around it.
func oneComma(b []byte) bool {
	commas := 0
	for _, c := range b {
		switch c {
		case ',':
			commas++
		case ' ':
		default:
			return false
		}
	}
	return commas == 1
}

// nest tracks parentheses: their depth, and whether each opens a
// subquery.
func (a *analyzer) nest(k tokKind, tok string) {
	if a.openNew {
		a.openNew = false
		if k == tokWord && a.depth <= maxParenDepth && (strings.EqualFold(tok, "SELECT") || strings.EqualFold(tok, "WITH")) {
			a.parens[a.depth-1].query = true
		}
	}
	switch k {
	case tokOpen:
		if a.depth > 0 && a.depth <= maxParenDepth {
			a.parens[a.depth-1].pure = false
		}
		a.depth++
		if a.depth <= maxParenDepth {
			a.parens[a.depth-1] = paren{pos: len(a.out), pure: true}
		}
		a.openNew = true
	case tokClose:
		if a.depth > 0 {
			a.depth--
		}
	}
}

// queryLevel reports whether the current parentheses hold a query (not an
// expression such as EXTRACT(YEAR FROM d)).
func (a *analyzer) queryLevel() bool {
	return a.depth == 0 || a.depth <= maxParenDepth && a.parens[a.depth-1].query
}

// operation finds db.operation.name: the first word (after any opening
// parentheses), or for WITH the first DML keyword outside parentheses.
func (a *analyzer) operation(k tokKind, tok string) {
	if a.opSeen && !a.withOp {
		return
	}
	if !a.opSeen {
		if k == tokOpen {
			return
		}
		a.opSeen = true
		if k != tokWord {
			return
		}
		if strings.EqualFold(tok, "WITH") {
			a.withOp = true
			return
		}
		a.op = upperKeyword(tok)
		if a.op == "UPDATE" || a.op == "TRUNCATE" {
			a.expect, a.skipMods = expectTable, true
		}
		return
	}
	// WITH …: look for the main statement at depth 0.
	if k != tokWord || a.depth != 0 {
		return
	}
	for _, kw := range [...]string{"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "VALUES"} {
		if strings.EqualFold(tok, kw) {
			a.op, a.withOp = kw, false
			if kw == "UPDATE" {
				a.expect, a.skipMods = expectTable, true
			}
			return
		}
	}
}

// upperKeyword returns w in upper case if it is a plausible keyword
// (letters and underscores only, not too long), else "".
func upperKeyword(w string) string {
	if len(w) > maxOpLen {
		return ""
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !('a' <= c|0x20 && c|0x20 <= 'z' || c == '_') {
			return ""
		}
	}
	return strings.ToUpper(w)
}

// tableModifiers are words that may come between a statement keyword and
// the table name.
var tableModifiers = [...]string{"OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE", "LOW_PRIORITY",
	"HIGH_PRIORITY", "DELAYED", "QUICK", "ONLY", "IF", "NOT", "EXISTS", "TEMP", "TEMPORARY", "UNLOGGED", "VIRTUAL"}

func isAny(w string, list []string) bool {
	for _, x := range list {
		if strings.EqualFold(w, x) {
			return true
		}
	}
	return false
}

// clauseWords end a FROM item: a word after a table name that is one of
// these is not an alias.
var clauseWords = [...]string{"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT",
	"JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER", "ON", "USING", "WINDOW", "FOR", "SET",
	"VALUES", "RETURNING", "FETCH", "STRAIGHT_JOIN", "USE", "FORCE", "INDEXED", "NOT", "WITH", "LATERAL"}

// table1 finds the statement's table: the names after FROM, JOIN, INTO
// (INSERT, REPLACE, MERGE), UPDATE and TABLE (CREATE, DROP, ALTER,
// TRUNCATE). It gives up (multi) on a second different name, a list of
// tables, a subquery or function in FROM, or anything unexpected where a
// name should be.
func (a *analyzer) table1(k tokKind, tok string) {
	if a.multi {
		return
	}
	switch a.expect {
	case expectName:
		if a.nameDot {
			if k == tokWord || k == tokIdent {
				a.name = appendUnquoted(a.name, tok)
				a.nameDot = false
				return
			}
			a.multi = true
			return
		}
		if k == tokDot {
			a.name = append(a.name, '.')
			a.nameDot = true
			return
		}
		a.endName(k, tok)
		// fall through to look at tok afresh
	case expectTable:
		switch {
		case k == tokWord && a.skipMods && isAny(tok, tableModifiers[:]):
			return
		case k == tokWord && strings.EqualFold(tok, "TABLE") && a.skipMods:
			return
		case k == tokWord || k == tokIdent:
			a.expect = expectName
			a.name = appendUnquoted(a.name[:0], tok)
			return
		default:
			a.multi = true
			return
		}
	}
	if a.after > 0 {
		// Just after a FROM item: "a, b" or "a x, b" lists tables.
		switch {
		case k == tokComma:
			a.multi = true
			return
		case k == tokWord && a.after == 1 && strings.EqualFold(tok, "AS"):
			a.after = 2
		case k == tokWord && a.after <= 2 && !isAny(tok, clauseWords[:]):
			a.after = 3
		case k == tokIdent && a.after <= 2:
			a.after = 3
		default:
			a.after = 0
		}
		if a.after > 0 {
			return
		}
	}
	if k != tokWord {
		return
	}
	switch {
	case (strings.EqualFold(tok, "FROM") || strings.EqualFold(tok, "JOIN")) && a.queryLevel():
		a.expect, a.skipMods, a.nameFrom = expectTable, strings.EqualFold(tok, "FROM") && a.op == "DELETE", true
		if strings.EqualFold(tok, "JOIN") {
			a.skipMods = false
		}
	case strings.EqualFold(tok, "INTO") && a.depth == 0 && (a.op == "INSERT" || a.op == "REPLACE" || a.op == "MERGE"):
		a.expect, a.skipMods, a.nameFrom = expectTable, false, false
	case strings.EqualFold(tok, "TABLE") && a.depth == 0 && a.table == "" &&
		(a.op == "CREATE" || a.op == "DROP" || a.op == "ALTER" || a.op == "TRUNCATE"):
		a.expect, a.skipMods, a.nameFrom = expectTable, true, false
	}
}

// endName records the name just read; k and tok are the token after it.
func (a *analyzer) endName(k tokKind, tok string) {
	if a.expect != expectName {
		return
	}
	a.expect = expectNone
	if a.nameDot || a.nameFrom && k == tokOpen {
		// "FROM schema." or "FROM f(…)": not a plain table.
		a.multi = true
		return
	}
	switch {
	case a.table == "":
		a.table = string(a.name)
	case !strings.EqualFold(a.table, string(a.name)):
		a.multi = true
	}
	if a.nameFrom {
		a.after = 1
	}
}

// appendUnquoted appends an identifier without its quotes.
func appendUnquoted(dst []byte, tok string) []byte {
	if len(tok) >= 2 {
		switch q := tok[0]; q {
		case '"', '`':
			inner := tok[1 : len(tok)-1]
			for i := 0; i < len(inner); i++ {
				dst = append(dst, inner[i])
				if inner[i] == q && i+1 < len(inner) && inner[i+1] == q {
					i++
				}
			}
			return dst
		case '[':
			return append(dst, tok[1:len(tok)-1]...)
		}
	}
	return append(dst, tok...)
}
