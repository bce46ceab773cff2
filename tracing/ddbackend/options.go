package ddbackend

import (
	"net/http"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
)

// An Option configures the Datadog backend. Options given in code override
// the DD_* environment variables. They also arrive through
// tracing.WithBackendOptions (tracing.Settings.Extra).
type Option func(*config)

type config struct {
	service, env, version string
	agentURL              string
	sampleRate            float64 // NaN: not set
	httpClient            *http.Client
	agentTimeout          time.Duration
	dbService             *string
	startOpts             []tracer.StartOption
	valueLen              *int
	attrCount             *int
	eventCount            *int
	maxPending            int
}

// WithServiceName sets the service name (DD_SERVICE), as the other
// backends' WithServiceName does.
func WithServiceName(name string) Option { return func(c *config) { c.service = name } }

// WithEnvironment sets the environment (DD_ENV).
func WithEnvironment(env string) Option { return func(c *config) { c.env = env } }

// WithVersion sets the service version (DD_VERSION).
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithAgentURL sets the trace agent's URL (DD_TRACE_AGENT_URL):
// "http://host:8126", "https://…" or "unix:///var/run/datadog/apm.socket".
// A malformed URL makes New fail.
func WithAgentURL(u string) Option { return func(c *config) { c.agentURL = u } }

// WithSampleRate keeps this fraction of new traces (DD_TRACE_SAMPLE_RATE),
// as a catch-all trace sampling rule: DD_TRACE_SAMPLING_RULES, when set,
// replaces it, as in dd-trace-go. A rate outside [0, 1] makes New fail.
func WithSampleRate(rate float64) Option { return func(c *config) { c.sampleRate = rate } }

// WithHTTPClient sets the client whose Transport reaches the agent (the
// default is an http.Transport with dd-trace-go's settings, or a Unix
// socket dialer for unix:// URLs). The backend wraps the transport so that
// Shutdown and ForceFlush can bound and cancel agent requests; the client's
// Timeout is replaced by the agent timeout.
func WithHTTPClient(c *http.Client) Option { return func(cfg *config) { cfg.httpClient = c } }

// WithAgentTimeout bounds each request to the agent (default 10s, as
// dd-trace-go).
func WithAgentTimeout(d time.Duration) Option { return func(c *config) { c.agentTimeout = d } }

// WithDatabaseService sets the service of database client spans (those
// with db.system.name) that have no explicit service (tracing.WithService).
// The default follows dd-trace-go's database/sql contrib: "<system>.db"
// (for example "sqlite.db"), or the application's own service under
// DD_TRACE_SPAN_ATTRIBUTE_SCHEMA=v1. An empty name keeps the
// application's service.
func WithDatabaseService(name string) Option { return func(c *config) { c.dbService = &name } }

// WithStartOptions passes dd-trace-go's own tracer options (the v1 and v2
// tracer.StartOption are the same type) to tracer.Start, after the
// backend's own, so they win: tracer.WithLogger, tracer.WithGlobalTag,
// tracer.WithServiceMapping, … Options that change the agent URL, HTTP
// client or propagator make the backend's summary, propagation styles and
// shutdown bounding inaccurate; use this package's options for those.
func WithStartOptions(opts ...tracer.StartOption) Option {
	return func(c *config) { c.startOpts = append(c.startOpts, opts...) }
}

// WithAttributeValueLengthLimit truncates string attribute values (and the
// strings of string slices, error messages and stacks, event attributes,
// the status description) to n characters, over
// OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT and OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.
// The default is 25000, what the Datadog agent keeps of a tag value
// (dd-trace-go itself sends everything); a negative n means no limit.
func WithAttributeValueLengthLimit(n int) Option { return func(c *config) { c.valueLen = &n } }

// WithAttributeCountLimit sets how many attributes (tags) the facade sets
// on a span, over OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and
// OTEL_ATTRIBUTE_COUNT_LIMIT (default 128; negative: no limit). Setting a
// key again does not count, with one approximation that keeps ordinary
// spans free of bookkeeping: a span that gets more than n/2 attribute
// writes keeps at least n/2 and at most n distinct keys.
func WithAttributeCountLimit(n int) Option { return func(c *config) { c.attrCount = &n } }

// WithEventCountLimit sets how many events a span keeps, over
// OTEL_SPAN_EVENT_COUNT_LIMIT (default 128; negative: no limit); later
// events are dropped.
func WithEventCountLimit(n int) Option { return func(c *config) { c.eventCount = &n } }

// DefaultMaxPendingSpans is how many spans the uploads the agent has not
// answered yet may hold, by default.
const DefaultMaxPendingSpans = 16384

// WithMaxPendingSpans bounds the spans in uploads the agent has not
// answered yet (default DefaultMaxPendingSpans). dd-trace-go starts up to
// 100 uploads at once, each holding a payload of up to 5 MB, for as long as
// an agent that hangs takes to answer (its client's 10 s timeout): its
// memory grows with the span rate. Past n, an upload started while earlier
// ones are still unanswered fails at once, without being sent, and its
// spans count as dropped (DroppedBy.QueueFull). One upload always goes,
// whatever its size.
func WithMaxPendingSpans(n int) Option { return func(c *config) { c.maxPending = n } }
