package backendkit

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// WarnInterval is how often Warnings writes a warning of one kind at most.
const WarnInterval = time.Minute

// Warnings writes a backend's problems at run time — an agent or collector
// that cannot be reached, exports that fail — as single short lines
// ("polytrace: otel: cannot reach the collector at …"), each kind at most
// once per WarnInterval, saying how often it was held back since. A
// service whose collector is down then logs one line a minute, not one per
// export or a vendor's configuration dump. Safe for concurrent use; the
// nil *Warnings writes nothing.
type Warnings struct {
	prefix string
	w      io.Writer
	every  time.Duration
	now    func() time.Time

	mu    sync.Mutex
	kinds map[string]*warnState
}

type warnState struct {
	last time.Time
	held int
}

// NewWarnings returns Warnings for backend (its registered name) writing
// to w (standard error if nil).
func NewWarnings(backend string, w io.Writer) *Warnings {
	if w == nil {
		w = os.Stderr
	}
	return &Warnings{prefix: "polytrace: " + backend + ": ", w: w, every: WarnInterval, now: time.Now, kinds: map[string]*warnState{}}
}

// Warn writes the message if no warning of this kind was written in the
// last WarnInterval, else counts it. kind groups messages that say the same
// thing with other details (the same unreachable endpoint with another
// error); "" uses the message itself.
func (w *Warnings) Warn(kind, format string, args ...any) {
	if w == nil {
		return
	}
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	msg = strings.ReplaceAll(msg, "\n", " ")
	if kind == "" {
		kind = msg
	}
	now := w.now()
	w.mu.Lock()
	st := w.kinds[kind]
	if st == nil {
		if len(w.kinds) >= 256 { // bounded: forget the oldest kinds
			for k := range w.kinds {
				delete(w.kinds, k)
				break
			}
		}
		st = &warnState{}
		w.kinds[kind] = st
	} else if now.Sub(st.last) < w.every {
		st.held++
		w.mu.Unlock()
		return
	}
	held, prev := st.held, st.last
	st.last, st.held = now, 0
	w.mu.Unlock()
	line := w.prefix + msg
	if held > 0 {
		line += fmt.Sprintf(" (%d more like this in the last %s)", held, now.Sub(prev).Round(time.Second))
	}
	_, _ = io.WriteString(w.w, line+"\n")
}
