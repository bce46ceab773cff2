package httptrace

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/felixge/httpsnoop"
)

// ResponseState records what a handler did with a ResponseWriter wrapped
// by WrapResponseWriter. Like the ResponseWriter itself, it is not safe for
// concurrent use; read it after the handler has returned.
type ResponseState struct {
	// Status is the status code sent (0 if none yet: net/http sends 200
	// when the handler returns).
	Status int
	// Written is the number of body bytes written.
	Written int64
	// Hijacked is true once the handler has taken over the connection.
	Hijacked bool

	wroteHeader bool
}

// WrapResponseWriter returns w wrapped with httpsnoop so that the result
// implements exactly the optional interfaces w implements (http.Flusher,
// http.Hijacker, http.Pusher, io.ReaderFrom, io.StringWriter, the
// deadline and full-duplex methods of http.ResponseController, …) and
// Unwrap, and the state it records into.
//
// A second call to WriteHeader is not passed on: net/http would ignore it
// anyway but log a "superfluous response.WriteHeader call" naming the
// wrapper instead of the handler. Informational (1xx) codes other than 101
// are passed on without being taken as the status.
func WrapResponseWriter(w http.ResponseWriter) (http.ResponseWriter, *ResponseState) {
	st := &ResponseState{}
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				if st.wroteHeader || st.Hijacked {
					return
				}
				if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
					next(code)
					return
				}
				st.wroteHeader = true
				st.Status = code
				next(code)
			}
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				st.implicitHeader()
				n, err := next(b)
				st.Written += int64(n)
				return n, err
			}
		},
		WriteString: func(next httpsnoop.WriteStringFunc) httpsnoop.WriteStringFunc {
			return func(s string) (int, error) {
				st.implicitHeader()
				n, err := next(s)
				st.Written += int64(n)
				return n, err
			}
		},
		ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
			return func(src io.Reader) (int64, error) {
				st.implicitHeader()
				n, err := next(src)
				st.Written += n
				return n, err
			}
		},
		Flush: func(next httpsnoop.FlushFunc) httpsnoop.FlushFunc {
			return func() {
				st.implicitHeader()
				next()
			}
		},
		FlushError: func(next httpsnoop.FlushErrorFunc) httpsnoop.FlushErrorFunc {
			return func() error {
				st.implicitHeader()
				return next()
			}
		},
		Hijack: func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (net.Conn, *bufio.ReadWriter, error) {
				c, rw, err := next()
				if err == nil {
					st.Hijacked = true
				}
				return c, rw, err
			}
		},
	}), st
}

// implicitHeader notes the 200 that net/http sends on the first write or
// flush without WriteHeader.
func (st *ResponseState) implicitHeader() {
	if !st.wroteHeader && !st.Hijacked {
		st.wroteHeader = true
		st.Status = http.StatusOK
	}
}
