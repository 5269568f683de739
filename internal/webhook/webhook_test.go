package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/webhook"
)

var notice = webhook.Notice{
	Kind: "alert.fired", Title: "On-time delivery below target", Text: "89.1% < 92.0% for Mon 5 Jan",
	Link: "https://opsboard.example.com/alerts?rule=x", Fields: map[string]any{"value": 0.891},
}

func TestBody(t *testing.T) {
	b, err := webhook.Body(webhook.FormatSlack, notice)
	if err != nil {
		t.Fatal(err)
	}
	var slack map[string]any
	json.Unmarshal(b, &slack)
	want := "*On-time delivery below target*\n89.1% &lt; 92.0% for Mon 5 Jan\nhttps://opsboard.example.com/alerts?rule=x"
	if len(slack) != 1 || slack["text"] != want {
		t.Errorf("slack body %s, want only text %q", b, want)
	}
	b, err = webhook.Body(webhook.FormatGeneric, notice)
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Kind, Title, Text, Link string
		Fields                  map[string]float64
	}
	json.Unmarshal(b, &generic)
	if generic.Kind != "alert.fired" || generic.Title != notice.Title || generic.Text != notice.Text || generic.Link != notice.Link || generic.Fields["value"] != 0.891 {
		t.Errorf("generic body %s lacks a field", b)
	}
	if _, err := webhook.Body("teams", notice); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("Body(teams) = %v, want an invalid-format error", err)
	}
}

// hook answers each POST with the next status of its script (then 200).
type hook struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	h.bodies = append(h.bodies, r.Header.Get("Content-Type")+" "+string(b))
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	if status == http.StatusMovedPermanently {
		w.Header().Set("Location", "/elsewhere")
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "30")
	}
	w.WriteHeader(status)
	io.WriteString(w, "answer "+http.StatusText(status))
}

func TestPost(t *testing.T) {
	for _, c := range []struct {
		name       string
		status     int
		permanent  bool
		retryAfter time.Duration
	}{
		{"accepted", http.StatusOK, false, 0},
		{"server error", http.StatusInternalServerError, false, 0},
		{"rate limited", http.StatusTooManyRequests, false, 30 * time.Second},
		{"refused", http.StatusBadRequest, true, 0},
		{"gone", http.StatusNotFound, true, 0},
		{"moved", http.StatusMovedPermanently, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &hook{statuses: []int{c.status}}
			srv := httptest.NewServer(h)
			defer srv.Close()
			secret := srv.URL + "/services/T000/B000/s3cr3t"
			err := (&webhook.Sender{}).Post(context.Background(), secret, []byte(`{"text":"hi"}`))
			if c.status == http.StatusOK {
				if err != nil {
					t.Fatalf("Post = %v, want nil", err)
				}
				if h.bodies[0] != `application/json {"text":"hi"}` {
					t.Errorf("webhook got %q", h.bodies[0])
				}
				return
			}
			if err == nil {
				t.Fatalf("Post to a webhook answering %d succeeded", c.status)
			}
			if got := webhook.IsPermanent(err); got != c.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, c.permanent)
			}
			if got := webhook.RetryAfter(err); got != c.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, c.retryAfter)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q shows the webhook's secret path", err)
			}
		})
	}
	srv := httptest.NewServer(&hook{})
	addr := srv.URL + "/s3cr3t"
	srv.Close()
	err := (&webhook.Sender{Timeout: 2 * time.Second}).Post(context.Background(), addr, []byte(`{}`))
	if err == nil || webhook.IsPermanent(err) || !errors.Is(err, apperr.ErrUnavailable) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Post to a closed port = %v, want a passing failure without the path", err)
	}
}
