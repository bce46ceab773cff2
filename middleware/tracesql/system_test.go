package tracesql

import (
	"database/sql/driver"
	"testing"
)

// TestSystemOf checks db.system.name for drivers tracesql does not know by
// their package: from the name they are registered under, else other_sql.
// The e2e module's tracesql tests check a driver known by its package
// (modernc.org/sqlite, whose package wins over the name) and WithSystem,
// through the spans.
func TestSystemOf(t *testing.T) {
	for _, tc := range []struct {
		drv  driver.Driver
		name string
		want string
	}{
		{&fakeDriver{}, "postgres", "postgresql"},
		{&fakeDriver{}, "pgx", "postgresql"},
		{&fakeDriver{}, "MySQL", "mysql"},
		{&fakeDriver{}, "sqlserver", "microsoft.sql_server"},
		{&fakeDriver{}, "sqlite", "sqlite"},
		{&fakeDriver{}, "custom", "other_sql"},
		{&fakeDriver{}, "", "other_sql"},
		{nil, "", "other_sql"},
	} {
		if got := systemOf(tc.drv, tc.name); got != tc.want {
			t.Errorf("systemOf(%T, %q) = %q, want %q", tc.drv, tc.name, got, tc.want)
		}
	}
}
