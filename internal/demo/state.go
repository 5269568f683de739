package demo

import (
	"context"
	"database/sql"
	"time"

	"github.com/opsboard/opsboard/internal/pg"
)

// LastDay returns the business day (in loc) of the newest demo order, and
// false when the demo tables are not there or empty.
func LastDay(ctx context.Context, db *pg.Admin, loc *time.Location) (time.Time, bool, error) {
	var exists bool
	if err := db.Get(ctx, &exists, `SELECT to_regclass('public.orders') IS NOT NULL`); err != nil || !exists {
		return time.Time{}, false, err
	}
	var last sql.NullTime
	if err := db.Get(ctx, &last, `SELECT max(placed_at) FROM public.orders`); err != nil {
		return time.Time{}, false, err
	}
	if !last.Valid {
		return time.Time{}, false, nil
	}
	y, m, d := last.Time.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true, nil
}
