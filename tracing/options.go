package tracing

import "time"

// Attribute keys for the Datadog-style span overrides. Start options set
// them (WithResource, WithService, WithSpanType); SetAttrs with these keys
// changes them after Start. The Datadog backend maps them to the span's
// resource, service and type; the others record them as attributes under
// these names, which are the names Datadog's own OpenTelemetry support reads.
const (
	KeyResource = "resource.name"
	KeyService  = "service.name"
	KeySpanType = "span.type"
)

// Span types for WithSpanType, as Datadog names them.
const (
	TypeWeb    = "web"
	TypeHTTP   = "http"
	TypeSQL    = "sql"
	TypeCustom = "custom"
)

// A StartOption configures a span at Start.
//
// StartOption is a plain value holding no pointers of its own (strings and
// attributes travel in slices whose elements Start copies), so that passing
// options never makes the caller's arguments escape to the heap.
type StartOption struct {
	what  startOptKind
	kind  SpanKind
	nanos int64
	attrs []Attr
	links []Link
}

type startOptKind uint8

const (
	optNone startOptKind = iota
	optKind
	optAttrs
	optTime
	optLinks
	optResource
	optService
	optType
	optNewRoot
)

// WithKind sets the span's kind (default SpanKindInternal).
func WithKind(k SpanKind) StartOption { return StartOption{what: optKind, kind: k} }

// WithAttrs sets attributes at start, where samplers can see them.
func WithAttrs(attrs ...Attr) StartOption { return StartOption{what: optAttrs, attrs: attrs} }

// WithStartTime sets the start time (default: now). A zero t is ignored.
func WithStartTime(t time.Time) StartOption {
	if t.IsZero() {
		return StartOption{}
	}
	return StartOption{what: optTime, nanos: t.UnixNano()}
}

// WithLinks links the span to other spans (for example the caller of a
// public endpoint, or the messages of a batch). Links with an invalid
// SpanContext are dropped.
func WithLinks(links ...Link) StartOption { return StartOption{what: optLinks, links: links} }

// WithResource sets the span's resource: the low-cardinality name of what
// it operates on, such as "GET /notes/{id}" or a SQL query.
func WithResource(resource string) StartOption {
	return StartOption{what: optResource, attrs: []Attr{{Value: StringValue(resource)}}}
}

// WithService records the span under another service name, such as "db"
// for a database client span or "noteshelper" for a helper.
func WithService(service string) StartOption {
	return StartOption{what: optService, attrs: []Attr{{Value: StringValue(service)}}}
}

// WithSpanType sets the span's type ("web", "http", "sql", "custom", …).
func WithSpanType(spanType string) StartOption {
	return StartOption{what: optType, attrs: []Attr{{Value: StringValue(spanType)}}}
}

// WithNewRoot starts a new trace even if the context carries a span. Public
// endpoints use it with WithLinks to the caller, so that outside callers
// cannot join their traces.
func WithNewRoot() StartOption { return StartOption{what: optNewRoot} }

// fillSpanConfig folds opts into cfg. It copies elements out of the
// options' slices and never the slices themselves, so opts do not escape.
// It fills cfg in place rather than returning one: SpanConfig is large, and
// every copy of it costs more than the rest of Start.
func fillSpanConfig(cfg *SpanConfig, opts []StartOption) {
	for i := range opts {
		o := &opts[i]
		switch o.what {
		case optKind:
			cfg.Kind = o.kind
		case optAttrs:
			cfg.Attrs.Append(o.attrs...)
		case optTime:
			cfg.StartTime = time.Unix(0, o.nanos)
		case optLinks:
			for _, l := range o.links {
				if l.SpanContext.IsValid() {
					cfg.Links = append(cfg.Links, l)
				}
			}
		case optResource:
			cfg.Resource = o.attrs[0].Value.AsString()
		case optService:
			cfg.Service = o.attrs[0].Value.AsString()
		case optType:
			cfg.Type = o.attrs[0].Value.AsString()
		case optNewRoot:
			cfg.NewRoot = true
		}
	}
}
