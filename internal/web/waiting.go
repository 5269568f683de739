package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/opsboard/opsboard/internal/page"
)

// Switch is an http.Handler whose handler can be replaced while it
// serves: serve answers with a Waiting handler while its databases cannot
// be reached, then with the Server's once they answer, on one listener.
type Switch struct {
	h atomic.Pointer[http.Handler]
}

// NewSwitch returns a Switch serving h.
func NewSwitch(h http.Handler) *Switch {
	s := &Switch{}
	s.Set(h)
	return s
}

// Set makes h serve the requests that come from now on.
func (s *Switch) Set(h http.Handler) { s.h.Store(&h) }

func (s *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

// Waiting is what serve answers while it cannot reach its databases: the
// assets, /healthz (503, with checks as Server's say which database is
// failing) and, for every other address, a page that says the data cannot
// be reached and that it will be once the database answers. It shows no
// data, so it needs no sign-in; it names no host or port.
//
// checks says, for "database" (opsboard's own) and "data" (the warehouse),
// "ok" or "failing".
func Waiting(log *slog.Logger, checks func() map[string]string) (http.Handler, error) {
	pages, err := page.NewRenderer()
	if err != nil {
		return nil, err
	}
	assets, err := page.NewAssetServer()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := mux.NewRouter()
	assets.Register(r)
	r.Handle("/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"status": "degraded", "checks": checks()})
	})).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		which := "its database"
		if c := checks(); c["database"] == "ok" && c["data"] != "ok" {
			which = "the database its numbers come from"
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		err := pages.Render(w, "expired", page.Page{
			Title: "The data cannot be reached", Assets: assets.Base(), TimeZone: "",
			Data: struct{ Heading, Message string }{"The data cannot be reached",
				fmt.Sprintf("opsboard is running but cannot reach %s yet. It keeps trying, and this page works again as soon as it answers: reload it in a moment.", which)},
		})
		if err != nil {
			log.Error("rendering the waiting page", "err", err)
		}
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		r.ServeHTTP(w, req)
	}), nil
}

// ServeHandler serves h on l until ctx ends, then shuts down gracefully,
// letting requests in flight finish (up to 10 s).
func ServeHandler(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
