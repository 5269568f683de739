package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/page"
)

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// pageError is an error with the page a person should see.
type pageError struct {
	status  int
	heading string
	message string
	err     error
}

func (e *pageError) Error() string { return e.message }
func (e *pageError) Unwrap() error { return e.err }

func notFound(format string, args ...any) error {
	return &pageError{status: http.StatusNotFound, heading: "Not found", message: fmt.Sprintf(format, args...), err: apperr.ErrNotFound}
}

// handle adapts a handlerFunc: errors become a status code and an error
// page; only server-side failures are logged.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		pe := s.pageErrorOf(r, r.URL.Path, err)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(pe.status)
		s.pages.Render(w, "error", page.Page{
			Title: pe.heading, Assets: s.assets.Base(), TimeZone: s.runner.Location().String(),
			Data: struct {
				Heading, Message string
				Back             bool
			}{pe.heading, pe.message, pe.status != http.StatusGone},
		})
	})
}

// pageErrorOf is the page an error of a request shows; server-side
// failures are logged, with path as given (share links hide their token).
func (s *Server) pageErrorOf(r *http.Request, path string, err error) *pageError {
	pe := &pageError{}
	if !errors.As(err, &pe) {
		pe = classify(err)
	}
	if pe.status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", path, "err", err)
	}
	return pe
}

func classify(err error) *pageError {
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return &pageError{status: http.StatusNotFound, heading: "Not found", message: err.Error(), err: err}
	case errors.Is(err, apperr.ErrInvalid):
		return &pageError{status: http.StatusBadRequest, heading: "That request does not work", message: err.Error(), err: err}
	case errors.Is(err, apperr.ErrForbidden):
		return &pageError{status: http.StatusForbidden, heading: "Not allowed", message: err.Error(), err: err}
	case errors.Is(err, apperr.ErrConflict):
		return &pageError{status: http.StatusConflict, heading: "Conflict", message: err.Error(), err: err}
	case errors.Is(err, apperr.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &pageError{status: http.StatusServiceUnavailable, heading: "Temporarily unavailable", message: "The database did not answer in time. Try again in a moment.", err: err}
	}
	return &pageError{status: http.StatusInternalServerError, heading: "Something went wrong", message: "The error has been logged.", err: err}
}
