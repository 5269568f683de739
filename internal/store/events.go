package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Event is an event made in the browser (or kept by a program, with a
// Key): a day or a span of days that explains the numbers around it.
type Event struct {
	ID         int64          `db:"id"`
	Day        time.Time      `db:"day"`     // first day
	EndDay     time.Time      `db:"end_day"` // last day, inclusive
	Title      string         `db:"title"`
	Team       string         `db:"team"`
	Note       string         `db:"note"`
	Link       string         `db:"link"`
	Dashboards pq.StringArray `db:"dashboards"` // empty: every dashboard
	Metrics    pq.StringArray `db:"metrics"`    // query names; empty: every metric
	Key        sql.NullString `db:"key"`
	CreatedBy  string         `db:"created_by"`
	CreatedAt  time.Time      `db:"created_at"`
}

const eventColumns = `id, day, end_day, title, team, note, link, dashboards, metrics, key, created_by, created_at`

// CreateEvent stores an event and returns it with its ID.
func (db *Store) CreateEvent(ctx context.Context, e Event) (*Event, error) {
	var out Event
	err := db.x.GetContext(ctx, &out, `
		INSERT INTO opsboard.events (day, end_day, title, team, note, link, dashboards, metrics, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+eventColumns,
		dateText(e.Day), dateText(e.EndDay), e.Title, e.Team, e.Note, e.Link, nonNilArray(e.Dashboards), nonNilArray(e.Metrics), e.CreatedBy)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PutEvent creates or replaces the event with e.Key: a program keeping its
// own events up to date (the demo's incidents) calls it on every start.
func (db *Store) PutEvent(ctx context.Context, e Event) (*Event, error) {
	if !e.Key.Valid || e.Key.String == "" {
		return nil, apperr.Invalid("an event put by key needs a key")
	}
	var out Event
	err := db.x.GetContext(ctx, &out, `
		INSERT INTO opsboard.events (day, end_day, title, team, note, link, dashboards, metrics, key, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (key) DO UPDATE SET day = EXCLUDED.day, end_day = EXCLUDED.end_day, title = EXCLUDED.title,
			team = EXCLUDED.team, note = EXCLUDED.note, link = EXCLUDED.link, dashboards = EXCLUDED.dashboards,
			metrics = EXCLUDED.metrics, created_by = EXCLUDED.created_by
		RETURNING `+eventColumns,
		dateText(e.Day), dateText(e.EndDay), e.Title, e.Team, e.Note, e.Link, nonNilArray(e.Dashboards), nonNilArray(e.Metrics), e.Key, e.CreatedBy)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// EventsBetween lists the stored events that overlap the days from (inclusive)
// to to (exclusive), by first day.
func (db *Store) EventsBetween(ctx context.Context, from, to time.Time) ([]Event, error) {
	var out []Event
	err := db.x.SelectContext(ctx, &out, `SELECT `+eventColumns+` FROM opsboard.events
		WHERE day < $2::date AND end_day >= $1::date ORDER BY day, end_day, id`, dateText(from), dateText(to))
	return out, err
}

// EventByID returns one stored event.
func (db *Store) EventByID(ctx context.Context, id int64) (*Event, error) {
	var e Event
	err := db.x.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM opsboard.events WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("there is no event %d", id)
	}
	return &e, err
}

// DeleteEvent removes a stored event.
func (db *Store) DeleteEvent(ctx context.Context, id int64) error {
	res, err := db.x.ExecContext(ctx, `DELETE FROM opsboard.events WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFound("there is no event %d", id)
	}
	return nil
}

// dateText writes a date as PostgreSQL reads it whatever the session's
// time zone: a time.Time would be sent as an instant.
func dateText(t time.Time) string { return t.Format("2006-01-02") }

func nonNilArray(s []string) pq.StringArray {
	if s == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(s)
}
