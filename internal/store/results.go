package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// StoredResult is a query result kept in the store: the frame's bytes
// (frame.Encode), when it was computed and until when it may be shown
// without a note of its age.
type StoredResult struct {
	Frame      []byte    `db:"frame"`
	ComputedAt time.Time `db:"computed_at"`
	ExpiresAt  time.Time `db:"expires_at"`
}

// LoadResult returns the result kept under key, expired or not;
// apperr.ErrNotFound when there is none.
func (db *Store) LoadResult(ctx context.Context, key string) (*StoredResult, error) {
	var r StoredResult
	if err := db.get(ctx, &r, `SELECT frame, computed_at, expires_at FROM opsboard.query_results WHERE key = $1`, key); err != nil {
		return nil, err
	}
	return &r, nil
}

// SaveResult keeps a result under key, unless a result computed later is
// already kept there (two replicas finishing the same query out of order).
func (db *Store) SaveResult(ctx context.Context, key, query string, frame []byte, computed, expires time.Time) error {
	return db.exec(ctx, `
		INSERT INTO opsboard.query_results (key, query, frame, computed_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET query = EXCLUDED.query, frame = EXCLUDED.frame,
			computed_at = EXCLUDED.computed_at, expires_at = EXCLUDED.expires_at
		WHERE opsboard.query_results.computed_at <= EXCLUDED.computed_at`,
		key, query, frame, computed, expires)
}

// PruneResults deletes the results and report prints that expired before
// the given time, then, while the results kept take more than maxBytes,
// those that expire first, and returns how many went.
func (db *Store) PruneResults(ctx context.Context, before time.Time, maxBytes int64) (int64, error) {
	var n int64
	for _, d := range []struct {
		stmt string
		arg  any
	}{
		{`DELETE FROM opsboard.query_results WHERE expires_at < $1`, before},
		{`DELETE FROM opsboard.report_prints WHERE expires_at < $1`, before},
		{`DELETE FROM opsboard.query_results WHERE key IN (
			SELECT key FROM (
				SELECT key, sum(octet_length(frame) + octet_length(key)) OVER (ORDER BY expires_at DESC, key) AS kept
				FROM opsboard.query_results) r
			WHERE kept > $1)`, maxBytes},
	} {
		res, err := db.x.ExecContext(ctx, d.stmt, d.arg)
		if err != nil {
			return n, err
		}
		gone, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += gone
	}
	return n, nil
}

// ForgetResults deletes every kept result and report print (`opsboard
// refresh`: the mornings are computed and printed anew).
func (db *Store) ForgetResults(ctx context.Context) error {
	return db.exec(ctx, `DELETE FROM opsboard.query_results; DELETE FROM opsboard.report_prints`)
}

// ForgetComputed deletes every result, settled day and morning kept,
// after the data they were computed from was replaced (a new demo load):
// the next views and the next morning compute them from the new data.
func (db *Store) ForgetComputed(ctx context.Context) error {
	return db.exec(ctx, `DELETE FROM opsboard.query_results; DELETE FROM opsboard.query_days;
		DELETE FROM opsboard.precomputes; DELETE FROM opsboard.report_prints`)
}

// Precompute is one dashboard's morning: its views computed once, by one
// replica, for one business day.
type Precompute struct {
	Dashboard  string       `db:"dashboard"`
	Day        time.Time    `db:"day"`
	ClaimedBy  string       `db:"claimed_by"`
	ClaimedAt  time.Time    `db:"claimed_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
	Views      int          `db:"views"`
	Failures   int          `db:"failures"`
	Error      string       `db:"error"`
}

// ClaimPrecompute claims a dashboard's morning for day. Only one caller
// across replicas gets true. A morning left unfinished for longer than
// stale (its process died), or finished with failures and claimed before
// retryBefore, is claimed again.
func (db *Store) ClaimPrecompute(ctx context.Context, dashboard string, day time.Time, by string, now time.Time, stale time.Duration, retryBefore time.Time) (bool, error) {
	var claimed string
	err := db.x.GetContext(ctx, &claimed, `
		INSERT INTO opsboard.precomputes (dashboard, day, claimed_by, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (dashboard, day) DO UPDATE SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at,
			finished_at = NULL, views = 0, failures = 0, error = ''
		WHERE (opsboard.precomputes.finished_at IS NULL AND opsboard.precomputes.claimed_at < $5)
		   OR (opsboard.precomputes.failures > 0 AND opsboard.precomputes.claimed_at < $6)
		RETURNING claimed_by`,
		dashboard, day, by, now, now.Add(-stale), retryBefore)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// TouchPrecompute tells other replicas that a claimed morning is still
// being computed by its claimant (by), so they do not take it over.
func (db *Store) TouchPrecompute(ctx context.Context, dashboard string, day time.Time, by string, now time.Time) error {
	return db.exec(ctx, `
		UPDATE opsboard.precomputes SET claimed_at = $4
		WHERE dashboard = $1 AND day = $2 AND claimed_by = $3 AND finished_at IS NULL`, dashboard, day, by, now)
}

// FinishPrecompute records how a claimed morning went, unless another
// replica took the claim over meanwhile.
func (db *Store) FinishPrecompute(ctx context.Context, dashboard string, day time.Time, by string, views, failures int, errText string, now time.Time) error {
	return db.exec(ctx, `
		UPDATE opsboard.precomputes SET finished_at = $4, views = $5, failures = $6, error = $7
		WHERE dashboard = $1 AND day = $2 AND claimed_by = $3`, dashboard, day, by, now, views, failures, errText)
}

// RecordPrecompute records a morning computed on demand (`opsboard
// refresh`), whatever was claimed or recorded for that day before.
func (db *Store) RecordPrecompute(ctx context.Context, dashboard string, day time.Time, by string, views, failures int, errText string, started, finished time.Time) error {
	return db.exec(ctx, `
		INSERT INTO opsboard.precomputes (dashboard, day, claimed_by, claimed_at, finished_at, views, failures, error)
		VALUES ($1, $2, $3, $4, $8, $5, $6, $7)
		ON CONFLICT (dashboard, day) DO UPDATE SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at,
			finished_at = EXCLUDED.finished_at, views = EXCLUDED.views, failures = EXCLUDED.failures, error = EXCLUDED.error`,
		dashboard, day, by, started, views, failures, errText, finished)
}

// LatestPrecomputes returns each dashboard's latest morning up to day
// (mornings computed ahead for later days are left out).
func (db *Store) LatestPrecomputes(ctx context.Context, day time.Time) (map[string]Precompute, error) {
	var list []Precompute
	if err := db.x.SelectContext(ctx, &list, `
		SELECT DISTINCT ON (dashboard) dashboard, day, claimed_by, claimed_at, finished_at, views, failures, error
		FROM opsboard.precomputes WHERE day <= $1 ORDER BY dashboard, day DESC`, day); err != nil {
		return nil, err
	}
	out := make(map[string]Precompute, len(list))
	for _, p := range list {
		out[p.Dashboard] = p
	}
	return out, nil
}
