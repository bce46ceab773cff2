package tracesql

import (
	"github.com/polytrace/polytrace/tracing"
)

// Op is a set of database operations. WithOps selects the ones that get a
// span.
type Op uint16

// The operations. A query or exec made through a prepared statement counts
// as OpQuery or OpExec, like one made directly: database/sql prepares
// statements behind the scenes for drivers that cannot run a query
// directly, and the span should not depend on that.
const (
	// OpQuery is Query and QueryRow on a DB, Conn, Tx or Stmt. The span
	// lasts until the rows are closed and counts them.
	OpQuery Op = 1 << iota
	// OpExec is Exec on a DB, Conn, Tx or Stmt.
	OpExec
	// OpPrepare is preparing a statement (Prepare, and the preparations
	// database/sql makes itself for drivers without direct queries).
	OpPrepare
	// OpBegin, OpCommit and OpRollback are a transaction's boundaries.
	OpBegin
	OpCommit
	OpRollback
	// OpPing is Ping, which connection pools and readiness probes call
	// often.
	OpPing
	// OpConnect is opening a new connection to the database.
	OpConnect

	// OpTx is a transaction's begin, commit and rollback.
	OpTx = OpBegin | OpCommit | OpRollback
	// DefaultOps are the operations traced unless WithOps says otherwise:
	// queries, execs and transaction boundaries. Prepare is off because
	// the statement's queries already carry its text (and database/sql's
	// own preparations would double the spans for some drivers); ping and
	// connect are off because pools and health checks call them all the
	// time.
	DefaultOps = OpQuery | OpExec | OpTx
	// AllOps is every operation.
	AllOps = OpQuery | OpExec | OpPrepare | OpTx | OpPing | OpConnect
)

// CommentPosition says where a trace comment goes in the SQL sent to the
// database; see WithTraceComment.
type CommentPosition uint8

// Comment positions.
const (
	// CommentOff sends the SQL unchanged (the default).
	CommentOff CommentPosition = iota
	// CommentPrepend puts the comment before the statement, as Datadog's
	// Database Monitoring does.
	CommentPrepend
	// CommentAppend puts the comment after the statement (before a final
	// semicolon), as the sqlcommenter specification does.
	CommentAppend
)

// DefaultService is the service name database spans are recorded under
// unless WithService says otherwise.
const DefaultService = "db"

// An Option configures tracing of a driver, connector or database.
type Option func(*config)

// WithTracer traces with t. By default tracesql uses tracing.Default() at
// the time of each operation, so a database opened before the tracer is set
// up is traced once it is.
func WithTracer(t *tracing.Tracer) Option {
	return func(c *config) { c.tracer = t }
}

// WithOps selects the operations that get a span (default DefaultOps).
// Zero means DefaultOps; use WithOps(OpQuery) and the like to narrow it.
func WithOps(ops Op) Option {
	return func(c *config) { c.ops = ops }
}

// WithChildSpansOnly makes an operation traced only if its context already
// carries a span (typically a request's): background jobs, migrations and
// the pool's own work stay quiet.
func WithChildSpansOnly() Option {
	return func(c *config) { c.childOnly = true }
}

// WithSystem sets db.system.name (OpenTelemetry's well-known values:
// "postgresql", "mysql", "sqlite", "microsoft.sql_server", "oracle.db", …).
// By default it is derived from the driver's Go package (for well-known
// drivers) or the driver's registered name, else "other_sql". It also
// selects the SQL dialect the query obfuscator follows (MySQL treats "…"
// and backslash escapes as parts of strings, PostgreSQL nests comments and
// has dollar-quoted strings, …).
func WithSystem(name string) Option {
	return func(c *config) { c.system = name }
}

// WithService records database spans under service (default
// DefaultService, "db", which Datadog users expect); WithService("") keeps
// them under the application's own service.
func WithService(service string) Option {
	return func(c *config) { c.service, c.serviceSet = service, true }
}

// WithRawQuery records query text as the application wrote it. By default
// string, number and blob literals are replaced by "?", comments dropped
// and white space collapsed, so that values written into SQL (rather than
// passed as arguments) are not recorded. Arguments are never recorded.
func WithRawQuery() Option {
	return func(c *config) { c.raw = true }
}

// WithTraceComment adds a comment carrying the span's W3C trace context
// (sqlcommenter format: /*traceparent='00-…-…-01'*/) to the SQL sent to the
// database, so that the database's own query logs and Datadog's Database
// Monitoring can be tied to the trace. The comment is never part of the
// recorded query text. It is added to direct queries and execs only: a
// prepared statement outlives the span it was prepared in, and a comment
// that changes with every call would defeat statement caches. Note that
// drivers which cache statements by their text (pgx in its default mode)
// prepare each commented query anew.
func WithTraceComment(pos CommentPosition) Option {
	return func(c *config) { c.comment = pos }
}

// WithAttrs adds attributes to every span, such as db.namespace or
// server.address (tracesql does not parse data source names).
func WithAttrs(attrs ...tracing.Attr) Option {
	return func(c *config) {
		for _, a := range attrs {
			if a.Key != "" {
				c.attrs = append(c.attrs, tracing.Attr{Key: a.Key, Value: a.Value.Clone()})
			}
		}
	}
}
