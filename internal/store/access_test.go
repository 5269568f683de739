package store_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/store"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	if has, err := db.HasUsers(ctx); err != nil || has {
		t.Fatalf("HasUsers on a fresh database = %v, %v", has, err)
	}
	u, err := db.CreateUser(ctx, "lead@example.com", "editor", "hash")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.RemoveUser(ctx, "lead@example.com") })
	if _, err := db.CreateUser(ctx, "lead@example.com", "viewer", "hash"); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("a second account for the same email: %v, want a conflict", err)
	}
	if _, err := db.CreateUser(ctx, "x@example.com", "owner", "hash"); err == nil {
		t.Errorf("an unknown role was stored")
	}
	if has, _ := db.HasUsers(ctx); !has {
		t.Errorf("HasUsers = false with an account")
	}
	got, err := db.UserByEmail(ctx, "lead@example.com")
	if err != nil || got.ID != u.ID || got.Role != "editor" || got.PasswordHash != "hash" {
		t.Errorf("UserByEmail = %+v, %v", got, err)
	}
	if _, err := db.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("UserByEmail(unknown) = %v, want not found", err)
	}

	live, liveHash := access.NewToken()
	_, oldHash := access.NewToken()
	if err := db.CreateSession(ctx, oldHash, u.ID, "csrf-old", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, liveHash, u.ID, "csrf-live", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := db.SessionByHash(ctx, access.HashToken(live))
	if err != nil || s.Email != "lead@example.com" || s.Role != "editor" || s.CSRF != "csrf-live" {
		t.Errorf("SessionByHash = %+v, %v", s, err)
	}
	if _, err := db.SessionByHash(ctx, oldHash); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("an expired session was found: %v", err)
	}
	users, err := db.ListUsers(ctx)
	if err != nil || len(users) != 1 || users[0].Sessions != 1 {
		t.Errorf("ListUsers = %+v, %v; want one account with one live session", users, err)
	}

	if err := db.DeleteSession(ctx, liveHash); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByHash(ctx, liveHash); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a deleted session was found: %v", err)
	}

	_, again := access.NewToken()
	db.CreateSession(ctx, again, u.ID, "c", time.Now().Add(time.Hour))
	if err := db.RemoveUser(ctx, "lead@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByHash(ctx, again); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a removed account's session still works: %v", err)
	}
	if err := db.RemoveUser(ctx, "lead@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("removing a removed account: %v, want not found", err)
	}
}

func TestShareLinks(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	token, hash := access.NewToken()
	l, err := db.CreateShareLink(ctx, hash, store.ShareLink{
		Kind: "dashboard", Target: "customer-impact", Params: store.Params{"channel": "web"},
		Label: "Marketing", CreatedBy: "lead@example.com", ExpiresAt: time.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if l.ID == 0 || l.Status != store.ShareActive || l.UseCount != 0 || l.LastUsedAt.Valid {
		t.Errorf("new link = %+v", l)
	}
	for i := 1; i <= 2; i++ {
		got, err := db.UseShareLink(ctx, access.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != l.ID || got.Params["channel"] != "web" || got.UseCount != int64(i) || !got.LastUsedAt.Valid || got.Status != store.ShareActive {
			t.Errorf("use %d: %+v", i, got)
		}
	}
	tampered := []byte(token)
	tampered[5] ^= 1
	if _, err := db.UseShareLink(ctx, access.HashToken(string(tampered))); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a tampered token: %v, want not found", err)
	}

	_, oldHash := access.NewToken()
	old, err := db.CreateShareLink(ctx, oldHash, store.ShareLink{Kind: "report", Target: "ops-daily", ExpiresAt: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.UseShareLink(ctx, oldHash)
	if err != nil || got.Status != store.ShareExpired || got.UseCount != 0 {
		t.Errorf("expired link = %+v, %v; want status expired and no use recorded", got, err)
	}

	if err := db.RevokeShareLink(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeShareLink(ctx, l.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if err := db.RevokeShareLink(ctx, 987654); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("revoking an unknown link: %v, want not found", err)
	}
	got, err = db.UseShareLink(ctx, hash)
	if err != nil || got.Status != store.ShareRevoked || got.UseCount != 2 {
		t.Errorf("revoked link = %+v, %v; want status revoked, uses unchanged", got, err)
	}

	links, err := db.ListShareLinks(ctx)
	if err != nil || len(links) < 2 || links[0].ID != old.ID || links[1].ID != l.ID || links[1].Status != store.ShareRevoked {
		t.Errorf("ListShareLinks = %+v, %v; want both, newest first", links, err)
	}
}
