package tracezap

import (
	"context"
	"errors"
	"strings"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/polytrace/polytrace/tracing"
)

// NewCore returns a core that writes to next, replacing every field whose
// value is a context.Context (zap.Any("context", ctx), Context(ctx)) by the
// trace and span ids of that context's span, or by nothing if it carries
// none. The ids come first among the entry's fields.
//
// A context given to With applies to every entry of the logger made, until
// an entry or a later With gives another; the ids are written once per
// entry, never twice.
//
// next decides, through its own Check, which entries it writes and where:
// NewCore may wrap a sampler or a tee and keeps their decisions.
func NewCore(next zapcore.Core, opts ...Option) zapcore.Core {
	return &core{next: next, cfg: newConfig(opts)}
}

// WrapCore is the zap.Option that wraps a logger's core with NewCore:
//
//	logger, err := zap.NewProduction(tracezap.WrapCore())
func WrapCore(opts ...Option) zap.Option {
	return zap.WrapCore(func(c zapcore.Core) zapcore.Core { return NewCore(c, opts...) })
}

type core struct {
	next zapcore.Core
	cfg  *config
	ids  tracing.LogIDs // of the context given to With, if has
	has  bool
}

func (c *core) Enabled(l zapcore.Level) bool { return c.next.Enabled(l) }

// Level reports the minimum enabled level of next, for zap.Logger.Level.
func (c *core) Level() zapcore.Level { return zapcore.LevelOf(c.next) }

func (c *core) Sync() error { return c.next.Sync() }

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	c2 := *c
	last := lastContext(fields)
	if last < 0 {
		c2.next = c.next.With(fields)
		return &c2
	}
	c2.ids, c2.has = c.cfg.ids(fields[last].Interface.(context.Context))
	rest := make([]zapcore.Field, 0, len(fields)-1)
	for _, f := range fields {
		if !isContext(f) {
			rest = append(rest, f)
		}
	}
	if len(rest) > 0 {
		c2.next = c.next.With(rest)
	}
	return &c2
}

// Check lets next check ent, and if next would write it, registers a
// writer that rewrites the fields and passes them to what next registered.
func (c *core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	inner := c.next.Check(ent, nil)
	if inner == nil {
		return ce
	}
	w := writers.Get().(*writer)
	w.core, w.inner = c, inner
	return ce.AddCore(ent, w)
}

// Write is for callers that write to the core without its Check (cores
// wrapping it that register themselves); it writes to next directly.
func (c *core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	w := writers.Get().(*writer)
	fs := c.rewrite(fields, w)
	err := c.next.Write(ent, fs)
	w.release()
	return err
}

// rewrite returns fields as next must see them: the ids of the last
// context among them (or, if none, of the context given to With) first,
// then fields without the contexts. It builds the result in w's buffer.
func (c *core) rewrite(fields []zapcore.Field, w *writer) []zapcore.Field {
	last := lastContext(fields)
	ids, has := c.ids, c.has
	if last >= 0 {
		ids, has = c.cfg.ids(fields[last].Interface.(context.Context))
	} else if !has {
		return fields
	}
	buf := w.buf[:0]
	if has {
		buf = append(buf, zap.String(ids.TraceKey, ids.TraceID), zap.String(ids.SpanKey, ids.SpanID))
	}
	for _, f := range fields {
		if !isContext(f) {
			buf = append(buf, f)
		}
	}
	w.buf = buf
	return buf
}

func isContext(f zapcore.Field) bool {
	_, ok := f.Interface.(context.Context)
	return ok
}

func lastContext(fields []zapcore.Field) int {
	for i := len(fields) - 1; i >= 0; i-- {
		if isContext(fields[i]) {
			return i
		}
	}
	return -1
}

// writer is what a core registers on a CheckedEntry: the checked entry of
// next, waiting for the fields. Only Write is called on it, once; it then
// goes back to the pool.
type writer struct {
	core  *core
	inner *zapcore.CheckedEntry
	buf   []zapcore.Field // the rewritten fields, reused
	errs  errorSink
}

var writers = sync.Pool{New: func() any { return new(writer) }}

// maxKeptFields bounds the buffer a pooled writer keeps.
const maxKeptFields = 64

func (w *writer) release() {
	clear(w.buf) // drop the references the fields hold
	if cap(w.buf) > maxKeptFields {
		w.buf = nil
	}
	w.buf = w.buf[:0]
	w.core, w.inner, w.errs.err = nil, nil, nil
	writers.Put(w)
}

func (w *writer) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	inner := w.inner
	fs := w.core.rewrite(fields, w)
	// The logger adds the caller and the stack to the entry after Check.
	inner.Entry = ent
	inner.ErrorOutput = &w.errs
	inner.Write(fs...)
	err := w.errs.err
	w.release()
	return err
}

func (w *writer) Enabled(zapcore.Level) bool        { return true }
func (w *writer) With([]zapcore.Field) zapcore.Core { return w }
func (w *writer) Check(_ zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce
}
func (w *writer) Sync() error { return nil }

// errorSink is the ErrorOutput of next's checked entry: it turns the
// message CheckedEntry.Write prints about failed writes back into the
// error, which the writer returns to the logger's checked entry, which
// reports it to the logger's ErrorOutput as it would without tracezap.
type errorSink struct{ err error }

func (s *errorSink) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if _, after, ok := strings.Cut(msg, " write error: "); ok {
		msg = after
	}
	s.err = errors.Join(s.err, errors.New(msg))
	return len(p), nil
}

func (s *errorSink) Sync() error { return nil }
