// Command loadgen is opsboard's bounded loopback load generator. It sends a
// fixed number of GET requests to one URL from N concurrent clients (closed
// loop: each client sends its next request when the last one is answered),
// stops at the request count or the time limit, whichever comes first, and
// reports latency percentiles, throughput and errors.
//
// With -baseline it also measures, in the same run and with the same
// clients, a static file of the same byte size served by net/http's
// FileServer, and reports the ratio of each number to the baseline's.
//
// It only ever talks to loopback addresses (127.0.0.0/8, ::1, localhost):
// any other target is refused.
//
//	loadgen -c 1,10,50 -n 2000 -t 60s -baseline http://127.0.0.1:8080/d/daily-ops
//	loadgen -serve-static 26795 -addr 127.0.0.1:0   # the baseline server alone
//
// Output: a plain table on stdout; -json FILE writes every measurement as
// JSON, -md FILE writes markdown table rows (for docs/benchmarks.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Result is one measured level: a target at one concurrency.
type Result struct {
	Target      string  `json:"target"` // "opsboard" or "baseline"
	URL         string  `json:"url"`
	Clients     int     `json:"clients"`
	Requests    int     `json:"requests"` // completed, errors included
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	Bytes       int64   `json:"bytes_per_response"`
	Seconds     float64 `json:"seconds"`
	Throughput  float64 `json:"throughput_rps"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	Maxms       float64 `json:"max_ms"`
	Meanms      float64 `json:"mean_ms"`
	TimeLimited bool    `json:"time_limited"` // stopped by -t before -n
	// CPUms is the server process's user+system CPU time per request
	// (with -pid / -baseline-pid): robust to other load on the machine.
	CPUms float64 `json:"cpu_ms_per_request,omitempty"`
}

// cpuTime is the user+system CPU time of process pid so far, from
// /proc/PID/stat (clock ticks of 10 ms, the Linux default USER_HZ), or 0.
func cpuTime(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func main() {
	var (
		levels      = flag.String("c", "1,10,50", "concurrent clients, comma-separated levels")
		n           = flag.Int("n", 1000, "requests per level (fixed count)")
		limit       = flag.Duration("t", 60*time.Second, "time limit per level")
		warmup      = flag.Int("warmup", 20, "unmeasured requests before each level")
		baseline    = flag.Bool("baseline", false, "also measure a static file of the same size served by net/http.FileServer")
		baseURL     = flag.String("baseline-url", "", "measure this URL as the baseline instead of starting a file server in-process")
		jsonOut     = flag.String("json", "", "write results as JSON to this file")
		mdOut       = flag.String("md", "", "write markdown table rows to this file")
		label       = flag.String("label", "", "row label for -md (default: the URL path)")
		goalP99     = flag.Float64("goal-p99", 0, "for -md: the p99 goal in ms")
		goalClients = flag.Int("goal-clients", 50, "for -md: the level the p99 goal applies to")
		serveSize   = flag.Int64("serve-static", 0, "serve a static file of this many bytes with FileServer instead of measuring (the baseline server in its own process)")
		addr        = flag.String("addr", "127.0.0.1:0", "listen address for -serve-static (loopback only)")
		addrFile    = flag.String("addr-file", "", "with -serve-static: write the URL served to this file")
		probeOnly   = flag.Bool("probe", false, "fetch the URL once and print its size and time (bytes=N seconds=S), nothing else")
		pid         = flag.Int("pid", 0, "process id of the server under test: report its CPU time per request (Linux /proc)")
		basePid     = flag.Int("baseline-pid", 0, "process id of the -baseline-url server, for its CPU time per request")
		serveDir    = flag.String("serve-dir", "", "serve this directory with FileServer instead of measuring (static baseline pages)")
		serveLimit  = flag.Duration("serve-for", 30*time.Minute, "with -serve-static or -serve-dir: stop after this long at the latest")
	)
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: loadgen [flags] URL\n       loadgen -serve-static BYTES [-addr 127.0.0.1:0] [-addr-file F]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	if *serveSize > 0 || *serveDir != "" {
		if err := serveStatic(*serveSize, *serveDir, *addr, *addrFile, *serveLimit); err != nil {
			fatal(err)
		}
		return
	}
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	target := flag.Arg(0)
	if err := checkLoopback(target); err != nil {
		fatal(err)
	}
	if *baseURL != "" {
		if err := checkLoopback(*baseURL); err != nil {
			fatal(err)
		}
		*baseline = true
	}
	var cs []int
	for _, s := range strings.Split(*levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 || c > 1000 {
			fatal(fmt.Errorf("bad -c level %q: want 1..1000", s))
		}
		cs = append(cs, c)
	}
	if *n < 1 || *n > 1_000_000 {
		fatal(fmt.Errorf("-n %d: want 1..1000000", *n))
	}
	if *limit <= 0 || *limit > 30*time.Minute {
		fatal(fmt.Errorf("-t %s: want up to 30m", *limit))
	}

	client := newClient(slices.Max(cs))
	if *probeOnly {
		start := time.Now()
		size, err := probe(client, target)
		if err != nil {
			fatal(fmt.Errorf("%s: %w", target, err))
		}
		fmt.Printf("bytes=%d seconds=%.3f\n", size, time.Since(start).Seconds())
		return
	}
	size, err := probe(client, target)
	if err != nil {
		fatal(fmt.Errorf("%s: %w", target, err))
	}
	baseTarget := *baseURL
	if *baseline && baseTarget == "" {
		srvURL, stop, err := startStatic(size, "127.0.0.1:0")
		if err != nil {
			fatal(err)
		}
		defer stop()
		baseTarget = srvURL
	}
	if baseTarget != "" {
		bsize, err := probe(client, baseTarget)
		if err != nil {
			fatal(fmt.Errorf("baseline %s: %w", baseTarget, err))
		}
		if bsize != size {
			fmt.Fprintf(os.Stderr, "loadgen: note: baseline is %d bytes, target %d bytes\n", bsize, size)
		}
	}

	var results []Result
	fmt.Printf("%-9s %7s %8s %7s %9s %9s %9s %9s %10s %8s %s\n", "target", "clients", "requests", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", "cpu ms", "")
	for _, c := range cs {
		// Interleave target and baseline at each level so both see the
		// same machine state.
		type side struct {
			name, url string
			pid       int
		}
		pairs := []side{{"opsboard", target, *pid}}
		if baseTarget != "" {
			pairs = append(pairs, side{"baseline", baseTarget, *basePid})
		}
		for _, p := range pairs {
			run(client, p.url, min(*warmup, *n), c, *limit)
			cpu0 := cpuTime(p.pid)
			r := run(client, p.url, *n, c, *limit)
			if cpu1 := cpuTime(p.pid); p.pid > 0 && r.Requests > 0 {
				r.CPUms = ms(cpu1-cpu0) / float64(r.Requests)
			}
			r.Target, r.URL, r.Clients = p.name, p.url, c
			results = append(results, r)
			note := ""
			if r.TimeLimited {
				note = "(time limit)"
			}
			if r.FirstError != "" {
				note += " first error: " + r.FirstError
			}
			fmt.Printf("%-9s %7d %8d %7d %9.2f %9.2f %9.2f %9.2f %10.1f %8.3f %s\n", r.Target, c, r.Requests, r.Errors, r.P50ms, r.P90ms, r.P99ms, r.Maxms, r.Throughput, r.CPUms, note)
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	if *mdOut != "" {
		name := *label
		if name == "" {
			u, _ := url.Parse(target)
			name = u.Path
		}
		if err := os.WriteFile(*mdOut, []byte(markdown(name, results, *goalP99, *goalClients)), 0o644); err != nil {
			fatal(err)
		}
	}
	for _, r := range results {
		if r.Errors > 0 {
			os.Exit(1)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}

// checkLoopback refuses any URL whose host is not a loopback address.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only http:// on loopback is measured", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: refusing a target that is not a loopback address (127.0.0.0/8, ::1, localhost)", raw)
	}
	return nil
}

func newClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // measure the bytes as served, like the FileServer baseline
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("refusing to dial %s: not loopback", addr)
			}
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// probe fetches the URL once and returns its body size.
func probe(client *http.Client, u string) (int64, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return n, nil
}

// run sends n requests from c clients, stopping early at the time limit.
func run(client *http.Client, u string, n, c int, limit time.Duration) Result {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	lat := make([]time.Duration, n)
	var (
		next    atomic.Int64
		done    atomic.Int64
		errs    atomic.Int64
		bytes   atomic.Int64
		errOnce sync.Once
		first   string
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				nb, err := get(ctx, client, u)
				if ctx.Err() != nil && err != nil {
					return // cut off by the time limit: not counted
				}
				lat[i] = time.Since(t0)
				done.Add(1)
				if err != nil {
					errs.Add(1)
					errOnce.Do(func() { first = err.Error() })
				} else {
					bytes.Store(nb)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	got := lat[:0]
	for _, d := range lat {
		if d > 0 {
			got = append(got, d)
		}
	}
	slices.Sort(got)
	r := Result{Requests: int(done.Load()), Errors: int(errs.Load()), FirstError: first, Bytes: bytes.Load(),
		Seconds: elapsed.Seconds(), TimeLimited: done.Load() < int64(n)}
	if elapsed > 0 {
		r.Throughput = float64(r.Requests) / elapsed.Seconds()
	}
	if len(got) > 0 {
		var sum time.Duration
		for _, d := range got {
			sum += d
		}
		r.P50ms, r.P90ms, r.P99ms = ms(pct(got, 0.50)), ms(pct(got, 0.90)), ms(pct(got, 0.99))
		r.Maxms, r.Meanms = ms(got[len(got)-1]), ms(sum/time.Duration(len(got)))
	}
	return r
}

func get(ctx context.Context, client *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	nb, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return nb, err
	}
	if resp.StatusCode != http.StatusOK {
		return nb, fmt.Errorf("status %d", resp.StatusCode)
	}
	return nb, nil
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// listenLoopback listens on addr, which must be a loopback address.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-addr %s: listen on loopback only", addr)
	}
	return net.Listen("tcp", addr)
}

// startStatic serves a file of size bytes with http.FileServer on addr
// and returns its URL.
func startStatic(size int64, addr string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "loadgen-static-")
	if err != nil {
		return "", nil, err
	}
	// Page-like content: printable bytes, so nothing downstream treats it
	// as binary.
	body := make([]byte, size)
	const text = "<div class=\"tile\">opsboard baseline static page</div>\n"
	for i := range body {
		body[i] = text[i%len(text)]
	}
	if err := os.WriteFile(filepath.Join(dir, "page.html"), body, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	l, err := listenLoopback(addr)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	stop := func() {
		srv.Close()
		os.RemoveAll(dir)
	}
	return "http://" + l.Addr().String() + "/page.html", stop, nil
}

// serveStatic runs the baseline server on its own until SIGINT/SIGTERM or
// the time limit: a generated file of size bytes, or the directory dir.
func serveStatic(size int64, dir, addr, addrFile string, limit time.Duration) error {
	var u string
	if dir != "" {
		l, err := listenLoopback(addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l)
		defer srv.Close()
		u = "http://" + l.Addr().String() + "/"
	} else {
		var stop func()
		var err error
		if u, stop, err = startStatic(size, addr); err != nil {
			return err
		}
		defer stop()
	}
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(u+"\n"), 0o644); err != nil {
			return err
		}
	}
	fmt.Println(u)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(limit):
		return errors.New("serve-for limit reached")
	}
	return nil
}

// markdown writes one table row per level: opsboard's numbers, the
// baseline's, their ratios, and the goal (p99 < goalP99 ms at goalClients).
func markdown(name string, rs []Result, goalP99 float64, goalClients int) string {
	var b strings.Builder
	base := map[int]Result{}
	for _, r := range rs {
		if r.Target == "baseline" {
			base[r.Clients] = r
		}
	}
	cpu := func(r Result) string {
		if r.CPUms == 0 {
			return ""
		}
		return fmt.Sprintf("; %.2f ms CPU/req", r.CPUms)
	}
	for _, r := range rs {
		if r.Target != "opsboard" {
			continue
		}
		row := fmt.Sprintf("| %s, %d client%s (%d requests, %d errors) | p50 %.2f / p90 %.2f / p99 %.2f / max %.2f ms; %.0f req/s%s",
			name, r.Clients, plural(r.Clients), r.Requests, r.Errors, r.P50ms, r.P90ms, r.P99ms, r.Maxms, r.Throughput, cpu(r))
		if bl, ok := base[r.Clients]; ok {
			row += fmt.Sprintf(" | p50 %.2f / p99 %.2f ms; %.0f req/s%s | p99 ×%.1f, req/s ×%.3f", bl.P50ms, bl.P99ms, bl.Throughput, cpu(bl),
				ratio(r.P99ms, bl.P99ms), ratio(r.Throughput, bl.Throughput))
			if r.CPUms > 0 && bl.CPUms > 0 {
				row += fmt.Sprintf(", CPU/req ×%.0f", ratio(r.CPUms, bl.CPUms))
			}
		} else {
			row += " | – | –"
		}
		goal := "–"
		if goalP99 > 0 && r.Clients == goalClients {
			verdict := "**missed**"
			if r.P99ms < goalP99 && r.Errors == 0 {
				verdict = "met"
			}
			goal = fmt.Sprintf("p99 < %g ms: %s", goalP99, verdict)
		}
		b.WriteString(row + " | " + goal + " |\n")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
