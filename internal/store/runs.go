package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
)

// Run statuses.
const (
	RunRunning  = "running"  // claimed, being rendered
	RunRendered = "rendered" // rendered, deliveries pending
	RunSent     = "sent"     // every delivery done
	RunPartial  = "partial"  // sent, but some panels failed (on_error: send_partial)
	RunFailed   = "failed"   // not sent: rendering failed, or deliveries gave up
)

// Run is one production of a report for one date: the archive entry.
type Run struct {
	ID         int64           `db:"id"`
	Report     string          `db:"report"`
	ReportDate time.Time       `db:"report_date"`
	Trigger    string          `db:"trigger"`
	Status     string          `db:"status"`
	TimeZone   string          `db:"time_zone"`
	Params     json.RawMessage `db:"params"`
	Errors     json.RawMessage `db:"errors"`
	Partial    bool            `db:"partial"`
	Subject    string          `db:"subject"`
	HTML       sql.NullString  `db:"html"`
	PDF        []byte          `db:"pdf"`
	Message    []byte          `db:"message"`
	CreatedAt  time.Time       `db:"created_at"`
	UpdatedAt  time.Time       `db:"updated_at"`
	FinishedAt sql.NullTime    `db:"finished_at"`
	// Recipients are the addresses (and "to"/"cc") a person chose for this
	// run; nil: the report's recipients.
	Recipients     []byte    `db:"recipients"`
	RenderAttempts int       `db:"render_attempts"`
	NextRenderAt   time.Time `db:"next_render_at"`
	// Summary is what the run posts to webhooks: its highlights, a line
	// each.
	Summary string `db:"summary"`
}

// RecipientMap decodes Recipients; nil when the run has none of its own.
func (r *Run) RecipientMap() map[string]string {
	if len(r.Recipients) == 0 || string(r.Recipients) == "null" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal(r.Recipients, &m) != nil {
		return nil
	}
	return m
}

// ErrorList decodes the run's errors.
func (r *Run) ErrorList() []string {
	var out []string
	json.Unmarshal(r.Errors, &out)
	return out
}

// Delivery is one recipient's copy of a run.
type Delivery struct {
	ID            int64        `db:"id"`
	RunID         int64        `db:"run_id"`
	Recipient     string       `db:"recipient"`
	Kind          string       `db:"kind"`
	Status        string       `db:"status"`
	Attempts      int          `db:"attempts"`
	LastError     string       `db:"last_error"`
	NextAttemptAt time.Time    `db:"next_attempt_at"`
	SentAt        sql.NullTime `db:"sent_at"`
}

const runColumns = `id, report, report_date, trigger, status, time_zone, params, errors, partial, subject,
	html, pdf, message, created_at, updated_at, finished_at, recipients, render_attempts, next_render_at, summary`

// ClaimScheduledRun creates the scheduled run of report for date. Only one
// caller across all replicas gets claimed=true; the others get the
// existing run.
func (db *Store) ClaimScheduledRun(ctx context.Context, report string, date time.Time, tz string, params any) (run *Run, claimed bool, err error) {
	// Look first: an INSERT that conflicts still uses up a sequence value,
	// and every tick asks again for every date in the catch-up window.
	if run, err := db.ScheduledRun(ctx, report, date); err == nil {
		return run, false, nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return nil, false, err
	}
	p, _ := json.Marshal(params)
	var id int64
	err = db.x.GetContext(ctx, &id, `
		INSERT INTO opsboard.report_runs (report, report_date, trigger, time_zone, params)
		VALUES ($1, $2, 'schedule', $3, $4)
		ON CONFLICT (report, report_date) WHERE trigger = 'schedule' DO NOTHING
		RETURNING id`, report, date, tz, p)
	if errors.Is(err, sql.ErrNoRows) {
		run, err = db.ScheduledRun(ctx, report, date)
		return run, false, err
	}
	if err != nil {
		return nil, false, err
	}
	run, err = db.RunByID(ctx, id)
	return run, true, err
}

// CreateRun records a run made by a person (command line or web), for the
// recipients they chose (nil: the report's). It never replaces a scheduled
// run: regenerating a day is a new run.
func (db *Store) CreateRun(ctx context.Context, report string, date time.Time, trigger, tz string, params any, recipients map[string]string) (*Run, error) {
	p, _ := json.Marshal(params)
	var rcpt any
	if recipients != nil {
		b, _ := json.Marshal(recipients)
		rcpt = b
	}
	var id int64
	if err := db.x.GetContext(ctx, &id, `
		INSERT INTO opsboard.report_runs (report, report_date, trigger, time_zone, params, recipients)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, report, date, trigger, tz, p, rcpt); err != nil {
		return nil, err
	}
	return db.RunByID(ctx, id)
}

// StartRender records that a render of the run starts and returns how
// many have started, this one included. A render that dies before it can
// record its outcome (a crash) still counted here.
func (db *Store) StartRender(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.get(ctx, &n, `UPDATE opsboard.report_runs SET render_starts = render_starts + 1
		WHERE id = $1 RETURNING render_starts`, id)
	return n, err
}

// PostponeRender records a render that failed for a passing reason: the
// run stays unfinished and is rendered again from next on.
func (db *Store) PostponeRender(ctx context.Context, id int64, errs []string, next time.Time) error {
	e, _ := json.Marshal(nonNil(errs))
	return db.exec(ctx, `UPDATE opsboard.report_runs
		SET errors = $2, render_attempts = render_attempts + 1, next_render_at = $3, updated_at = now()
		WHERE id = $1`, id, e, next)
}

// ScheduleFirstSeen returns when the schedule of report (its cron spec in
// its time zone) was first seen, recording now when it is new.
func (db *Store) ScheduleFirstSeen(ctx context.Context, report, schedule, tz string, now time.Time) (time.Time, error) {
	var first time.Time
	err := db.x.GetContext(ctx, &first, `
		INSERT INTO opsboard.report_schedules (report, schedule, time_zone, first_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (report, schedule, time_zone) DO UPDATE SET first_seen = opsboard.report_schedules.first_seen
		RETURNING first_seen`, report, schedule, tz, now)
	return first, err
}

// DeliveriesOf lists the deliveries of several runs, by run.
func (db *Store) DeliveriesOf(ctx context.Context, runIDs []int64) (map[int64][]Delivery, error) {
	var out []Delivery
	err := db.x.SelectContext(ctx, &out, `SELECT id, run_id, recipient, kind, status, attempts, last_error, next_attempt_at, sent_at
		FROM opsboard.deliveries WHERE run_id = ANY($1) ORDER BY run_id, kind DESC, recipient`, pq.Array(runIDs))
	if err != nil {
		return nil, err
	}
	by := map[int64][]Delivery{}
	for _, d := range out {
		by[d.RunID] = append(by[d.RunID], d)
	}
	return by, nil
}

// ScheduledRun returns the scheduled run of report for date.
func (db *Store) ScheduledRun(ctx context.Context, report string, date time.Time) (*Run, error) {
	var r Run
	err := db.x.GetContext(ctx, &r, `SELECT `+runColumns+` FROM opsboard.report_runs
		WHERE report = $1 AND report_date = $2 AND trigger = 'schedule'`, report, date)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("no scheduled run of %s for %s", report, date.Format("2006-01-02"))
	}
	return &r, err
}

// RunByID returns one run.
func (db *Store) RunByID(ctx context.Context, id int64) (*Run, error) {
	var r Run
	err := db.x.GetContext(ctx, &r, `SELECT `+runColumns+` FROM opsboard.report_runs WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("no report run %d", id)
	}
	return &r, err
}

// LatestRun returns the newest run of report for date that has a rendered
// page (the one the archive shows), preferring the scheduled one that was sent.
func (db *Store) LatestRun(ctx context.Context, report string, date time.Time) (*Run, error) {
	var r Run
	err := db.x.GetContext(ctx, &r, `SELECT `+runColumns+` FROM opsboard.report_runs
		WHERE report = $1 AND report_date = $2 AND html IS NOT NULL
		ORDER BY (status IN ('sent', 'partial')) DESC, id DESC LIMIT 1`, report, date)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("no archived %s report for %s", report, date.Format("2006-01-02"))
	}
	return &r, err
}

// RunSummary is a run without its documents, for lists.
type RunSummary struct {
	ID         int64        `db:"id"`
	Report     string       `db:"report"`
	ReportDate time.Time    `db:"report_date"`
	Trigger    string       `db:"trigger"`
	Status     string       `db:"status"`
	Partial    bool         `db:"partial"`
	Errors     []byte       `db:"errors"`
	CreatedAt  time.Time    `db:"created_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
	HasPDF     bool         `db:"has_pdf"`
	Recipients int          `db:"recipients"`
	Sent       int          `db:"sent"`
	Failed     int          `db:"failed"`
}

// ListRuns returns the newest runs, of one report or (report "") of all.
func (db *Store) ListRuns(ctx context.Context, report string, limit int) ([]RunSummary, error) {
	var out []RunSummary
	err := db.x.SelectContext(ctx, &out, `
		SELECT r.id, r.report, r.report_date, r.trigger, r.status, r.partial, r.errors, r.created_at, r.finished_at,
		       r.pdf IS NOT NULL AS has_pdf,
		       count(d.id) AS recipients,
		       count(d.id) FILTER (WHERE d.status = 'sent') AS sent,
		       count(d.id) FILTER (WHERE d.status = 'failed') AS failed
		FROM opsboard.report_runs r LEFT JOIN opsboard.deliveries d ON d.run_id = r.id
		WHERE $1 = '' OR r.report = $1
		GROUP BY r.id ORDER BY r.report_date DESC, r.id DESC LIMIT $2`, report, limit)
	return out, err
}

// SaveRendered stores a run's documents, the message to send and the
// recipients it goes to, and moves the run to rendered.
func (db *Store) SaveRendered(ctx context.Context, id int64, subject, html string, pdf, message []byte, errs []string, partial bool, recipients map[string]string, summary string) error {
	e, _ := json.Marshal(nonNil(errs))
	return db.InTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE opsboard.report_runs
			SET subject = $2, html = $3, pdf = $4, message = $5, errors = $6, partial = $7, summary = $8, status = 'rendered', updated_at = now()
			WHERE id = $1`, id, subject, html, pdf, message, e, partial, summary); err != nil {
			return err
		}
		for addr, kind := range recipients {
			if _, err := tx.ExecContext(ctx, `INSERT INTO opsboard.deliveries (run_id, recipient, kind)
				VALUES ($1, $2, $3) ON CONFLICT (run_id, recipient) DO NOTHING`, id, addr, kind); err != nil {
				return err
			}
		}
		return nil
	})
}

// FailRun marks a run failed with its reasons; it is not sent.
func (db *Store) FailRun(ctx context.Context, id int64, html string, errs []string) error {
	e, _ := json.Marshal(nonNil(errs))
	var h any
	if html != "" {
		h = html
	}
	return db.exec(ctx, `UPDATE opsboard.report_runs
		SET status = 'failed', errors = $2, html = COALESCE($3, html), updated_at = now(), finished_at = now()
		WHERE id = $1`, id, e, h)
}

// FinishRun sets the final status of a run whose deliveries are all done.
func (db *Store) FinishRun(ctx context.Context, id int64, status string) error {
	return db.exec(ctx, `UPDATE opsboard.report_runs SET status = $2, updated_at = now(), finished_at = now() WHERE id = $1`, id, status)
}

// UnfinishedRuns returns scheduled runs that are not finished: claimed but
// not rendered (a crash mid-render) or rendered with deliveries pending.
func (db *Store) UnfinishedRuns(ctx context.Context) ([]Run, error) {
	var out []Run
	err := db.x.SelectContext(ctx, &out, `SELECT `+runColumns+` FROM opsboard.report_runs
		WHERE status IN ('running', 'rendered') ORDER BY id`)
	return out, err
}

// Deliveries lists a run's deliveries.
func (db *Store) Deliveries(ctx context.Context, runID int64) ([]Delivery, error) {
	var out []Delivery
	err := db.x.SelectContext(ctx, &out, `SELECT id, run_id, recipient, kind, status, attempts, last_error, next_attempt_at, sent_at
		FROM opsboard.deliveries WHERE run_id = $1 ORDER BY kind DESC, recipient`, runID)
	return out, err
}

// MarkDelivered records a successful delivery.
func (db *Store) MarkDelivered(ctx context.Context, id int64) error {
	return db.exec(ctx, `UPDATE opsboard.deliveries SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = ''
		WHERE id = $1`, id)
}

// MarkDeliveryFailed records a failed attempt: retried at next, or given up
// when next is zero.
func (db *Store) MarkDeliveryFailed(ctx context.Context, id int64, msg string, next time.Time) error {
	if next.IsZero() {
		return db.exec(ctx, `UPDATE opsboard.deliveries SET status = 'failed', attempts = attempts + 1, last_error = $2
			WHERE id = $1`, id, msg)
	}
	return db.exec(ctx, `UPDATE opsboard.deliveries SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
		WHERE id = $1`, id, msg, next)
}

// WithRunLock runs fn while holding a PostgreSQL advisory lock on the run,
// on one dedicated connection, so only one process works on a run at a
// time. A crashed holder's lock goes with its connection. locked is false
// when another process holds it.
func (db *Store) WithRunLock(ctx context.Context, runID int64, fn func() error) (locked bool, err error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// 181 is the key space of report-run locks.
	// The two-int form takes 32-bit keys: run ids past 2^31 wrap around
	// (two runs 2^31 apart would only wait for each other).
	key := runID % (1 << 31)
	if err := conn.GetContext(ctx, &locked, `SELECT pg_try_advisory_lock(181, $1::int)`, key); err != nil {
		return false, err
	}
	if !locked {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(181, $1::int)`, key)
	return true, fn()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
