package tracesql

import (
	"database/sql/driver"
	"reflect"
	"strings"
)

// OpenTelemetry's db.system.name values for the systems tracesql knows.
const (
	systemOtherSQL   = "other_sql"
	systemSQLite     = "sqlite"
	systemPostgreSQL = "postgresql"
	systemMySQL      = "mysql"
	systemMariaDB    = "mariadb"
	systemSQLServer  = "microsoft.sql_server"
	systemOracle     = "oracle.db"
)

// driverPackages maps the Go packages of well-known drivers to their
// database system. A package matches if its path is the entry or starts
// with the entry and a slash (so major versions and sub-packages match).
var driverPackages = []struct{ pkg, system string }{
	{"modernc.org/sqlite", systemSQLite},
	{"github.com/mattn/go-sqlite3", systemSQLite},
	{"github.com/ncruces/go-sqlite3", systemSQLite},
	{"github.com/glebarez/go-sqlite", systemSQLite},
	{"github.com/lib/pq", systemPostgreSQL},
	{"github.com/jackc/pgx", systemPostgreSQL},
	{"github.com/go-sql-driver/mysql", systemMySQL},
	{"github.com/ziutek/mymysql", systemMySQL},
	{"github.com/microsoft/go-mssqldb", systemSQLServer},
	{"github.com/denisenkom/go-mssqldb", systemSQLServer},
	{"github.com/sijms/go-ora", systemOracle},
	{"github.com/godror/godror", systemOracle},
	{"github.com/mattn/go-oci8", systemOracle},
	{"github.com/ClickHouse/clickhouse-go", "clickhouse"},
	{"github.com/trinodb/trino-go-client", "trino"},
	{"github.com/nakagami/firebirdsql", "firebirdsql"},
	{"github.com/ibmdb/go_ibm_db", "ibm.db2"},
	{"github.com/SAP/go-hdb", "sap.hana"},
	{"github.com/googleapis/go-sql-spanner", "gcp.spanner"},
}

// driverNames maps the names drivers register under to their system, for
// drivers whose package is not listed above.
var driverNames = map[string]string{
	"sqlite": systemSQLite, "sqlite3": systemSQLite,
	"postgres": systemPostgreSQL, "postgresql": systemPostgreSQL, "pgx": systemPostgreSQL, "pgx/v5": systemPostgreSQL,
	"mysql": systemMySQL, "mariadb": systemMariaDB,
	"sqlserver": systemSQLServer, "mssql": systemSQLServer, "azuresql": systemSQLServer,
	"oracle": systemOracle, "godror": systemOracle, "oci8": systemOracle,
	"clickhouse": "clickhouse", "trino": "trino", "firebirdsql": "firebirdsql",
}

// systemOf derives db.system.name from the driver's package, else from
// the name it is registered under, else "other_sql".
func systemOf(drv driver.Driver, name string) string {
	if drv != nil {
		t := reflect.TypeOf(drv)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		path := t.PkgPath()
		for _, e := range driverPackages {
			if path == e.pkg || strings.HasPrefix(path, e.pkg+"/") {
				return e.system
			}
		}
	}
	if s, ok := driverNames[strings.ToLower(name)]; ok {
		return s
	}
	return systemOtherSQL
}

// dialect holds the lexical rules that differ between SQL dialects and
// matter to the obfuscator.
type dialect struct {
	// backslash: a backslash escapes the next character in '…' strings.
	backslash bool
	// unsureBackslash: it is not known whether it does; a string holding
	// a backslash before a quote hides the rest of the statement.
	unsureBackslash bool
	// doubleQuotedStrings: "…" is a string, not an identifier.
	doubleQuotedStrings bool
	// nestedComments: /* /* */ */ nests.
	nestedComments bool
	// hashComments: # starts a comment to the end of the line.
	hashComments bool
	// brackets: […] quotes an identifier.
	brackets bool
}

func dialectOf(system string) dialect {
	switch system {
	case systemMySQL, systemMariaDB, "tidb":
		return dialect{backslash: true, doubleQuotedStrings: true, hashComments: true}
	case systemPostgreSQL, "cockroachdb":
		return dialect{nestedComments: true}
	case systemSQLite, systemSQLServer:
		return dialect{brackets: true}
	case "clickhouse":
		return dialect{backslash: true}
	case systemOracle, "ibm.db2", "trino", "firebirdsql", "sap.hana":
		return dialect{}
	}
	// Unknown dialect: wherever a wrong guess could expose a value, guess
	// the reading that hides more ("…" may be a MySQL string; a comment
	// may nest; # may start a comment).
	return dialect{unsureBackslash: true, doubleQuotedStrings: true, nestedComments: true, hashComments: true}
}
