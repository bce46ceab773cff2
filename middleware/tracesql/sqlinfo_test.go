package tracesql

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		system, in, want string
	}{
		// Literals of every kind.
		{"sqlite", "SELECT * FROM notes WHERE id = 42", "SELECT * FROM notes WHERE id = ?"},
		{"sqlite", "SELECT * FROM t WHERE a = 'secret' AND b = 3.14e-2", "SELECT * FROM t WHERE a = ? AND b = ?"},
		{"sqlite", "SELECT * FROM t WHERE a = .5 OR a = 1. OR a = 1E10", "SELECT * FROM t WHERE a = ? OR a = ? OR a = ?"},
		{"sqlite", "SELECT X'DEADBEEF', x'00', 0x1F, 0b101", "SELECT ?, ?, ?, ?"},
		{"postgresql", "SELECT E'it\\'s', B'0101', U&'d\\0061t', N'ñ'", "SELECT ?, ?, ?, ?"},
		{"mysql", "SELECT _utf8mb4'secret', _binary'x'", "SELECT ?, ?"},
		// Quotes inside strings, escaped quotes.
		{"sqlite", "SELECT 'it''s a secret' FROM t", "SELECT ? FROM t"},
		{"sqlite", "SELECT 'a''' || '''b' FROM t", "SELECT ? || ? FROM t"},
		{"mysql", `SELECT 'it\'s secret', 'c:\\' FROM t WHERE b = 'x'`, "SELECT ?, ? FROM t WHERE b = ?"},
		{"postgresql", `SELECT 'c:\' FROM t WHERE b = 'secret'`, "SELECT ? FROM t WHERE b = ?"},
		{"mysql", `SELECT "double \" quoted secret" FROM t`, "SELECT ? FROM t"},
		{"postgresql", `SELECT "Weird ""Column""" FROM "my table"`, `SELECT "Weird ""Column""" FROM "my table"`},
		// Unknown dialect: a backslash before a quote cannot be read with
		// certainty, so the rest is hidden.
		{"other_sql", `SELECT a FROM t WHERE b = 'c:\' AND d = 'secret'`, "SELECT a FROM t WHERE b = ?"},
		{"other_sql", `SELECT a FROM t WHERE b = 'c:\\' AND d = 'secret'`, "SELECT a FROM t WHERE b = ? AND d = ?"},
		{"other_sql", `SELECT "maybe a mysql string" FROM t`, "SELECT ? FROM t"},
		// Dollar quoting.
		{"postgresql", "SELECT $$secret$$, $tag$it's $$ still secret$tag$ FROM t", "SELECT ?, ? FROM t"},
		// Comments are dropped, white space collapsed.
		{"sqlite", "/* leading */ SELECT a -- trailing 'x'\nFROM t /* 'secret' */ WHERE b = 1", "SELECT a FROM t WHERE b = ?"},
		{"sqlite", "SELECT\n\ta,\n\tb\nFROM   t", "SELECT a, b FROM t"},
		{"postgresql", "SELECT /* outer /* nested 'x' */ still comment */ a FROM t", "SELECT a FROM t"},
		{"mysql", "SELECT a FROM t # 'secret'\nWHERE b = 2", "SELECT a FROM t WHERE b = ?"},
		// Negative numbers and binary minus.
		{"sqlite", "SELECT * FROM t WHERE a = -5 AND b > -0.5 AND c = x-1 AND d = (-2)", "SELECT * FROM t WHERE a = ? AND b > ? AND c = x-? AND d = (?)"},
		{"sqlite", "SELECT -1, a - 2 FROM t", "SELECT ?, a - ? FROM t"},
		// Identifiers with digits and other non-literals stay.
		{"sqlite", "SELECT t1.c2, col_3 FROM t1 JOIN t2 ON t1.id = t2.id", "SELECT t1.c2, col_3 FROM t1 JOIN t2 ON t1.id = t2.id"},
		{"mysql", "SELECT `select`, 1abc FROM `t 1`", "SELECT `select`, 1abc FROM `t 1`"},
		{"microsoft.sql_server", "SELECT [order id] FROM [dbo].[t1] WHERE a = @p1 AND b = N'x'", "SELECT [order id] FROM [dbo].[t1] WHERE a = @p1 AND b = ?"},
		{"postgresql", "SELECT a::int, b::text[] FROM t WHERE c = $1 AND d = $2", "SELECT a::int, b::text[] FROM t WHERE c = $1 AND d = $2"},
		// Placeholders untouched.
		{"sqlite", "SELECT * FROM t WHERE a = ? AND b = ?2 AND c = :name AND d = $e AND f = @g", "SELECT * FROM t WHERE a = ? AND b = ?2 AND c = :name AND d = $e AND f = @g"},
		{"oracle.db", "SELECT * FROM t WHERE a = :1 AND b = :2", "SELECT * FROM t WHERE a = :1 AND b = :2"},
		// IN lists and VALUES collapse when made of literals only.
		{"sqlite", "SELECT * FROM t WHERE id IN (1, 2, 3, 4)", "SELECT * FROM t WHERE id IN (?)"},
		{"sqlite", "SELECT * FROM t WHERE id IN ( 'a' , 'b' )", "SELECT * FROM t WHERE id IN (?)"},
		{"sqlite", "SELECT * FROM t WHERE id IN (?, ?, ?)", "SELECT * FROM t WHERE id IN (?, ?, ?)"},
		{"sqlite", "SELECT * FROM t WHERE id IN (1, x, 3)", "SELECT * FROM t WHERE id IN (?, x, ?)"},
		{"sqlite", "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "INSERT INTO t (a, b) VALUES (?)"},
		{"sqlite", "INSERT INTO t VALUES (1) , ( 2 ),(3)", "INSERT INTO t VALUES (?)"},
		{"sqlite", "SELECT * FROM t WHERE a IN ( 1 )", "SELECT * FROM t WHERE a IN (?)"},
		{"sqlite", "INSERT INTO t VALUES (1, ?), (2, ?)", "INSERT INTO t VALUES (?, ?), (?, ?)"},
		{"sqlite", "INSERT INTO t VALUES (1), (?), (2)", "INSERT INTO t VALUES (?), (?), (?)"},
		{"sqlite", "SELECT * FROM t WHERE a IN (1, 2) AND b IN (3)", "SELECT * FROM t WHERE a IN (?) AND b IN (?)"},
		{"sqlite", "SELECT f(1), g((1, 2))", "SELECT f(?), g((?))"},
		// Text that cannot be lexed is hidden to the end.
		{"sqlite", "SELECT * FROM t WHERE a = 'unterminated secret", "SELECT * FROM t WHERE a = ?"},
		{"postgresql", "SELECT $x$ never closed", "SELECT ?"},
		{"sqlite", "SELECT a FROM t /* unterminated 'secret'", "SELECT a FROM t"},
		{"sqlite", "", ""},
		{"sqlite", "   ", ""},
	} {
		if got := Sanitize(tc.in, tc.system); got != tc.want {
			t.Errorf("Sanitize(%q, %s)\n got %q\nwant %q", tc.in, tc.system, got, tc.want)
		}
	}
}

// TestSanitizeHidesSecrets checks, on many shapes, that no part of a
// literal survives.
func TestSanitizeHidesSecrets(t *testing.T) {
	shapes := []string{
		"'%s'", "'x%sx'", "'%s''s'", "N'%s'", "E'%s'", "X'%s'", "$$%s$$", "$q$%s$q$", "_utf8'%s'",
	}
	for _, system := range []string{"sqlite", "postgresql", "mysql", "microsoft.sql_server", "oracle.db", "other_sql"} {
		for _, shape := range shapes {
			lit := strings.Replace(shape, "%s", "SeCrEt", 1)
			for _, q := range []string{
				"SELECT " + lit,
				"SELECT a FROM t WHERE b = " + lit + " AND c = 1",
				"INSERT INTO t VALUES (" + lit + ", " + lit + ")",
				"UPDATE t SET a = " + lit + " -- " + lit,
			} {
				if got := Sanitize(q, system); strings.Contains(strings.ToLower(got), "secret") {
					t.Errorf("Sanitize(%q, %s) = %q: the literal leaks", q, system, got)
				}
			}
		}
	}
	for _, q := range []string{"SELECT 123456789", "SELECT -98765", "SELECT 3.14159", "SELECT 0xC0FFEE", "SELECT 1e99"} {
		if got := Sanitize(q, "sqlite"); got != "SELECT ?" {
			t.Errorf("Sanitize(%q) = %q, want SELECT ?", q, got)
		}
	}
}

func TestAnalyzeOperationAndCollection(t *testing.T) {
	for _, tc := range []struct {
		in, op, collection, name string
	}{
		{"SELECT * FROM notes WHERE id = ?", "SELECT", "notes", "SELECT notes"},
		{"select id from notes", "SELECT", "notes", "SELECT notes"},
		{"  /* c */ -- d\n  SELECT 1", "SELECT", "", "SELECT"},
		{"SELECT n.id FROM notes n WHERE n.id = 1", "SELECT", "notes", "SELECT notes"},
		{"SELECT n.id FROM notes AS n", "SELECT", "notes", "SELECT notes"},
		{"SELECT * FROM main.notes", "SELECT", "main.notes", "SELECT main.notes"},
		{`SELECT * FROM "Notes"`, "SELECT", "Notes", "SELECT Notes"},
		{"SELECT * FROM [my notes]", "SELECT", "my notes", "SELECT my notes"},
		{"SELECT * FROM a, b", "SELECT", "", "SELECT"},
		{"SELECT * FROM a x, b y", "SELECT", "", "SELECT"},
		{"SELECT * FROM a JOIN b ON a.id = b.id", "SELECT", "", "SELECT"},
		{"SELECT * FROM a JOIN a AS a2 ON a.p = a2.id", "SELECT", "a", "SELECT a"},
		{"SELECT * FROM a WHERE id IN (SELECT id FROM b)", "SELECT", "", "SELECT"},
		{"SELECT * FROM (SELECT * FROM a) s", "SELECT", "", "SELECT"},
		{"SELECT * FROM generate_series(1, 3)", "SELECT", "", "SELECT"},
		{"SELECT EXTRACT(YEAR FROM created) FROM notes", "SELECT", "notes", "SELECT notes"},
		{"SELECT count(*) FROM notes", "SELECT", "notes", "SELECT notes"},
		{"SELECT a FROM t UNION SELECT a FROM u", "SELECT", "", "SELECT"},
		{"(SELECT a FROM t)", "SELECT", "t", "SELECT t"},
		{"INSERT INTO notes (description) VALUES (?)", "INSERT", "notes", "INSERT notes"},
		{"INSERT OR REPLACE INTO notes VALUES (1)", "INSERT", "notes", "INSERT notes"},
		{"INSERT INTO notes SELECT * FROM old_notes", "INSERT", "", "INSERT"},
		{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a", "INSERT", "t", "INSERT t"},
		{"INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2", "INSERT", "t", "INSERT t"},
		{"UPDATE notes SET description = ? WHERE id = ?", "UPDATE", "notes", "UPDATE notes"},
		{"UPDATE OR IGNORE notes SET a = 1", "UPDATE", "notes", "UPDATE notes"},
		{"UPDATE a SET x = b.x FROM b WHERE a.id = b.id", "UPDATE", "", "UPDATE"},
		{"DELETE FROM notes WHERE id = ?", "DELETE", "notes", "DELETE notes"},
		{"SELECT * FROM notes FOR UPDATE", "SELECT", "notes", "SELECT notes"},
		{"WITH recent AS (SELECT * FROM notes) SELECT * FROM recent", "SELECT", "", "SELECT"},
		{"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c", "SELECT", "c", "SELECT c"},
		{"WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d", "INSERT", "", "INSERT"},
		{"CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY)", "CREATE", "notes", "CREATE notes"},
		{"CREATE TEMP TABLE t1 (a)", "CREATE", "t1", "CREATE t1"},
		{"CREATE INDEX i ON notes (id)", "CREATE", "", "CREATE"},
		{"DROP TABLE IF EXISTS notes", "DROP", "notes", "DROP notes"},
		{"ALTER TABLE notes ADD COLUMN x", "ALTER", "notes", "ALTER notes"},
		{"TRUNCATE TABLE notes", "TRUNCATE", "notes", "TRUNCATE notes"},
		{"TRUNCATE notes", "TRUNCATE", "notes", "TRUNCATE notes"},
		{"PRAGMA journal_mode = WAL", "PRAGMA", "", "PRAGMA"},
		{"begin", "BEGIN", "", "BEGIN"},
		{"", "", "", "db.query"},
		{"?", "", "", "db.query"},
		{"'x'", "", "", "db.query"},
		{"SELECT * FROM", "SELECT", "", "SELECT"},
		{"SELECT * FROM t.", "SELECT", "", "SELECT"},
		{"x123", "", "", "db.query"},
		{strings.Repeat("(", 200) + "SELECT 1 FROM t" + strings.Repeat(")", 200), "SELECT", "", "SELECT"},
	} {
		q := analyze(tc.in, dialectOf("sqlite"), false)
		if q.op != tc.op || q.collection != tc.collection || q.name != tc.name {
			t.Errorf("analyze(%q) = op %q collection %q name %q, want %q %q %q", tc.in, q.op, q.collection, q.name, tc.op, tc.collection, tc.name)
		}
		// Raw mode finds the same and keeps the text.
		r := analyze(tc.in, dialectOf("sqlite"), true)
		if r.op != q.op || r.collection != q.collection || r.text != tc.in {
			t.Errorf("analyze(%q, raw) = %+v, want op and collection as sanitized, text unchanged", tc.in, *r)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"SELECT 'a' FROM t", "$a$", "/* /*", "[x", "'\\'", "E'\\", ":", "@", "-.5", "0x", "1e+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, system := range []string{"sqlite", "postgresql", "mysql", "other_sql", "microsoft.sql_server"} {
			q := analyze(s, dialectOf(system), false)
			if len(q.text) > len(s)+1 {
				t.Errorf("sanitized text %q longer than the query %q", q.text, s)
			}
			if q.name == "" {
				t.Error("empty span name")
			}
		}
	})
}

// BenchmarkAnalyze measures the lexer that sanitizes a query and finds its
// operation and table; tracesql caches its result per query text.
func BenchmarkAnalyze(b *testing.B) {
	const q = "SELECT n.id, n.description FROM notes n WHERE n.owner = 'bob' AND n.id IN (1, 2, 3) ORDER BY n.id LIMIT 10"
	d := dialectOf("postgresql")
	b.ReportAllocs()
	for b.Loop() {
		analyze(q, d, false)
	}
}
