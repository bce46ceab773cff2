package tracesql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
)

// Register makes a traced version of drv available to sql.Open under
// name. Like sql.Register, it panics if name is already registered or drv
// is nil; call it once, typically in an init function or main.
//
//	tracesql.Register("sqlite+traced", &sqlite.Driver{})
//	db, err := sql.Open("sqlite+traced", "file:notes.db")
func Register(name string, drv driver.Driver, opts ...Option) {
	if drv == nil {
		panic("tracesql: Register driver is nil")
	}
	sql.Register(name, WrapDriver(drv, opts...))
}

// Open opens a traced database over the driver registered with
// database/sql as driverName (by its own package's init function), with the
// data source name dsn. It returns the errors sql.Open returns.
func Open(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	// database/sql does not hand out registered drivers: open an untraced
	// database (which does not connect) to get at it.
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, err
	}
	if _, ok := drv.(*tracedDriver); ok {
		// Registered with Register: already traced.
		return sql.Open(driverName, dsn)
	}
	cfg := newConfig(drv, driverName, opts)
	c, err := openConnector(drv, dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(wrapConnector(c, &tracedDriver{d: drv, cfg: cfg}, cfg)), nil
}

// OpenDB opens a traced database over c.
func OpenDB(c driver.Connector, opts ...Option) *sql.DB {
	return sql.OpenDB(WrapConnector(c, opts...))
}

// WrapDriver returns a driver that works like drv and traces its
// connections. It implements driver.DriverContext whether or not drv does:
// for a driver without it, each connection is opened with drv.Open, as
// database/sql does.
func WrapDriver(drv driver.Driver, opts ...Option) driver.Driver {
	if drv == nil {
		return nil
	}
	return &tracedDriver{d: drv, cfg: newConfig(drv, "", opts)}
}

// WrapConnector returns a connector that works like c and traces its
// connections.
func WrapConnector(c driver.Connector, opts ...Option) driver.Connector {
	if c == nil {
		return nil
	}
	drv := c.Driver()
	cfg := newConfig(drv, "", opts)
	return wrapConnector(c, &tracedDriver{d: drv, cfg: cfg}, cfg)
}

// Unwrap returns the driver's own value behind a value tracesql wrapped
// (a driver, connector, connection, statement or rows), or v itself. Use
// it in sql.Conn.Raw to reach a driver's own connection methods:
//
//	conn.Raw(func(dc any) error {
//		sc := tracesql.Unwrap(dc).(*sqlite3.SQLiteConn)
//		…
//	})
func Unwrap(v any) any {
	switch x := v.(type) {
	case interface{ Unwrap() driver.Conn }:
		return x.Unwrap()
	case interface{ Unwrap() driver.Stmt }:
		return x.Unwrap()
	case interface{ Unwrap() driver.Rows }:
		return x.Unwrap()
	case interface{ Unwrap() driver.Connector }:
		return x.Unwrap()
	case interface{ Unwrap() driver.Tx }:
		return x.Unwrap()
	case *tracedDriver:
		return x.d
	}
	return v
}

// tracedDriver is the driver WrapDriver and Register return.
type tracedDriver struct {
	d   driver.Driver
	cfg *config
}

// Open opens a traced connection with the driver's Open.
func (d *tracedDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	return wrapConn(c, d.cfg), nil
}

// OpenConnector returns a traced connector over the driver's own connector
// or, for drivers without one, over the driver's Open.
func (d *tracedDriver) OpenConnector(name string) (driver.Connector, error) {
	c, err := openConnector(d.d, name)
	if err != nil {
		return nil, err
	}
	return wrapConnector(c, d, d.cfg), nil
}

func openConnector(drv driver.Driver, dsn string) (driver.Connector, error) {
	if dc, ok := drv.(driver.DriverContext); ok {
		return dc.OpenConnector(dsn)
	}
	return dsnConnector{dsn: dsn, drv: drv}, nil
}

// dsnConnector is database/sql's connector for drivers without
// DriverContext.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// connector is the traced connector. It is an io.Closer whether or not
// the wrapped connector is: DB.Close closes a connector that is one and
// ignores one that is not, which Close returning nil reproduces.
type connector struct {
	c   driver.Connector
	drv *tracedDriver
	cfg *config
}

func wrapConnector(c driver.Connector, drv *tracedDriver, cfg *config) driver.Connector {
	return &connector{c: c, drv: drv, cfg: cfg}
}

// Connect opens a traced connection.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	t, traced := c.cfg.tracerFor(ctx, OpConnect)
	if !traced {
		conn, err := c.c.Connect(ctx)
		if err != nil {
			return nil, err
		}
		return wrapConn(conn, c.cfg), nil
	}
	sctx, span := c.cfg.startOp(ctx, t, "CONNECT")
	conn, err := c.c.Connect(sctx)
	endSpan(span, ctx, err)
	if err != nil {
		return nil, err
	}
	return wrapConn(conn, c.cfg), nil
}

// Driver returns the traced driver.
func (c *connector) Driver() driver.Driver { return c.drv }

// Close closes the wrapped connector if it is an io.Closer.
func (c *connector) Close() error {
	if cl, ok := c.c.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// Unwrap returns the wrapped connector.
func (c *connector) Unwrap() driver.Connector { return c.c }
