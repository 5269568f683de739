package mail_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/mail"
	"github.com/opsboard/opsboard/internal/mail/mailtest"
)

// Servers that are slow, silent, hung or cut off: every failure is
// temporary, comes within the deadline, and is followed by exactly the
// messages the server really accepted.
func TestSendToMisbehavingServers(t *testing.T) {
	t.Run("slow DATA within the deadline", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{DataDelay: 300 * time.Millisecond})
		start := time.Now()
		if err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("Send took %v, want at least the server's 300ms delay", d)
		}
		if got := srv.Messages(); len(got) != 1 {
			t.Errorf("server accepted %d messages, want 1", len(got))
		}
	})

	t.Run("slow DATA past the deadline", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{DataDelay: 2 * time.Second})
		ctx, cancel := context.WithTimeoutCause(t.Context(), 300*time.Millisecond, errors.New("the conversation took too long"))
		defer cancel()
		start := time.Now()
		err := newSender(t, srv.URL()).Send(ctx, reportMessage(t), []string{"ana@example.com"})
		if err == nil || mail.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
		if !strings.Contains(err.Error(), "the conversation took too long") {
			t.Errorf("err = %q, want it to say why the context ended", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %v with a 300ms deadline", d)
		}
	})

	t.Run("no greeting", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Silent: true})
		s := newSender(t, srv.URL()+"?timeout=300ms")
		start := time.Now()
		err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		var merr *mail.Error
		if !errors.As(err, &merr) || merr.Op != "greeting" || mail.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary *mail.Error at the greeting", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %v with timeout=300ms", d)
		}
		srv.SetSilent(false)
		if err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send once the server greets again: %v", err)
		}
		if got := srv.Messages(); len(got) != 1 {
			t.Errorf("server accepted %d messages, want 1", len(got))
		}
	})

	t.Run("hung at one recipient", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{HangRcpt: []string{"stuck@example.com"}})
		s := newSender(t, srv.URL()+"?timeout=300ms")
		err := s.Send(t.Context(), reportMessage(t), []string{"stuck@example.com"})
		var merr *mail.Error
		if !errors.As(err, &merr) || merr.Op != "rcpt to <stuck@example.com>" || mail.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary *mail.Error at RCPT TO", err)
		}
		if err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("Send to another recipient: %v", err)
		}
		got := srv.Messages()
		if len(got) != 1 || !slices.Equal(got[0].To, []string{"ana@example.com"}) {
			t.Errorf("server accepted %v, want one message to ana@example.com", got)
		}
	})

	t.Run("connection dropped mid-DATA", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{DropFirst: 1})
		s := newSender(t, srv.URL())
		err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
		if err == nil || mail.IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary error", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("server accepted %d messages from a dropped connection", n)
		}
		if err := s.Send(t.Context(), reportMessage(t), []string{"ana@example.com"}); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if got := srv.Messages(); len(got) != 1 {
			t.Errorf("server accepted %d messages, want exactly 1", len(got))
		}
	})

	for _, code := range []int{451, 550} {
		t.Run(fmt.Sprintf("every attempt refused with %d", code), func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{FailFirst: 1000, FailCode: code})
			err := newSender(t, srv.URL()).Send(t.Context(), reportMessage(t), []string{"ana@example.com"})
			if err == nil || mail.IsPermanent(err) != (code >= 500) {
				t.Errorf("err = %v, want permanent=%v", err, code >= 500)
			}
		})
	}
}
