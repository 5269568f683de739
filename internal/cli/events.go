package cli

import (
	"context"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/event"
	"github.com/opsboard/opsboard/internal/query"
)

// reportEvents reads the events a report draws and lists: stored ones and
// those of the definitions' events queries. A command that has not opened
// opsboard's own database (report) draws none.
func (e *env) reportEvents(defs func() *catalog.Catalog) func(ctx context.Context, dashboard string, r query.Range) ([]dashboard.Annotation, error) {
	if e.db == nil {
		return nil
	}
	svc := &event.Service{Store: e.db, Runner: e.runner(), Catalog: defs, Log: e.log}
	return svc.Annotations(false)
}
