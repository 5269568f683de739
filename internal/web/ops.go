package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

func (s *Server) registerOpsRoutes(r *mux.Router) {
	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", s.metrics.Handler()).Methods(http.MethodGet)
}

// healthz answers 200 when the databases answer and the scheduler is alive,
// 503 "degraded" otherwise, with a JSON body saying which part failed. Its
// "definitions" check is the last reload's result; it does not change the
// status.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	// Anyone may ask: the answer says what is down, the log says why
	// (database errors name hosts and ports).
	check := func(name string, err error) {
		if err != nil {
			checks[name], ok = "failing", false
			s.log.Warn("health check failing", "check", name, "err", err)
			return
		}
		checks[name] = "ok"
	}
	if s.db != nil {
		check("database", s.db.Ping(ctx))
	}
	if s.data != nil {
		check("data", s.data.Ping(ctx))
	}
	if s.Health != nil {
		check("scheduler", s.Health())
	}
	// A failed reload leaves the last good definitions served: it is said
	// here (and on every page for signed-in people), not a reason for a
	// load balancer to take the server out.
	checks["definitions"] = "ok"
	if problems := s.ReloadProblems(); problems != nil {
		checks["definitions"] = "failing"
	}
	// Late or failed mornings make the first views of the day slow, not
	// wrong: said here, never a reason to take the server out.
	if s.Mornings != nil {
		checks["mornings"] = s.Mornings(ctx)
	}
	status := "ok"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		status = "degraded"
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	return json.NewEncoder(w).Encode(map[string]any{"status": status, "checks": checks})
}
