package tracing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// Factory creates a backend from settings. Backends register one under
// their name in an init function.
type Factory func(ctx context.Context, s Settings) (Backend, error)

// Settings are the options Open and FromEnv pass to a backend's factory.
// Every backend reads its vendor's own environment variables; the fields
// here, set in code, override them.
type Settings struct {
	// Service, Environment and Version identify the service (Datadog's
	// unified service tags; OpenTelemetry's service.name,
	// deployment.environment.name and service.version). Empty means: from
	// the environment.
	Service, Environment, Version string

	// DefaultService names the service when neither code (Service) nor
	// any vendor's environment variable does; empty means the program's
	// name.
	DefaultService string

	// DefaultBackend is the backend FromEnv opens when TRACING_BACKEND
	// is unset or empty; empty means none (tracing off).
	DefaultBackend string

	// Summary is where FromEnv writes its one-line startup summary:
	// os.Stderr if nil. WithoutSummary turns the summary off.
	Summary   io.Writer
	noSummary bool

	// Extra holds backend-specific options, such as an
	// otelbackend.Option; each backend picks out the types it knows and
	// ignores the others.
	Extra []any
}

// Option sets a field of Settings.
type Option func(*Settings)

// WithServiceName sets the service name, overriding the environment.
func WithServiceName(name string) Option { return func(s *Settings) { s.Service = name } }

// WithDefaultServiceName names the service when neither code nor the
// environment (OTEL_SERVICE_NAME, DD_SERVICE, JAEGER_SERVICE_NAME, …) does.
// A service's main uses it for its usual name, which operators can still
// override by environment.
func WithDefaultServiceName(name string) Option { return func(s *Settings) { s.DefaultService = name } }

// WithDefaultBackend makes FromEnv open the backend registered under name
// when TRACING_BACKEND is unset or empty, instead of turning tracing off.
// A service that always reported to one vendor (a jaeger-client-go service
// moved to polytrace, say) keeps doing so without a new variable, and
// operators can still switch it with TRACING_BACKEND.
func WithDefaultBackend(name string) Option { return func(s *Settings) { s.DefaultBackend = name } }

// WithEnvironment sets the deployment environment ("prod", "staging", …).
func WithEnvironment(env string) Option { return func(s *Settings) { s.Environment = env } }

// WithVersion sets the service version.
func WithVersion(v string) Option { return func(s *Settings) { s.Version = v } }

// WithSummary makes FromEnv write its startup summary to w.
func WithSummary(w io.Writer) Option { return func(s *Settings) { s.Summary = w } }

// WithoutSummary stops FromEnv from writing its startup summary.
func WithoutSummary() Option { return func(s *Settings) { s.noSummary = true } }

// WithBackendOptions passes backend-specific options (such as an
// otelbackend.Option) through Open and FromEnv. Options meant for another
// backend than the one opened are ignored.
func WithBackendOptions(opts ...any) Option {
	return func(s *Settings) { s.Extra = append(s.Extra, opts...) }
}

func newSettings(opts []Option) Settings {
	var s Settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s
}

func (s Settings) summaryWriter() io.Writer {
	if s.noSummary {
		return nil
	}
	if s.Summary == nil {
		return os.Stderr
	}
	return s.Summary
}

var (
	registryMu sync.RWMutex
	registry   = make(map[string]Factory)
)

// Register makes a backend available under name (case-insensitive) to Open
// and FromEnv. It is meant to be called from an init function, as
// database/sql's Register is. It panics if f is nil, name is empty or a
// backend is already registered under name.
func Register(name string, f Factory) {
	name = normalizeName(name)
	if f == nil {
		panic("tracing: Register factory is nil")
	}
	if name == "" {
		panic("tracing: Register name is empty")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("tracing: Register called twice for backend " + name)
	}
	registry[name] = f
}

// Backends returns the sorted names of the registered backends.
func Backends() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func normalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// ErrUnknownBackend is wrapped by the error Open returns for a name no
// backend is registered under.
var ErrUnknownBackend = errors.New("unknown tracing backend")

// Open creates the backend registered under name and returns a Tracer over
// it. The name is case-insensitive. An unregistered name is an error that
// lists the registered backends.
func Open(ctx context.Context, name string, opts ...Option) (*Tracer, error) {
	return open(ctx, name, newSettings(opts))
}

func open(ctx context.Context, name string, s Settings) (*Tracer, error) {
	t, err := build(ctx, name, s)
	switch {
	case errors.Is(err, ErrUnknownBackend):
		return nil, fmt.Errorf("tracing: %w", err)
	case err != nil:
		return nil, fmt.Errorf("tracing: backend %s: %w", normalizeName(name), err)
	}
	return t, nil
}

// build creates the backend registered under name. Its errors are the
// factory's own (FromEnv and Open each add what they were asked), or an
// unknown-backend error that says it all.
func build(ctx context.Context, name string, s Settings) (*Tracer, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	n := normalizeName(name)
	registryMu.RLock()
	f := registry[n]
	registryMu.RUnlock()
	if f == nil {
		names := Backends()
		hint := ""
		if near := closest(n, append(names, wellKnown...)); near != "" {
			hint = fmt.Sprintf("; did you mean %q?", near)
		}
		return nil, fmt.Errorf("%w %q%s (registered: %s; forgotten import? import _ %q registers every backend)",
			ErrUnknownBackend, name, hint, strings.Join(names, ", "), "github.com/polytrace/polytrace/tracing/all")
	}
	b, err := f(ctx, s)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("its factory returned no backend")
	}
	return New(b), nil
}

// wellKnown are the names of the backends polytrace ships, suggested for a
// misspelt name even when their package is not linked in (the error then
// also says which import registers them).
var wellKnown = []string{"otel", "datadog", "dd", "jaeger", "console", "none"}

// closest returns the name in names nearest to n, if it is near enough to
// be a typing error (at most a third of its letters wrong, and at most
// two), or a name n is a prefix of ("open" for "opentelemetry" is not, but
// "data" for "datadog" is).
func closest(n string, names []string) string {
	best, bestD := "", 3
	for _, c := range names {
		if len(n) >= 3 && strings.HasPrefix(c, n) {
			return c
		}
		if d := editDistance(n, c); d < bestD && d*3 <= max(len(c), len(n)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (with adjacent
// transpositions, as "otle" for "otel"), for short names.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// EnvBackend is the environment variable FromEnv reads.
const EnvBackend = "TRACING_BACKEND"

// FromEnv opens the backend named by the TRACING_BACKEND environment
// variable ("otel", "datadog" or "dd", "jaeger", "console", "none"; see
// Backends), configured from its vendor's own environment variables and
// opts, and writes a one-line summary of the configuration to standard error
// (see WithSummary, WithoutSummary).
//
// If TRACING_BACKEND is unset or empty, FromEnv opens the backend
// WithDefaultBackend names; without one, tracing is off: FromEnv says so in
// one line and returns a no-op Tracer. On error (an unknown backend, a
// misconfiguration) it returns the error together with a no-op Tracer, so
// a service may report the error and carry on untraced.
//
// FromEnv does not make the Tracer the default; call SetDefault.
func FromEnv(ctx context.Context, opts ...Option) (*Tracer, error) {
	s := newSettings(opts)
	w := s.summaryWriter()
	name := os.Getenv(EnvBackend)
	if normalizeName(name) == "" {
		name = s.DefaultBackend
	}
	if normalizeName(name) == "" {
		if w != nil {
			fmt.Fprintf(w, "polytrace: %s is not set: tracing is off (registered backends: %s)\n",
				EnvBackend, strings.Join(Backends(), ", "))
		}
		return New(noopBackend{}), nil
	}
	t, err := build(ctx, name, s)
	if errors.Is(err, ErrUnknownBackend) {
		return New(noopBackend{}), fmt.Errorf("tracing: %s: %w", EnvBackend, err)
	}
	if err != nil {
		return New(noopBackend{}), fmt.Errorf("tracing: %s=%s: %w", EnvBackend, normalizeName(name), err)
	}
	if w != nil {
		fmt.Fprintln(w, t.Summary().String())
	}
	return t, nil
}
