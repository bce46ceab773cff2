package notes

import (
	"context"
	"time"

	"github.com/polytrace/polytrace/tracing"
)

// The Datadog tutorial's "long-running" helpers, with their custom spans:
// one of them under its own service ("noteshelper", type "web"), to show
// a service override in a trace.

func (s *Server) doLongRunningProcess(ctx context.Context) {
	ctx, span := s.tracer().Start(ctx, "NotesHelper.doLongRunningProcess")
	defer span.End()
	sleep(ctx, s.HelperDelay)
	s.privateMethod1(ctx)
}

func (s *Server) privateMethod1(ctx context.Context) {
	_, span := s.tracer().Start(ctx, "NotesHelper.privateMethod1",
		tracing.WithService("noteshelper"), tracing.WithSpanType(tracing.TypeWeb), tracing.WithResource("privateMethod1"))
	defer span.End()
	sleep(ctx, s.HelperDelay/10)
}

func (s *Server) anotherProcess(ctx context.Context) {
	_, span := s.tracer().Start(ctx, "NotesHelper.anotherProcess")
	defer span.End()
	sleep(ctx, s.HelperDelay/6)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
