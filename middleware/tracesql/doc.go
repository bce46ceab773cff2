// Package tracesql traces database/sql through the tracing facade, whatever
// backend is selected. It wraps a driver's connector, so that every
// operation of a *sql.DB — on the DB itself, a Conn, a Tx or a Stmt — is
// seen, and the application keeps using database/sql as before.
//
// Three ways in:
//
//	// 1. Register a traced driver, then sql.Open it by name.
//	tracesql.Register("sqlite+traced", &sqlite.Driver{})
//	db, err := sql.Open("sqlite+traced", "file:notes.db")
//
//	// 2. Open through a driver already registered by its package.
//	db, err := tracesql.Open("postgres", dsn, tracesql.WithChildSpansOnly())
//
//	// 3. Wrap a connector.
//	db := tracesql.OpenDB(connector)
//
// Drivers without driver.DriverContext get a connector that calls their
// Open, as database/sql does for them.
//
// # Spans
//
// Each traced operation gets a client span, a child of the span in the
// operation's context. WithOps selects the operations (DefaultOps: queries,
// execs, and begin/commit/rollback; prepare, ping and connect are off by
// default). A query's span lasts until its rows are closed.
//
// Span names follow OpenTelemetry: the operation and the table when the
// statement names exactly one ("SELECT notes", "INSERT notes"), else the
// operation ("SELECT"), else "db.query"; "BEGIN", "COMMIT", "ROLLBACK",
// "PREPARE", "PING" and "CONNECT" for the other operations.
//
// Attributes: db.system.name (derived from the driver's package for
// well-known drivers, else its registered name, else "other_sql"; see
// WithSystem), db.query.text, db.operation.name (the statement's first
// keyword, or for WITH … the main statement's), db.collection.name (only
// when the statement names exactly one table, found while lexing the
// query), db.response.returned_rows (rows read) and
// db.response.affected_rows (Result.RowsAffected, which OpenTelemetry does
// not name). For Datadog, the span type is "sql", the resource is the
// query text, and the service is "db" (WithService).
//
// driver.ErrSkip, io.EOF at the end of rows and sql.ErrNoRows are not
// errors. An operation that fails with its context canceled or past its
// deadline is recorded with error.type context.Canceled or
// context.DeadlineExceeded. When a driver declines a direct query with
// driver.ErrSkip, database/sql prepares the query and runs it as a
// statement; the statement takes over the query's span, so the operation
// still has one span.
//
// # Security
//
// Query arguments are never recorded. By default the recorded query text
// has its string, number, hex and blob literals replaced by "?", lists of
// them collapsed to "(?)", comments removed and white space collapsed, so
// values written into SQL by hand are not recorded either (see Sanitize);
// WithRawQuery records the text as written. Placeholders ($1, ?, :name,
// @name) are kept.
//
// WithTraceComment (off by default) adds the span's traceparent to the SQL
// sent to the database as a sqlcommenter comment, for database-side
// correlation (Datadog Database Monitoring, Cloud SQL Query Insights,
// pg_stat_activity). The comment is never part of the recorded text.
//
// # Quiet and cheap when not tracing
//
// WithChildSpansOnly traces an operation only if its context already
// carries a span (local, or remote as extracted from a request), so background jobs and pool maintenance make no root
// spans. When an operation is not traced (the none backend, an
// operation not in WithOps, or no parent with WithChildSpansOnly),
// tracesql adds no allocation to it: rows, transactions and results are
// the driver's own. Wrapping a connection or a prepared statement
// allocates once, when it is created (so, for a driver that can run
// queries only as prepared statements, once per query: database/sql
// prepares a statement for each).
//
// # Driver behaviour
//
// The traced driver, connector, connection, statement, rows and
// transaction are one type each, which implement the optional driver
// interfaces whether or not the driver does; where the driver lacks one,
// they do exactly what database/sql does without it. The context forms
// (ExecerContext, QueryerContext, ConnPrepareContext, ConnBeginTx,
// StmtExecContext, StmtQueryContext) fall back to the legacy forms with
// database/sql's checks, conversions and errors, so that spans of legacy
// drivers still get the caller's context and parent, and a direct query
// the connection cannot run at all returns driver.ErrSkip, after which
// database/sql prepares it, as for the bare driver. Ping without
// driver.Pinger does nothing (and makes no span); a connector that is not
// an io.Closer closes nothing; rows without driver.RowsNextResultSet have
// no next result set, and without the RowsColumnType interfaces report
// database/sql's defaults. A statement converts its arguments with the
// chain of checkers and column converters database/sql would use for the
// bare statement and connection.
//
// The exception is a connection's driver.SessionResetter and
// driver.Validator, which the traced connection implements exactly when
// the driver's does (three small variants of the one type): database/sql
// decides from their presence alone whether to keep the connection of a
// transaction whose context ended. One difference remains, for drivers
// whose connections have neither form of Execer or of Queryer:
// database/sql checks argument names before calling the direct form the
// wrapper offers, so a name that does not start with a letter fails
// before the query is prepared instead of after, with the same error.
//
// So type assertions on what sql.Conn.Raw hands out tell nothing about
// the driver: Unwrap gives the driver's own value back.
package tracesql
