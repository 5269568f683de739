package store

import (
	"context"
	"time"
)

// Report prints are PDFs kept by the fingerprint of what they show
// (package report): a print whose page has not changed is read back instead
// of printed again. Days are the reports' dates.

// LoadPrint returns the PDF kept under fingerprint, unless it expired;
// apperr.ErrNotFound when there is none.
func (db *Store) LoadPrint(ctx context.Context, fingerprint string, now time.Time) ([]byte, error) {
	var body []byte
	if err := db.get(ctx, &body, `SELECT body FROM opsboard.report_prints WHERE fingerprint = $1 AND expires_at > $2`,
		fingerprint, now); err != nil {
		return nil, err
	}
	return body, nil
}

// SavePrint keeps the PDF of report for day under fingerprint until
// expires (a later expiry already kept stays).
func (db *Store) SavePrint(ctx context.Context, fingerprint, report string, day time.Time, body []byte, printed, expires time.Time) error {
	return db.exec(ctx, `
		INSERT INTO opsboard.report_prints (fingerprint, report, day, body, printed_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (fingerprint) DO UPDATE SET expires_at = greatest(opsboard.report_prints.expires_at, EXCLUDED.expires_at)`,
		fingerprint, report, dateText(day), body, printed, expires)
}

// HasPrint reports whether a PDF of report for day is kept and not
// expired: whether printing it is likely to be a read.
func (db *Store) HasPrint(ctx context.Context, report string, day, now time.Time) (bool, error) {
	var n int
	err := db.get(ctx, &n, `SELECT count(*) FROM opsboard.report_prints WHERE report = $1 AND day = $2 AND expires_at > $3`,
		report, dateText(day), now)
	return n > 0, err
}
