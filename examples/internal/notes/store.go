package notes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/polytrace/polytrace/middleware/tracesql"
	"github.com/polytrace/polytrace/tracing"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Note is a note, as the API returns it.
type Note struct {
	ID          int64  `json:"id"`
	Description string `json:"description"`
}

// ErrNotFound is returned for an id no note has.
var ErrNotFound = errors.New("note not found")

// Store keeps notes in an in-memory SQLite database, traced by tracesql.
type Store struct {
	db *sql.DB
}

// OpenStore opens a new, empty in-memory database. Its queries are traced
// with tracer (nil: the default tracer) under the service "db", as the
// Datadog tutorial's sqltrace.WithServiceName("db") does, and only inside a
// request (schema setup and pool maintenance make no traces of their own).
func OpenStore(ctx context.Context, tracer *tracing.Tracer) (*Store, error) {
	opts := []tracesql.Option{tracesql.WithService("db"), tracesql.WithChildSpansOnly()}
	if tracer != nil {
		opts = append(opts, tracesql.WithTracer(tracer))
	}
	db, err := tracesql.Open("sqlite", ":memory:", opts...)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// An in-memory database lives as long as its connection: keep exactly
	// one, forever.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// AUTOINCREMENT: ids are never reused, even after the newest note is
	// deleted (the original tutorial reused them).
	const schema = `CREATE TABLE notes(id INTEGER PRIMARY KEY AUTOINCREMENT, description TEXT NOT NULL)`
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// List returns every note, oldest first.
func (s *Store) List(ctx context.Context) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, description FROM notes ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	notes := []Note{}
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.Description); err != nil {
			return nil, err
		}
		notes = append(notes, n)
	}
	return notes, rows.Err()
}

// Get returns the note with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Note, error) {
	n := Note{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT description FROM notes WHERE id = ?`, id).Scan(&n.Description)
	if errors.Is(err, sql.ErrNoRows) {
		return Note{}, ErrNotFound
	}
	return n, err
}

// Create stores a new note and returns it with its id.
func (s *Store) Create(ctx context.Context, desc string) (Note, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO notes(description) VALUES (?)`, desc)
	if err != nil {
		return Note{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Note{}, err
	}
	return Note{ID: id, Description: desc}, nil
}

// Update replaces the description of note id, or returns ErrNotFound.
func (s *Store) Update(ctx context.Context, id int64, desc string) (Note, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE notes SET description = ? WHERE id = ?`, desc, id)
	if err != nil {
		return Note{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return Note{}, err
	} else if n == 0 {
		return Note{}, ErrNotFound
	}
	return Note{ID: id, Description: desc}, nil
}

// Delete removes note id, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}
