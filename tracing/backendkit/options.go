package backendkit

import "github.com/polytrace/polytrace/tracing"

// Options returns the options of type T among those passed through
// tracing.Open or tracing.FromEnv with tracing.WithBackendOptions
// (Settings.Extra), in order, leaving out the other backends' options and
// nil values. A backend's factory calls it with its own option type:
//
//	tracing.Register("mine", func(ctx context.Context, s tracing.Settings) (tracing.Backend, error) {
//		return newBackend(s, backendkit.Options[Option](s))
//	})
func Options[T any](s tracing.Settings) []T {
	var out []T
	for _, x := range s.Extra {
		if o, ok := x.(T); ok && x != nil {
			out = append(out, o)
		}
	}
	return out
}

// Apply calls each non-nil option on c, in order: the usual loop over
// functional options.
func Apply[C any, O ~func(*C)](c *C, opts []O) {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
}
