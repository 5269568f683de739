package pg_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opsboard/opsboard/internal/pg"
)

// A password never shows in what opsboard prints about a connection string.
func TestRedact(t *testing.T) {
	cases := map[string]string{
		"postgres://app:S3cretpw@db.internal:5432/ops":           "postgres://app:xxxxx@db.internal:5432/ops",
		"postgres://app@db.internal/ops?password=S3cretpw&x=1":   "postgres://app@db.internal/ops?password=xxxxx&x=1",
		"host=db.internal user=app password=S3cretpw dbname=ops": "host=db.internal user=app password=xxxxx dbname=ops",
		"host=db.internal password = 'S3cret pw' dbname=ops":     "host=db.internal password = xxxxx dbname=ops",
		"postgres://app:S3cretpw ^@db.internal/ops":              "(unreadable URL)",
		"postgres://postgres@127.0.0.1:5432/ops?sslmode=disable": "postgres://postgres@127.0.0.1:5432/ops?sslmode=disable",
	}
	for in, want := range cases {
		if got := pg.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	// An unreadable URL's error does not quote it either.
	_, err := pg.Open(context.Background(), "postgres://app:S3cretpw ^@db.internal/ops", pg.Options{})
	if err == nil || strings.Contains(err.Error(), "S3cret") {
		t.Errorf("Open of an unreadable URL: %v; want an error without the password", err)
	}
}
