package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/opsboard/opsboard/internal/access"
	"github.com/opsboard/opsboard/internal/dbtest"
)

// Text that people gave opsboard reaches the terminal with its control
// characters escaped, and the rest readable.
func TestCommandsEscapeControlCharacters(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Store(t)
	label := "Zürich \x1b]0;owned\x07weekly\x1b[2J \u009b31m \x7f"
	if code, _, errOut := runWith(ctx, t, nil, "--dir", "../..", "share", "create", "--dashboard", "daily-ops", "--label", label); code != 0 {
		t.Fatalf("share create: exit %d: %s", code, errOut)
	}
	code, out, _ := runWith(ctx, t, nil, "share", "list")
	if code != 0 || !strings.Contains(out, `Zürich \x1b]0;owned\aweekly\x1b[2J \u009b31m \x7f`) || strings.ContainsAny(out, "\x1b\x07\u009b\x7f") {
		t.Errorf("share list: exit %d, want the label with its control characters escaped:\n%q", code, out)
	}
	if code, _, errOut := runWith(ctx, t, nil, "--dir", "../..", "share", "create", "--dashboard", "daily-ops", "--label", "bad\xffbyte"); code != 2 || !strings.Contains(errOut, "not text") {
		t.Errorf("share create with a label that is not UTF-8: exit %d, %q; want 2 saying it is not text", code, errOut)
	}

	// Accounts are made with checked addresses, but the table may hold others.
	email := "evil\x1b]0;owned\x07@example.com"
	hash, err := access.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, email, "viewer", hash); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.RemoveUser(ctx, email) })
	escaped := `evil\x1b]0;owned\a@example.com`
	code, out, _ = runWith(ctx, t, nil, "user", "list")
	if code != 0 || !strings.Contains(out, escaped) || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("user list: exit %d, want %s:\n%q", code, escaped, out)
	}
	code, out, _ = runWith(ctx, t, nil, "user", "remove", email)
	if code != 0 || !strings.Contains(out, "removed "+escaped) || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("user remove: exit %d, want %s:\n%q", code, escaped, out)
	}
	code, _, errOut := runWith(ctx, t, nil, "user", "remove", email)
	if code != 1 || !strings.Contains(errOut, "no account for "+escaped) || strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("user remove of no account: exit %d, want 1 naming %s:\n%q", code, escaped, errOut)
	}
}
