package demo

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/database"
)

func TestScratchLoad(t *testing.T) {
	url := os.Getenv("DEMO_SCRATCH_URL")
	if url == "" {
		t.Skip()
	}
	ctx := context.Background()
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scale, _ := strconv.ParseFloat(os.Getenv("DEMO_SCALE"), 64)
	days, _ := strconv.Atoi(os.Getenv("DEMO_DAYS"))
	loc, _ := time.LoadLocation("America/New_York")
	st, err := Load(ctx, db, Options{Scale: scale, Days: days, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
}
