package jaegerbackend

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/uber/jaeger-client-go"
)

// NewSlogLogger adapts l to jaeger.Logger for WithLogger: jaeger-client-go's
// errors are logged at level Error, its informational messages at Info and
// its debug messages at Debug, each with the attribute component=jaeger. A
// nil l means slog.Default().
func NewSlogLogger(l *slog.Logger) jaeger.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slogLogger{l.With("component", "jaeger")}
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Error(msg string) { s.l.Error(msg) }

func (s slogLogger) Infof(msg string, args ...any) {
	if s.l.Enabled(context.Background(), slog.LevelInfo) {
		s.l.Info(fmt.Sprintf(msg, args...))
	}
}

// Debugf implements jaeger's log.DebugLogger.
func (s slogLogger) Debugf(msg string, args ...any) {
	if s.l.Enabled(context.Background(), slog.LevelDebug) {
		s.l.Debug(fmt.Sprintf(msg, args...))
	}
}
