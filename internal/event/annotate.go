package event

import (
	"context"

	"github.com/opsboard/opsboard/internal/dashboard"
	"github.com/opsboard/opsboard/internal/query"
)

// Annotations is InRange for the dashboard builder: the events as the
// charts draw them, with links that are safe to follow. public drops who
// made them (share links). Events queries that fail are logged and the
// others drawn: a chart is never lost for want of its events.
func (s *Service) Annotations(public bool) func(ctx context.Context, dashboard string, r query.Range) ([]dashboard.Annotation, error) {
	return func(ctx context.Context, name string, r query.Range) ([]dashboard.Annotation, error) {
		events, err := s.InRange(ctx, name, r)
		if err != nil && s.Log != nil {
			s.Log.Warn("some events could not be read", "dashboard", name, "err", err)
		}
		out := make([]dashboard.Annotation, 0, len(events))
		for _, e := range events {
			if public {
				e = e.Public()
			}
			out = append(out, dashboard.Annotation{From: e.Day, To: e.End, Title: e.Title, Team: e.Team, Note: e.Note, Link: SafeLink(e.Link)})
		}
		return out, nil
	}
}
