package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Alert check statuses.
const (
	CheckRunning = "running"
	CheckOK      = "ok"
	CheckFiring  = "firing"
	CheckNoData  = "no_data" // no value, or a sample too thin to judge
	CheckFailed  = "failed"
)

// AlertCheck is one scheduled evaluation of an alert rule.
type AlertCheck struct {
	ID         int64           `db:"id"`
	Rule       string          `db:"rule"`
	DueAt      time.Time       `db:"due_at"`
	Period     string          `db:"period"`
	Status     string          `db:"status"`
	Value      sql.NullFloat64 `db:"value"`
	Message    string          `db:"message"`
	Attempts   int             `db:"attempts"`
	ClaimedAt  time.Time       `db:"claimed_at"`
	FinishedAt sql.NullTime    `db:"finished_at"`
}

// ClaimAlertCheck claims the evaluation of rule for its scheduled time
// dueAt. Only one caller across all replicas gets claimed=true. A check
// left running for longer than stale (its process died), or failed fewer
// than maxAttempts times and last tried before retryBefore, is claimed
// again.
func (db *Store) ClaimAlertCheck(ctx context.Context, rule string, dueAt, now time.Time, stale time.Duration, retryBefore time.Time, maxAttempts int) (check *AlertCheck, claimed bool, err error) {
	var c AlertCheck
	err = db.x.GetContext(ctx, &c, `
		INSERT INTO opsboard.alert_checks (rule, due_at, claimed_at) VALUES ($1, $2, $3)
		ON CONFLICT (rule, due_at) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, status = 'running',
			attempts = opsboard.alert_checks.attempts + 1, finished_at = NULL
		WHERE (opsboard.alert_checks.status = 'running' AND opsboard.alert_checks.claimed_at < $4)
		   OR (opsboard.alert_checks.status = 'failed' AND opsboard.alert_checks.attempts < $6
		       AND opsboard.alert_checks.claimed_at < $5)
		RETURNING id, rule, due_at, period, status, value, message, attempts, claimed_at, finished_at`,
		rule, dueAt, now, now.Add(-stale), retryBefore, maxAttempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &c, true, nil
}

// FinishAlertCheck records the outcome of a claimed check.
func (db *Store) FinishAlertCheck(ctx context.Context, id int64, period, status string, value *float64, message string, now time.Time) error {
	return db.exec(ctx, `UPDATE opsboard.alert_checks
		SET period = $2, status = $3, value = $4, message = $5, finished_at = $6 WHERE id = $1`,
		id, period, status, value, message, now)
}

// LatestAlertChecks returns the newest finished or running check of each rule.
func (db *Store) LatestAlertChecks(ctx context.Context) (map[string]AlertCheck, error) {
	var out []AlertCheck
	err := db.x.SelectContext(ctx, &out, `
		SELECT DISTINCT ON (rule) id, rule, due_at, period, status, value, message, attempts, claimed_at, finished_at
		FROM opsboard.alert_checks ORDER BY rule, due_at DESC`)
	if err != nil {
		return nil, err
	}
	m := make(map[string]AlertCheck, len(out))
	for _, c := range out {
		m[c.Rule] = c
	}
	return m, nil
}

// AlertFiring is a rule found in breach for one period.
type AlertFiring struct {
	ID             int64           `db:"id"`
	Rule           string          `db:"rule"`
	Period         string          `db:"period"`
	Dashboard      string          `db:"dashboard"`
	Tile           string          `db:"tile"`
	Title          string          `db:"title"`
	Condition      string          `db:"condition"`
	Value          float64         `db:"value"`
	Previous       sql.NullFloat64 `db:"previous"`
	Threshold      sql.NullFloat64 `db:"threshold"`
	Message        string          `db:"message"`
	FiredAt        time.Time       `db:"fired_at"`
	RecoveredAt    sql.NullTime    `db:"recovered_at"`
	RecoveredValue sql.NullFloat64 `db:"recovered_value"`
	RecoveredIn    sql.NullString  `db:"recovered_in"`
}

const firingColumns = `id, rule, period, dashboard, tile, title, condition, value, previous, threshold, message,
	fired_at, recovered_at, recovered_value, recovered_in`

// AlertNotice is one notification of a firing or a recovery to one target.
type AlertNotice struct {
	ID            int64        `db:"id"`
	FiringID      int64        `db:"firing_id"`
	Kind          string       `db:"kind"`    // "fired" or "recovered"
	Channel       string       `db:"channel"` // "email" or "webhook"
	Target        string       `db:"target"`  // an address, or "url:…" / "env:NAME"
	Format        string       `db:"format"`  // webhook format
	Body          []byte       `db:"body"`    // the message or JSON, as sent on every attempt
	Status        string       `db:"status"`  // pending, sent, failed
	Attempts      int          `db:"attempts"`
	LastError     string       `db:"last_error"`
	NextAttemptAt time.Time    `db:"next_attempt_at"`
	SentAt        sql.NullTime `db:"sent_at"`
}

const noticeColumns = `id, firing_id, kind, channel, target, format, body, status, attempts, last_error, next_attempt_at, sent_at`

// NewNotice is a notice to create with a firing or a recovery.
type NewNotice struct {
	Channel, Target, Format string
	Body                    []byte
}

// ClaimAlertFiring records that rule fired for period, with its notices,
// in one transaction. Only one caller across all replicas gets
// claimed=true; the others (and later checks of the same period) get the
// firing that exists.
func (db *Store) ClaimAlertFiring(ctx context.Context, f AlertFiring, notices func(firingID int64) []NewNotice) (firing *AlertFiring, claimed bool, err error) {
	err = db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO opsboard.alert_firings (rule, period, dashboard, tile, title, condition, value, previous, threshold, message, fired_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (rule, period) DO NOTHING RETURNING id`,
			f.Rule, f.Period, f.Dashboard, f.Tile, f.Title, f.Condition, f.Value, f.Previous, f.Threshold, f.Message, f.FiredAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed = true
		if err := insertNotices(ctx, tx, id, "fired", notices(id), f.FiredAt); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	var out AlertFiring
	if err := db.x.GetContext(ctx, &out, `SELECT `+firingColumns+` FROM opsboard.alert_firings WHERE rule = $1 AND period = $2`, f.Rule, f.Period); err != nil {
		return nil, false, err
	}
	return &out, claimed, nil
}

// RecoverAlert marks every open firing of rule recovered, and creates the
// recovery notices on the newest of them. Only one caller across replicas
// gets the firing back; nil means nothing was open.
func (db *Store) RecoverAlert(ctx context.Context, rule string, value float64, period string, now time.Time, notices func(firingID int64) []NewNotice) (*AlertFiring, error) {
	var latest *AlertFiring
	err := db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		var recovered []AlertFiring
		if err := tx.SelectContext(ctx, &recovered, `
			UPDATE opsboard.alert_firings SET recovered_at = $2, recovered_value = $3, recovered_in = $4
			WHERE rule = $1 AND recovered_at IS NULL
			RETURNING `+firingColumns, rule, now, value, period); err != nil {
			return err
		}
		for i := range recovered {
			if latest == nil || recovered[i].FiredAt.After(latest.FiredAt) || recovered[i].FiredAt.Equal(latest.FiredAt) && recovered[i].ID > latest.ID {
				latest = &recovered[i]
			}
		}
		if latest == nil {
			return nil
		}
		return insertNotices(ctx, tx, latest.ID, "recovered", notices(latest.ID), now)
	})
	if err != nil {
		return nil, err
	}
	return latest, nil
}

func insertNotices(ctx context.Context, tx *sqlx.Tx, firingID int64, kind string, notices []NewNotice, now time.Time) error {
	for _, n := range notices {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO opsboard.alert_notices (firing_id, kind, channel, target, format, body, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (firing_id, kind, channel, target) DO NOTHING`,
			firingID, kind, n.Channel, n.Target, n.Format, n.Body, now); err != nil {
			return err
		}
	}
	return nil
}

// ClaimDueNotice takes the oldest pending notice that is due at now and
// holds it until lease: no other replica takes it meanwhile, and if this
// one dies it is taken again after that. nil when none is due.
func (db *Store) ClaimDueNotice(ctx context.Context, now, lease time.Time) (*AlertNotice, error) {
	var n AlertNotice
	err := db.x.GetContext(ctx, &n, `
		UPDATE opsboard.alert_notices SET next_attempt_at = $2
		WHERE id = (SELECT id FROM opsboard.alert_notices
			WHERE status = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+noticeColumns, now, lease)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// MarkNoticeSent records a notice delivered.
func (db *Store) MarkNoticeSent(ctx context.Context, id int64, now time.Time) error {
	return db.exec(ctx, `UPDATE opsboard.alert_notices
		SET status = 'sent', attempts = attempts + 1, sent_at = $2, last_error = '' WHERE id = $1`, id, now)
}

// MarkNoticeFailed records a failed attempt: retried at next, or given up
// when next is zero.
func (db *Store) MarkNoticeFailed(ctx context.Context, id int64, msg string, next time.Time) error {
	if next.IsZero() {
		return db.exec(ctx, `UPDATE opsboard.alert_notices SET status = 'failed', attempts = attempts + 1, last_error = $2
			WHERE id = $1`, id, msg)
	}
	return db.exec(ctx, `UPDATE opsboard.alert_notices SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
		WHERE id = $1`, id, msg, next)
}

// AlertFiringFilter narrows the firings listed.
type AlertFiringFilter struct {
	Rule      string
	Dashboard string
	Tile      string
	OpenOnly  bool
	Limit     int // default 200
}

// ListAlertFirings returns firings, newest first.
func (db *Store) ListAlertFirings(ctx context.Context, f AlertFiringFilter) ([]AlertFiring, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var out []AlertFiring
	err := db.x.SelectContext(ctx, &out, `SELECT `+firingColumns+` FROM opsboard.alert_firings
		WHERE ($1 = '' OR rule = $1) AND ($2 = '' OR dashboard = $2) AND ($3 = '' OR tile = $3)
		  AND (NOT $4 OR recovered_at IS NULL)
		ORDER BY fired_at DESC, id DESC LIMIT $5`, f.Rule, f.Dashboard, f.Tile, f.OpenOnly, f.Limit)
	return out, err
}

// AlertFiringByID returns one firing.
func (db *Store) AlertFiringByID(ctx context.Context, id int64) (*AlertFiring, error) {
	var f AlertFiring
	err := db.x.GetContext(ctx, &f, `SELECT `+firingColumns+` FROM opsboard.alert_firings WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("there is no alert firing %d", id)
	}
	return &f, err
}

// AlertNoticesOf lists the notices of several firings, by firing.
func (db *Store) AlertNoticesOf(ctx context.Context, firingIDs []int64) (map[int64][]AlertNotice, error) {
	var out []AlertNotice
	err := db.x.SelectContext(ctx, &out, `SELECT `+noticeColumns+` FROM opsboard.alert_notices
		WHERE firing_id = ANY($1) ORDER BY firing_id, kind, channel, target`, pq.Array(firingIDs))
	if err != nil {
		return nil, err
	}
	by := map[int64][]AlertNotice{}
	for _, n := range out {
		by[n.FiringID] = append(by[n.FiringID], n)
	}
	return by, nil
}
