package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/catalog"
	"github.com/opsboard/opsboard/internal/dbtest"
	"github.com/opsboard/opsboard/internal/demo"
	"github.com/opsboard/opsboard/internal/metrics"
	"github.com/opsboard/opsboard/internal/query"
	"github.com/opsboard/opsboard/internal/web"
)

// benchHandler is the server of the shipped definitions over the package's
// demo data (the same data web_test.go's demoDB loads), with a cache TTL
// long enough that a benchmark never sees an entry expire. demoDB and
// startServer take a *testing.T, so the setup is repeated here for a B.
func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	db := dbtest.Store(b)
	var err error
	loadDemo.Do(func() {
		_, err = demo.Load(context.Background(), dbtest.Admin(b), demo.Options{Scale: 0.3, Days: 200, Seed: 3, Location: time.UTC, Now: time.Now()})
	})
	if err != nil {
		b.Fatalf("loading demo data: %v", err)
	}
	cat, err := catalog.Load("../..")
	if err != nil {
		b.Fatal(err)
	}
	m := metrics.New()
	runner := query.NewRunner(dbtest.Warehouse(b), query.Options{Location: time.UTC, Timeout: 20 * time.Second, CacheTTL: time.Hour, Observe: m.ObserveQuery})
	srv, err := web.New(web.Config{DB: db, Data: dbtest.Warehouse(b), Runner: runner, Metrics: m, Catalog: cat})
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler()
}

// serveOnce runs one request through h and checks it succeeded.
func serveOnce(b *testing.B, h http.Handler, target string) int {
	rec := httptest.NewRecorder()
	// A server without accounts answers only requests addressed to loopback.
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s = %d: %.300s", target, rec.Code, rec.Body.String())
	}
	return rec.Body.Len()
}

// BenchmarkDashboardPageWarm is GET /d/daily-ops from a warm query cache,
// through the whole handler stack (router, middleware, view, charts,
// template) without the network. The baseline sub-benchmark serves a
// static file of the same byte size with net/http.FileServer through the
// same kind of recorder: the floor for "send this many bytes".
func BenchmarkDashboardPageWarm(b *testing.B) {
	h := benchHandler(b)
	size := serveOnce(b, h, "/d/daily-ops") // fills the cache
	b.Run("opsboard", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			serveOnce(b, h, "/d/daily-ops")
		}
	})
	b.Run("baseline-fileserver", func(b *testing.B) {
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "page.html"), make([]byte, size), 0o644); err != nil {
			b.Fatal(err)
		}
		fs := http.FileServer(http.Dir(dir))
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			serveOnce(b, fs, "/page.html")
		}
	})
}

// BenchmarkDashboardPageWarmParallel is the warm page from GOMAXPROCS
// goroutines at once, over loopback HTTP: what the 50-client load sees,
// without a second process.
func BenchmarkDashboardPageWarmParallel(b *testing.B) {
	h := benchHandler(b)
	serveOnce(b, h, "/d/daily-ops")
	ts := httptest.NewServer(h)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(ts.URL + "/d/daily-ops")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
