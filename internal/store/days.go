package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Days of a query are kept by query name, key (a hash of its statement,
// its other parameters' values and the business time zone) and day: the
// results of settled days of queries with a settle window (package query).
// Days are dates at UTC midnight; each one's frame is frame.Encode's bytes.

// LoadQueryDays returns the days kept for query and key from from
// (inclusive) to to (exclusive).
func (db *Store) LoadQueryDays(ctx context.Context, query, key string, from, to time.Time) (map[time.Time][]byte, error) {
	var rows []struct {
		Day   time.Time `db:"day"`
		Frame []byte    `db:"frame"`
	}
	if err := db.x.SelectContext(ctx, &rows, `
		SELECT day, frame FROM opsboard.query_days
		WHERE query = $1 AND key = $2 AND day >= $3 AND day < $4`,
		query, key, dateText(from), dateText(to)); err != nil {
		return nil, err
	}
	days := make(map[time.Time][]byte, len(rows))
	for _, r := range rows {
		days[dayOf(r.Day)] = r.Frame
	}
	return days, nil
}

// SaveQueryDays keeps the days' results of query and key, replacing what
// was kept for those days.
func (db *Store) SaveQueryDays(ctx context.Context, query, key string, days map[time.Time][]byte) error {
	if len(days) == 0 {
		return nil
	}
	dates := make([]string, 0, len(days))
	frames := make([][]byte, 0, len(days))
	for d, f := range days {
		dates = append(dates, dateText(d))
		frames = append(frames, f)
	}
	return db.exec(ctx, `
		INSERT INTO opsboard.query_days (query, key, day, frame)
		SELECT $1, $2, d, f FROM unnest($3::date[], $4::bytea[]) AS u(d, f)
		ON CONFLICT (query, key, day) DO UPDATE SET frame = EXCLUDED.frame, computed_at = now()`,
		query, key, pq.Array(dates), pq.ByteaArray(frames))
}

// ForgetQueryDays deletes the kept days of every query from since on, so
// that they are computed again when next asked for (history corrected
// after it had settled), and returns how many went.
func (db *Store) ForgetQueryDays(ctx context.Context, since time.Time) (int64, error) {
	res, err := db.x.ExecContext(ctx, `DELETE FROM opsboard.query_days WHERE day >= $1`, dateText(since))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneQueryDays deletes the days of every query and key to which no day
// was added since the given time: a key the morning or a page still uses
// gains a day a day, so these belong to statements since edited, filter
// values gone, ranges nobody asks for again. It returns how many went.
func (db *Store) PruneQueryDays(ctx context.Context, unusedSince time.Time) (int64, error) {
	res, err := db.x.ExecContext(ctx, `
		DELETE FROM opsboard.query_days d
		USING (SELECT query, key FROM opsboard.query_days GROUP BY 1, 2 HAVING max(computed_at) < $1) unused
		WHERE d.query = unused.query AND d.key = unused.key`, unusedSince)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// dayOf is the calendar date of t at UTC midnight, as days are keyed.
// (Days go to PostgreSQL as text: a time.Time would be turned into a date
// in the session's time zone.)
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
