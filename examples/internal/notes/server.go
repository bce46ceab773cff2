// Package notes is the notes service of the examples: a small REST API over
// an in-memory SQLite database, which asks the calendar service for a date
// when a note is created with add_date=y (over gRPC, or over HTTP). It is
// instrumented with polytrace only: tracechi for requests, tracesql for the
// database, tracegrpc (or tracehttp) for the calendar call, and custom
// spans, so it reports to whatever backend TRACING_BACKEND selects.
package notes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/polytrace/polytrace/middleware/tracechi"
	"github.com/polytrace/polytrace/tracing"
)

// Server handles the notes API.
type Server struct {
	Store    *Store
	Calendar interface {
		Date(ctx context.Context) (string, error)
	}
	// HelperDelay is how long the tutorial's long-running helper takes
	// (its child steps take a tenth and a sixth of it).
	HelperDelay time.Duration
	// Tracer traces requests and custom spans; nil means the default.
	Tracer *tracing.Tracer
}

// MaxDescription is the longest description accepted, in characters.
const MaxDescription = 1000

func (s *Server) tracer() *tracing.Tracer {
	if s.Tracer != nil {
		return s.Tracer
	}
	return tracing.Default()
}

// Routes returns the API:
//
//	GET    /notes                        all notes
//	POST   /notes?desc=…[&add_date=y]    create a note (201)
//	GET    /notes/{id}                   one note
//	PUT    /notes/{id}?desc=…            change its description
//	DELETE /notes/{id}                   delete it
//	GET    /health                       200, not traced
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	opts := []tracechi.Option{tracechi.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/health" })}
	if s.Tracer != nil {
		opts = append(opts, tracechi.WithTracer(s.Tracer))
	}
	r.Use(tracechi.Middleware(opts...))
	r.Get("/notes", s.traced("GetAllNotes", s.listNotes))
	r.Post("/notes", s.traced("CreateNote", s.createNote))
	r.Get("/notes/{id}", s.traced("GetNote", s.getNote))
	r.Put("/notes/{id}", s.traced("UpdateNote", s.updateNote))
	r.Delete("/notes/{id}", s.traced("DeleteNote", s.deleteNote))
	r.Get("/health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return r
}

// apiError is an error with the status it answers with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(msg string) error { return &apiError{http.StatusBadRequest, msg} }

// traced runs h in a span of its own (named as the tutorial names them:
// CreateNote, GetNote, …) and writes its result or error as JSON. Errors
// are recorded on the span; client errors (4xx) do not fail it.
func (s *Server) traced(name string, h func(r *http.Request) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, span := s.tracer().Start(r.Context(), name)
		defer span.End()
		if ctx != r.Context() { // with tracing off, no copy of the request
			r = r.WithContext(ctx)
		}
		status, body, err := h(r)
		if err != nil {
			status = http.StatusInternalServerError
			var ae *apiError
			switch {
			case errors.As(err, &ae):
				status = ae.status
			case errors.Is(err, ErrNotFound):
				status = http.StatusNotFound
			case errors.Is(err, errCalendar):
				status = http.StatusBadGateway
			}
			if status >= 500 {
				span.RecordError(err)
			} else {
				span.AddEvent("rejected", tracing.String("reason", err.Error()))
			}
			body = map[string]string{"error": err.Error()}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

// noteID reads the {id} route parameter: a positive integer.
func noteID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("note id must be a positive integer")
	}
	return id, nil
}

// description reads the desc query parameter: required, at most
// MaxDescription characters of valid UTF-8.
func description(r *http.Request) (string, error) {
	desc := strings.TrimSpace(r.URL.Query().Get("desc"))
	switch {
	case desc == "":
		return "", badRequest("desc is required")
	case !utf8.ValidString(desc):
		return "", badRequest("desc must be UTF-8 text")
	case utf8.RuneCountInString(desc) > MaxDescription:
		return "", badRequest("desc is longer than " + strconv.Itoa(MaxDescription) + " characters")
	}
	return desc, nil
}

func (s *Server) listNotes(r *http.Request) (int, any, error) {
	ctx := r.Context()
	notes, err := s.Store.List(ctx)
	if err != nil {
		return 0, nil, err
	}
	s.doLongRunningProcess(ctx)
	s.anotherProcess(ctx)
	return http.StatusOK, notes, nil
}

var errCalendar = errors.New("calendar unavailable")

func (s *Server) createNote(r *http.Request) (int, any, error) {
	ctx := r.Context()
	desc, err := description(r)
	if err != nil {
		return 0, nil, err
	}
	span := tracing.SpanFromContext(ctx)
	switch v := r.URL.Query().Get("add_date"); {
	case strings.EqualFold(v, "y"):
		date, err := s.Calendar.Date(ctx)
		if err != nil {
			// The note is not created without the date it asked for.
			return 0, nil, fmt.Errorf("%w: %w", errCalendar, err)
		}
		desc += " with date " + date
		span.SetAttrs(tracing.String("note.date", date))
	case v != "" && !strings.EqualFold(v, "n"):
		return 0, nil, badRequest("add_date must be y or n")
	}
	n, err := s.Store.Create(ctx, desc)
	if err != nil {
		return 0, nil, err
	}
	span.SetAttrs(tracing.Int64("note.id", n.ID))
	return http.StatusCreated, n, nil
}

func (s *Server) getNote(r *http.Request) (int, any, error) {
	id, err := noteID(r)
	if err != nil {
		return 0, nil, err
	}
	tracing.SpanFromContext(r.Context()).SetAttrs(tracing.Int64("note.id", id))
	n, err := s.Store.Get(r.Context(), id)
	return http.StatusOK, n, err
}

func (s *Server) updateNote(r *http.Request) (int, any, error) {
	id, err := noteID(r)
	if err != nil {
		return 0, nil, err
	}
	desc, err := description(r)
	if err != nil {
		return 0, nil, err
	}
	tracing.SpanFromContext(r.Context()).SetAttrs(tracing.Int64("note.id", id))
	n, err := s.Store.Update(r.Context(), id, desc)
	return http.StatusOK, n, err
}

func (s *Server) deleteNote(r *http.Request) (int, any, error) {
	id, err := noteID(r)
	if err != nil {
		return 0, nil, err
	}
	tracing.SpanFromContext(r.Context()).SetAttrs(tracing.Int64("note.id", id))
	if err := s.Store.Delete(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]int64{"deleted": id}, nil
}
