package tracesql

import (
	"context"
	"database/sql/driver"
	"sync"
	"sync/atomic"

	"github.com/polytrace/polytrace/tracing"
)

// Attribute keys tracesql records (OpenTelemetry semantic conventions,
// except AttrAffectedRows, which they do not define).
const (
	AttrSystem       = "db.system.name"
	AttrQueryText    = "db.query.text"
	AttrOperation    = "db.operation.name"
	AttrCollection   = "db.collection.name"
	AttrReturnedRows = "db.response.returned_rows"
	// AttrAffectedRows is the driver's Result.RowsAffected after an exec.
	AttrAffectedRows = "db.response.affected_rows"
)

// config is the tracing configuration of one wrapped driver or connector,
// shared by its connections.
type config struct {
	tracer     *tracing.Tracer
	ops        Op
	childOnly  bool
	system     string
	service    string
	serviceSet bool
	raw        bool
	comment    CommentPosition
	attrs      []tracing.Attr

	dialect dialect
	cache   queryCache
}

func newConfig(drv driver.Driver, driverName string, opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.ops == 0 {
		c.ops = DefaultOps
	}
	if c.system == "" {
		c.system = systemOf(drv, driverName)
	}
	if !c.serviceSet {
		c.service = DefaultService
	}
	c.dialect = dialectOf(c.system)
	return c
}

// tracerFor returns the tracer to trace op with, or false if op is not
// traced in ctx. This is the decision that keeps the untraced path free of
// allocations, so it must be cheap: a bit test, an atomic load and at most
// one context lookup.
func (c *config) tracerFor(ctx context.Context, op Op) (*tracing.Tracer, bool) {
	if c.ops&op == 0 {
		return nil, false
	}
	t := c.tracer
	if t == nil {
		t = tracing.Default()
	}
	if !t.Enabled() {
		return nil, false
	}
	if c.childOnly && !tracing.SpanFromContext(ctx).SpanContext().IsValid() {
		return nil, false
	}
	return t, true
}

// startQuery starts the span of a query or exec.
func (c *config) startQuery(ctx context.Context, t *tracing.Tracer, q *queryInfo) (context.Context, tracing.Span) {
	var a [4]tracing.Attr
	n := 0
	if q.op != "" {
		a[n] = tracing.String(AttrOperation, q.op)
		n++
	}
	if q.collection != "" {
		a[n] = tracing.String(AttrCollection, q.collection)
		n++
	}
	if q.text != "" {
		a[n] = tracing.String(AttrQueryText, q.text)
		n++
	}
	return c.start(ctx, t, q.name, q.text, a[:n])
}

// startPrepare starts the span of preparing a statement.
func (c *config) startPrepare(ctx context.Context, t *tracing.Tracer, q *queryInfo) (context.Context, tracing.Span) {
	var a [3]tracing.Attr
	a[0] = tracing.String(AttrOperation, "PREPARE")
	n := 1
	if q.collection != "" {
		a[n] = tracing.String(AttrCollection, q.collection)
		n++
	}
	if q.text != "" {
		a[n] = tracing.String(AttrQueryText, q.text)
		n++
	}
	return c.start(ctx, t, "PREPARE", q.text, a[:n])
}

// startOp starts the span of an operation without query text (BEGIN,
// COMMIT, ROLLBACK, PING, CONNECT).
func (c *config) startOp(ctx context.Context, t *tracing.Tracer, name string) (context.Context, tracing.Span) {
	a := [1]tracing.Attr{tracing.String(AttrOperation, name)}
	return c.start(ctx, t, name, name, a[:])
}

func (c *config) start(ctx context.Context, t *tracing.Tracer, name, resource string, attrs []tracing.Attr) (context.Context, tracing.Span) {
	sys := [1]tracing.Attr{tracing.String(AttrSystem, c.system)}
	var opts [7]tracing.StartOption
	opts[0] = tracing.WithKind(tracing.SpanKindClient)
	opts[1] = tracing.WithSpanType(tracing.TypeSQL)
	opts[2] = tracing.WithAttrs(sys[:]...)
	opts[3] = tracing.WithAttrs(attrs...)
	n := 4
	if resource != "" {
		opts[n] = tracing.WithResource(resource)
		n++
	}
	if c.service != "" {
		opts[n] = tracing.WithService(c.service)
		n++
	}
	if len(c.attrs) > 0 {
		opts[n] = tracing.WithAttrs(c.attrs...)
		n++
	}
	return t.Start(ctx, name, opts[:n]...)
}

// queryCacheSize bounds the number of distinct query texts whose analysis
// is kept. Applications have a bounded set of query texts unless they
// write values into them; when the cache fills up it starts over, so that
// such queries cannot grow it without bound and frequent queries come
// back quickly.
const queryCacheSize = 1024

// maxCachedQueryLen is the longest query text the cache keeps: longer
// texts (bulk statements with their values written in) are analyzed each
// time rather than kept in memory.
const maxCachedQueryLen = 4096

// queryCache maps a query text to its analysis.
type queryCache struct {
	m sync.Map // string → *queryInfo
	n atomic.Int64
}

// info returns the analysis of query, computing it at most once per cache
// generation.
func (c *config) info(query string) *queryInfo {
	if v, ok := c.cache.m.Load(query); ok {
		return v.(*queryInfo)
	}
	q := analyze(query, c.dialect, c.raw)
	if len(query) > maxCachedQueryLen {
		return q
	}
	if c.cache.n.Add(1) > queryCacheSize {
		c.cache.m.Clear()
		c.cache.n.Store(1)
	}
	c.cache.m.Store(query, q)
	return q
}
