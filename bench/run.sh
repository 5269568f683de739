#!/usr/bin/env bash
# bench/run.sh — `make bench`: measures opsboard against its baselines, in
# one run, and rewrites docs/benchmarks.md (BENCH_OUT overrides the path).
#
# Works on a fresh clone. PostgreSQL: the admin URL in
# OPSBOARD_BENCH_DATABASE_URL, else the local server on 127.0.0.1:5432 when
# it answers (trust auth, user postgres), else opsboard's embedded cluster in
# a temporary directory. It creates its own databases (opsboard_bench_s1,
# opsboard_bench_s10, and for scale 30 opsboard_bench_s30 and opsboard_bench_s10y1) and drops them at the end (BENCH_KEEP=1 keeps them).
# All traffic stays on 127.0.0.1; every load is bounded in count and time.
#
# Knobs: BENCH_WARM_REQUESTS (per level, default 10000), BENCH_QUERY_RUNS
# (default 10 at scale 1, half at scale 10), BENCH_COLD_RUNS (default 5),
# BENCH_REPORT_RUNS (default 3), BENCH_REFRESH_RUNS (one-new-day mornings
# timed, default 3), BENCH_SCALE30 (default 1; 0 leaves out
# the scale-30 section: ~11 M rows, ~2.5 GB in PostgreSQL, about 10 more
# minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_OUT:-docs/benchmarks.md}
WARM_N=${BENCH_WARM_REQUESTS:-10000}
QUERY_N=${BENCH_QUERY_RUNS:-10}
COLD_K=${BENCH_COLD_RUNS:-5}
REPORT_K=${BENCH_REPORT_RUNS:-3}
REFRESH_K=${BENCH_REFRESH_RUNS:-3}
SCALE30=${BENCH_SCALE30:-1}
STARTED=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/opsboard-bench.XXXXXX")
PIDS=()
DBS=()

log() { printf '\n== [%3ds] %s\n' "$(( $(date +%s) - STARTED ))" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${BENCH_KEEP:-0}" != 1 ] && [ -n "${ADMIN_URL:-}" ]; then
    for db in "${DBS[@]}"; do
      "$WORK/querybench" -admin "$ADMIN_URL" -dropdb "$db" 2>/dev/null || true
    done
  fi
  if [ -n "${CLUSTER_PID:-}" ]; then
    kill "$CLUSTER_PID" 2>/dev/null || true
    wait "$CLUSTER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for CMD...: retry up to 30 s.
wait_for() {
  local i
  for i in $(seq 1 150); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print 0} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
fmt_s() { awk -v s="$1" 'BEGIN { if (s < 10) printf "%.2f s", s; else printf "%.1f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "×%.2f", a / b; else print "–" }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
verdict() { if lt "$1" "$2"; then echo met; else echo '**missed**'; fi; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }

# timed OUTFILE CMD...: runs CMD, writes "seconds maxrss_kb" to OUTFILE.stat
# and its stdout to OUTFILE. GNU time's maxrss is the largest of the process
# and its children (Chromium's renderer, for a report): with OWN_RSS=1 the
# process's own VmHWM is polled instead.
timed() {
  local out=$1; shift
  if [ -x /usr/bin/time ] && [ "${OWN_RSS:-0}" != 1 ]; then
    /usr/bin/time -f '%e %M' -o "$out.stat" "$@" >"$out"
  else
    # No GNU time: wall clock, and VmHWM polled while it runs.
    local t0 t1 pid hwm=0 h
    t0=$(date +%s.%N)
    "$@" >"$out" & pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      # bash builtins only: the poll must not cost the measured process CPU
      while read -r k v _; do [ "$k" = VmHWM: ] && [ "$v" -gt "$hwm" ] && hwm=$v; done <"/proc/$pid/status" 2>/dev/null || true
      sleep 0.02
    done
    wait "$pid"
    t1=$(date +%s.%N)
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}') $hwm" >"$out.stat"
  fi
}

# ---------------------------------------------------------------- build
log "building opsboard and the bench tools"
go build -o "$WORK/opsboard" ./cmd/opsboard
go build -o "$WORK/loadgen" ./tools/loadgen
go build -o "$WORK/querybench" ./tools/querybench
OPSB="$WORK/opsboard"
QB="$WORK/querybench"
LG="$WORK/loadgen"
# The scheduler would produce reports (with Chromium) in the background of
# the load runs: turn it off where serve has the flag.
SERVE_FLAGS=()
if "$OPSB" serve -h 2>&1 | grep -- '-scheduler' >/dev/null; then SERVE_FLAGS+=(--scheduler=false); fi

# ---------------------------------------------------------------- PostgreSQL
DB_SOURCE=""
if [ -n "${OPSBOARD_BENCH_DATABASE_URL:-}" ]; then
  ADMIN_URL=$OPSBOARD_BENCH_DATABASE_URL
  DB_SOURCE="the server in OPSBOARD_BENCH_DATABASE_URL"
else
  local_url='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  if timeout 15 "$QB" -db "$local_url" -server-version >/dev/null 2>&1; then
    ADMIN_URL=$local_url
    DB_SOURCE="the local server on 127.0.0.1:5432"
  else
    log "no PostgreSQL on 127.0.0.1:5432: starting opsboard's embedded cluster"
    "$QB" -cluster "$WORK/pg" -url-file "$WORK/admin.url" -hold 30m >"$WORK/cluster.log" 2>&1 &
    CLUSTER_PID=$!
    wait_for test -s "$WORK/admin.url" || { cat "$WORK/cluster.log" >&2; exit 1; }
    ADMIN_URL=$(cat "$WORK/admin.url")
    DB_SOURCE="opsboard's embedded cluster (temporary directory)"
  fi
fi
BENCH_DBS=(opsboard_bench_s1 opsboard_bench_s10)
if [ "$SCALE30" != 0 ]; then BENCH_DBS+=(opsboard_bench_s30 opsboard_bench_s10y1); fi
for db in "${BENCH_DBS[@]}"; do
  "$QB" -admin "$ADMIN_URL" -dropdb "$db" >/dev/null
  DBS+=("$db")
done
URL1=$("$QB" -admin "$ADMIN_URL" -createdb opsboard_bench_s1)
URL10=$("$QB" -admin "$ADMIN_URL" -createdb opsboard_bench_s10)
PG_VERSION=$("$QB" -db "$URL1" -server-version | awk '{print $1, $2}')

# ---------------------------------------------------------------- machine
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
CHROME=$(command -v "${OPSBOARD_CHROME:-chromium}" || command -v chromium-browser || command -v google-chrome || true)
CHROME_VERSION=$([ -n "$CHROME" ] && "$CHROME" --version 2>/dev/null | head -1 || echo "not installed")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then COMMIT="$COMMIT (with uncommitted changes)"; fi
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

MARKER='<!-- analysis: kept by bench/run.sh -->'
ROWS=()   # main table rows
add() { ROWS+=("$1"); }

# ---------------------------------------------------------------- demo-data
# load SCALE URL: loads the demo data, adds the rows/s and memory rows.
load() {
  local scale=$1 url=$2
  log "demo-data --scale $scale"
  DATABASE_URL=$url timed "$WORK/load$scale.out" "$OPSB" demo-data --scale "$scale"
  cat "$WORK/load$scale.out" >&2
  local rows took wall rss rate base brows bsecs brate
  rows=$(awk '/^loaded/ {print $2}' "$WORK/load$scale.out")
  took=$(awk '/^loaded/ {t=$NF; if (t ~ /ms$/) {sub(/ms$/,"",t); t/=1000} else if (t ~ /m/) {split(t,a,"m"); sub(/s$/,"",a[2]); t=a[1]*60+a[2]} else {sub(/s$/,"",t)}; print t}' "$WORK/load$scale.out")
  read -r wall rss <"$WORK/load$scale.out.stat"
  rate=$(awk -v r="$rows" -v t="$took" 'BEGIN{printf "%.0f", r/t}')
  "$QB" -db "$url" -copy-baseline -md "$WORK/copy$scale.txt" >&2
  brows=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' "$WORK/copy$scale.txt")
  bsecs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/copy$scale.txt")
  brate=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$WORK/copy$scale.txt")
  add "| demo-data load, scale $scale ($rows rows) | $(printf "%'d" "$rate") rows/s ($(fmt_s "$took") for generation, COPY FREEZE, keys, indexes, ANALYZE; $(fmt_s "$wall") for the whole command) | PostgreSQL re-writing the same $brows rows server-side (INSERT … SELECT into unindexed copies): $(printf "%'d" "$brate") rows/s ($(fmt_s "$bsecs")) | rows/s $(ratio "$rate" "$brate") | – |"
  local data_kb
  data_kb=$(psql "$url" -Atqc "SELECT sum(pg_total_relation_size(c.oid)) / 1024 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'" 2>/dev/null || echo 0)
  MEM_ROWS+=("| peak RSS of \`demo-data --scale $scale\` | $(mb "$rss") | the data it wrote (tables and indexes in PostgreSQL): $(mb "${data_kb:-0}") | $(ratio "$rss" "${data_kb:-0}") | – (it streams into COPY: the ratio should fall as the scale grows) |")
}
MEM_ROWS=()
load 1 "$URL1"

# ---------------------------------------------------------------- query overhead, scale 1
log "query overhead, scale 1 ($QUERY_N runs each)"
"$QB" -db "$URL1" -queries -n "$QUERY_N" -md "$WORK/queries1.md" >&2

# ---------------------------------------------------------------- dashboard warm, scale 1
log "dashboard warm: serve (scale 1) and the FileServer baseline under 1, 10, 50 clients"
PORT_FILE="$WORK/serve1.log"
DATABASE_URL=$URL1 OPSBOARD_CACHE_TTL=1h "$OPSB" serve "${SERVE_FLAGS[@]}" --addr 127.0.0.1:0 >"$WORK/serve1.out" 2>"$WORK/serve1.log" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
serve_url() { grep -ho 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve1.out" "$WORK/serve1.log" 2>/dev/null | head -1; }
has_serve_url() { [ -n "$(serve_url)" ]; }
wait_for has_serve_url || { cat "$WORK/serve1.log" >&2; exit 1; }
BASE=$(serve_url)
COLD1=$("$LG" -probe "$BASE/d/daily-ops")          # first page: empty cache
SIZE=$(echo "$COLD1" | sed 's/bytes=\([0-9]*\).*/\1/')
"$LG" -serve-static "$SIZE" -addr 127.0.0.1:0 -addr-file "$WORK/static.url" -serve-for 20m >/dev/null 2>&1 &
STATIC_PID=$!
PIDS+=("$STATIC_PID")
wait_for test -s "$WORK/static.url"
"$LG" -c 1,10,50 -n "$WARM_N" -t 90s -warmup 50 -pid "$SERVE_PID" \
  -baseline-url "$(cat "$WORK/static.url")" -baseline-pid "$STATIC_PID" \
  -label "\`/d/daily-ops\` warm (scale 1, $SIZE bytes)" -goal-p99 25 -goal-clients 50 \
  -json "$WORK/warm.json" -md "$WORK/warm.md" "$BASE/d/daily-ops" >&2
SERVE_HWM=$(hwm_kb "$SERVE_PID")
STATIC_HWM=$(hwm_kb "$STATIC_PID")
MEM_ROWS+=("| peak RSS of \`serve\` after the 1/10/50-client loads (scale 1, VmHWM) | $(mb "$SERVE_HWM") | the FileServer baseline process under the same load: $(mb "$STATIC_HWM") | $(ratio "$SERVE_HWM" "$STATIC_HWM") | – |")
kill "$SERVE_PID" "$STATIC_PID" 2>/dev/null || true
wait "$SERVE_PID" "$STATIC_PID" 2>/dev/null || true

# ---------------------------------------------------------------- report, scale 1
if [ -n "$CHROME" ]; then
  log "report: cold command ($REPORT_K runs) and the Chromium print baseline"
  # Each run prints: a run after the first would read the first's kept PDF.
  FRESH=()
  if "$OPSB" report --help 2>&1 | grep -- '-fresh' >/dev/null; then FRESH=(--fresh); fi
  for i in $(seq 1 "$REPORT_K"); do
    DATABASE_URL=$URL1 OWN_RSS=1 timed "$WORK/report$i.out" "$OPSB" report ops-daily --format pdf "${FRESH[@]}" --out "$WORK/report$i.pdf"
    cut -d' ' -f1 "$WORK/report$i.out.stat" >>"$WORK/report_wall.txt"
    cut -d' ' -f2 "$WORK/report$i.out.stat" >>"$WORK/report_rss.txt"
  done
  REPORT_COLD=$(median <"$WORK/report_wall.txt")
  # Baseline: the same report page as a static HTML file (its assets beside
  # it), printed by Chromium's own command line.
  DATABASE_URL=$URL1 "$OPSB" report ops-daily --format html --out "$WORK/report.html" >/dev/null
  ver=$(grep -o '/assets/[0-9a-f]\{12\}' "$WORK/report.html" | head -1)
  mkdir -p "$WORK/static$ver"
  cp -r internal/page/assets/. "$WORK/static$ver/"
  cp internal/page/assets/echarts/echarts.min.js "$WORK/static$ver/"
  cp "$WORK/report.html" "$WORK/static/report.html"
  "$LG" -serve-dir "$WORK/static" -addr 127.0.0.1:0 -addr-file "$WORK/static-dir.url" -serve-for 10m >/dev/null 2>&1 &
  DIR_PID=$!
  PIDS+=("$DIR_PID")
  wait_for test -s "$WORK/static-dir.url"
  for i in $(seq 1 "$REPORT_K"); do
    t0=$(date +%s.%N)
    timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
      --disable-component-update --disable-sync --user-data-dir="$WORK/chrome$i" --no-pdf-header-footer \
      --print-to-pdf="$WORK/baseline$i.pdf" "$(cat "$WORK/static-dir.url")report.html" >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>"$WORK/baseline_wall.txt"
  done
  kill "$DIR_PID" 2>/dev/null || true
  BASE_COLD=$(median <"$WORK/baseline_wall.txt")
  add "| report \`ops-daily --format pdf ${FRESH[*]}\`, cold: the whole command, printing (scale 1, median of $REPORT_K: $(xargs printf '%.2f ' <"$WORK/report_wall.txt")s) | $(fmt_s "$REPORT_COLD") | \`chromium --headless --print-to-pdf\` of the same report page as a static file: $(fmt_s "$BASE_COLD") (runs: $(tr '\n' ' ' <"$WORK/baseline_wall.txt" | xargs printf '%.2f ')s) | $(ratio "$REPORT_COLD" "$BASE_COLD") | < 3 s: $(verdict "$REPORT_COLD" 3) |"
  DATABASE_URL=$URL1 OWN_RSS=1 timed "$WORK/report_html.out" "$OPSB" report ops-daily --format html --out "$WORK/report_rss.html"
  HTML_RSS=$(cut -d' ' -f2 "$WORK/report_html.out.stat")
  PDF_RSS=$(median <"$WORK/report_rss.txt")
  MEM_ROWS+=("| peak RSS of \`report ops-daily --format pdf\` (opsboard process only, Chromium excluded) | $(mb "$PDF_RSS") | the same command writing HTML (no Chromium to drive): $(mb "$HTML_RSS") | $(ratio "$PDF_RSS" "$HTML_RSS") | – |")

  log "report: warm browser (go test -bench BenchmarkReportPDF)"
  OPSBOARD_TEST_DATABASE_URL=$ADMIN_URL go test -run '^$' -bench BenchmarkReportPDF -benchtime 5x -timeout 10m ./internal/report >"$WORK/report_bench.txt" 2>&1 || { cat "$WORK/report_bench.txt" >&2; exit 1; }
  cat "$WORK/report_bench.txt" >&2
  RP=$(awk '/BenchmarkReportPDF\/render\+pdf/ {print $3/1e9}' "$WORK/report_bench.txt")
  PO=$(awk '/BenchmarkReportPDF\/pdf/ {print $3/1e9}' "$WORK/report_bench.txt")
  add "| report, warm browser: \`BenchmarkReportPDF/render+pdf\` (queries + page + PDF, 5 reports in one process) | $(fmt_s "$RP") per report (print alone: $(fmt_s "$PO")) | Chromium's cold command-line print above: $(fmt_s "$BASE_COLD") | $(ratio "$RP" "$BASE_COLD") | < 1 s: $(verdict "$RP" 1) |"
else
  add "| report | not measured: no Chromium (apt-get install chromium) | – | – | – |"
fi

# ---------------------------------------------------------------- scale 10
load 10 "$URL10"

log "dashboard cold, scale 10"
DATABASE_URL=$URL10 "$OPSB" serve "${SERVE_FLAGS[@]}" --addr 127.0.0.1:0 >"$WORK/serve1.out" 2>"$WORK/serve1.log" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
wait_for has_serve_url || { cat "$WORK/serve1.log" >&2; exit 1; }
BASE=$(serve_url)
FIRST=$("$LG" -probe "$BASE/d/daily-ops" | sed 's/.*seconds=//')
"$QB" -db "$URL10" -cold -dashboard daily-ops -url "$BASE/d/daily-ops" -k "$COLD_K" -label "scale 10" -md "$WORK/cold.md" | tee "$WORK/cold.txt" >&2
SQL_MS=$(awk '/sum of PostgreSQL plan\+exec time/ {print $(NF-1)}' "$WORK/cold.txt")
SQL_S=$(awk -v m="${SQL_MS:-0}" 'BEGIN{print m/1000}')
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
add "| dashboard cold (scale 10): first \`/d/daily-ops\` after \`serve\` starts | $(fmt_s "$FIRST") | Σ PostgreSQL plan+exec of its queries (measured after it, warm buffers): $(fmt_s "$SQL_S") | $(ratio "$FIRST" "$SQL_S") | < 1.5 s: $(verdict "$FIRST" 1.5) |"

log "query overhead, scale 10 ($(( (QUERY_N + 1) / 2 )) runs each)"
"$QB" -db "$URL10" -queries -n $(( (QUERY_N + 1) / 2 )) -md "$WORK/queries10.md" >&2

# ---------------------------------------------------------------- scale 30
# Issue 14's goals at scale 30 (~11 M rows, two years): the load, each
# dashboard's first request after a restart, a filtered 90-day view, the
# report, and the morning precompute for one new day against scale 10's.
S30_ROWS=()
S30_NOTES=()
has_refresh() { "$OPSB" help 2>&1 | grep '^  refresh ' >/dev/null; }
# day_after YYYY-MM-DD
day_after() { date -u -d "$1 + 1 day" +%F; }
# refresh_pair SCALE URL: the morning precompute on data that ends on day D
# (demo-data ends yesterday): first for the morning of D, which sees the
# days before D and keeps the settled ones (all history: cold), then, timed
# apart, for the morning of D+1, whose one new day is D, REFRESH_K times
# (refresh forgets the views it computed before and keeps the settled days,
# so each run does the morning's work again). Writes "cold_seconds
# new_day_median_seconds" to $WORK/refresh$SCALE.txt.
refresh_pair() {
  local scale=$1 url=$2 last step date
  last=$(awk '/^loaded/ {gsub(/[(,]/, ""); print $(NF-3)}' "$WORK/load$scale.out")
  log "refresh, scale $scale: the morning of $last (cold), then of $(day_after "$last") (one new day, $REFRESH_K runs)"
  : >"$WORK/refresh$scale.days"
  for step in cold $(seq 1 "$REFRESH_K"); do
    date=$last
    if [ "$step" != cold ]; then date=$(day_after "$last"); fi
    if ! DATABASE_URL=$url timed "$WORK/refresh$scale.$step" "$OPSB" refresh --date "$date"; then
      S30_NOTES+=("\`refresh --date $date\` at scale $scale failed: $(grep -h 'failed' "$WORK/refresh$scale.$step" | head -3 | tr '\n' ' ')")
    fi
    cat "$WORK/refresh$scale.$step" >&2
    # GNU time puts "Command exited with non-zero status" before its line.
    if [ "$step" != cold ]; then tail -1 "$WORK/refresh$scale.$step.stat" | cut -d' ' -f1 >>"$WORK/refresh$scale.days"; fi
  done
  echo "$(tail -1 "$WORK/refresh$scale.cold.stat" | cut -d' ' -f1) $(median <"$WORK/refresh$scale.days")" >"$WORK/refresh$scale.txt"
}
# serve_first URL PATH: starts serve on the scale-30 data, fetches PATH
# once and stops it; prints the seconds of that first request.
serve_first() {
  local url=$1 path=$2 pid secs
  DATABASE_URL=$url "$OPSB" serve "${SERVE_FLAGS[@]}" --addr 127.0.0.1:0 >"$WORK/serve1.out" 2>"$WORK/serve1.log" &
  pid=$!
  if ! wait_for has_serve_url; then
    kill "$pid" 2>/dev/null || true
    cat "$WORK/serve1.log" >&2
    return 1
  fi
  secs=$("$LG" -probe "$(serve_url)$path" 2>>"$WORK/serve30.log" | sed 's/.*seconds=//') || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  cat "$WORK/serve1.log" >>"$WORK/serve30.log"
  echo "${secs:-failed}"
}
floor_s() { # URL DASHBOARD [PARAMS]: the SQL floor of one view, in seconds (0 when it failed)
  local out
  out=$("$QB" -db "$1" -floor -dashboard "$2" -params "${3:-}" 2>>"$WORK/serve30.log") || true
  echo "$out" | awk -F'[= ]' '/^floor_ms=/ {f = $2/1000} END {print f + 0}'
}
# fmt_first SECONDS: a first request's time, or that it failed.
fmt_first() { if [ "$1" = failed ]; then echo '**failed** (see the bench log)'; else fmt_s "$1"; fi; }
# first_cols SECONDS FLOOR GOAL: the ratio and goal columns of a first request.
first_cols() {
  if [ "$1" = failed ]; then echo "– | ≤ $3 s: **missed**"; else echo "$(ratio "$1" "$2") | ≤ $3 s: $(verdict "$1" "$3.0001")"; fi
}

if [ "$SCALE30" = 0 ]; then
  S30_NOTES+=("Not measured in this run: BENCH_SCALE30=0.")
else
  URL30=$("$QB" -admin "$ADMIN_URL" -createdb opsboard_bench_s30)
  load 30 "$URL30"
  read -r wall30 rss30 <"$WORK/load30.out.stat"
  read -r _ rss10 <"$WORK/load10.out.stat"
  bsecs30=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/copy30.txt")
  S30_ROWS+=("| (1) \`demo-data --scale 30\`: load time ($(awk '/^loaded/ {print $2}' "$WORK/load30.out") rows; generation, COPY FREEZE, keys, indexes, ANALYZE) | $(fmt_s "$wall30") | PostgreSQL re-writing the same rows server-side (INSERT … SELECT into unindexed copies): $(fmt_s "$bsecs30") | $(ratio "$wall30" "$bsecs30") | < 90 s: $(verdict "$wall30" 90) |")
  S30_ROWS+=("| (1) \`demo-data --scale 30\`: peak RSS | $(mb "$rss30") | \`demo-data --scale 10\` in this run: $(mb "$rss10") | $(ratio "$rss30" "$rss10") | ≤ ×1.2 of scale 10: $(verdict "$(awk -v a="$rss30" -v b="$rss10" 'BEGIN{print a/b}')" 1.2001) |")

  if has_refresh; then
    refresh_pair 10 "$URL10"
    refresh_pair 30 "$URL30"
    read -r cold10 day10 <"$WORK/refresh10.txt"
    read -r cold30 day30 <"$WORK/refresh30.txt"
    # The same day's volume with half the history: scale 10 over one year.
    URL10Y1=$("$QB" -admin "$ADMIN_URL" -createdb opsboard_bench_s10y1)
    log "demo-data --scale 10 --days 365"
    DATABASE_URL=$URL10Y1 "$OPSB" demo-data --scale 10 --days 365 >"$WORK/load10y1.out" 2>&1 || cat "$WORK/load10y1.out" >&2
    refresh_pair 10y1 "$URL10Y1"
    read -r cold10y1 day10y1 <"$WORK/refresh10y1.txt"
    # The second refresh computed the morning of today (the data ends
    # yesterday): the pages below find it, as after serve's own.
    REFRESHED=1
  else
    REFRESHED=0
    S30_NOTES+=("not measured: opsboard refresh missing (the pages below are served without a precomputed morning).")
  fi

  log "scale 30: each dashboard's first request after serve starts"
  : >"$WORK/serve30.log"
  for f in dashboards/*.yaml; do
    name=$(basename "$f" .yaml)
    first=$(serve_first "$URL30" "/d/$name")
    floor=$(floor_s "$URL30" "$name")
    S30_ROWS+=("| (2) \`/d/$name\` default view, first request after \`serve\` starts | $(fmt_first "$first") | Σ PostgreSQL plan+exec of the view's queries computed from scratch: $(fmt_s "$floor") | $(first_cols "$first" "$floor" 1) |")
  done
  path='/d/customer-impact?range=last_90_days&channel=web'
  first=$(serve_first "$URL30" "$path")
  floor=$(floor_s "$URL30" customer-impact 'range=last_90_days&channel=web')
  S30_ROWS+=("| (3) \`$path\`, first request after \`serve\` starts | $(fmt_first "$first") | Σ PostgreSQL plan+exec of the view's queries computed from scratch: $(fmt_s "$floor") | $(first_cols "$first" "$floor" 2) |")

  if [ -n "$CHROME" ]; then
    log "scale 30: report ops-daily --format pdf ($REPORT_K runs)"
    : >"$WORK/report30_wall.txt"
    for i in $(seq 1 "$REPORT_K"); do
      DATABASE_URL=$URL30 OWN_RSS=1 timed "$WORK/report30_$i.out" "$OPSB" report ops-daily --format pdf --out "$WORK/report30_$i.pdf" || log "report at scale 30 failed"
      cut -d' ' -f1 "$WORK/report30_$i.out.stat" >>"$WORK/report30_wall.txt"
    done
    REPORT30=$(median <"$WORK/report30_wall.txt")
    # The same command printing anew (--fresh: Chromium started, the
    # morning's PDF not read), when this version has the flag.
    : >"$WORK/report30f_wall.txt"
    if "$OPSB" report --help 2>&1 | grep -- '-fresh' >/dev/null; then
      for i in $(seq 1 "$REPORT_K"); do
        DATABASE_URL=$URL30 OWN_RSS=1 timed "$WORK/report30f_$i.out" "$OPSB" report ops-daily --format pdf --fresh --out "$WORK/report30f_$i.pdf" || log "report --fresh at scale 30 failed"
        cut -d' ' -f1 "$WORK/report30f_$i.out.stat" >>"$WORK/report30f_wall.txt"
      done
    fi
    floor=$(floor_s "$URL30" daily-ops 'range=yesterday')
    base4=$(awk -v a="$floor" -v b="${BASE_COLD:-0}" 'BEGIN{print a+b}')
    S30_ROWS+=("| (4) \`report ops-daily --format pdf\`, the whole command, after the morning (its PDF kept; median of $REPORT_K: $(xargs printf '%.2f ' <"$WORK/report30_wall.txt")s) | $(fmt_s "$REPORT30") | Σ PostgreSQL plan+exec of daily-ops as of yesterday from scratch: $(fmt_s "$floor"), plus Chromium's cold print of the page at scale 1: $(fmt_s "${BASE_COLD:-0}") | $(ratio "$REPORT30" "$base4") | ≤ 2 s: $(verdict "$REPORT30" 2.0001) |")
    if [ -s "$WORK/report30f_wall.txt" ]; then
      REPORT30F=$(median <"$WORK/report30f_wall.txt")
      S30_ROWS+=("| (4) the same with \`--fresh\`: printed anew, Chromium started by the command (median of $REPORT_K: $(xargs printf '%.2f ' <"$WORK/report30f_wall.txt")s) | $(fmt_s "$REPORT30F") | the same baseline | $(ratio "$REPORT30F" "$base4") | – |")
    fi
  else
    S30_ROWS+=("| (4) report at scale 30 | not measured: no Chromium | – | – | – |")
  fi

  if [ "$REFRESHED" = 1 ]; then
    # Scale multiplies the rows of every day, not the days: the one new
    # day's rows at scale 30 are the loads' row ratio times scale 10's.
    rows10=$(awk '/^loaded/ {print $2}' "$WORK/load10.out")
    rows30=$(awk '/^loaded/ {print $2}' "$WORK/load30.out")
    per_row=$(awk -v a="$day30" -v b="$day10" -v r30="$rows30" -v r10="$rows10" 'BEGIN{print (a / b) / (r30 / r10)}')
    S30_ROWS+=("| (5) \`opsboard refresh\` for one new day, scale 30 (median of $REFRESH_K: $(xargs printf '%.1f ' <"$WORK/refresh30.days")s) | $(fmt_s "$day30") | the same at scale 10 (median of $REFRESH_K: $(xargs printf '%.1f ' <"$WORK/refresh10.days")s): $(fmt_s "$day10"); scale 30's day has $(ratio "$rows30" "$rows10") its rows | $(ratio "$day30" "$day10"); per row of the new day $(awk -v x="$per_row" 'BEGIN{printf "×%.2f", x}') | ≤ ×1.3 of scale 10 (issue 14 as written): $(verdict "$(awk -v a="$day30" -v b="$day10" 'BEGIN{print a/b}')" 1.3001); per row of the new day ≤ ×1.3: $(verdict "$per_row" 1.3001) |")
    S30_ROWS+=("| (5) \`opsboard refresh\`, cold (no day kept yet), scale 30 | $(fmt_s "$cold30") | the same at scale 10: $(fmt_s "$cold10") | $(ratio "$cold30" "$cold10") | – |")
    S30_ROWS+=("| (5) \`opsboard refresh\` for one new day, scale 10 over two years (the default; median of $REFRESH_K) | $(fmt_s "$day10") | the same over one year (\`demo-data --scale 10 --days 365\`: the same rows a day, half the history; median of $REFRESH_K: $(xargs printf '%.1f ' <"$WORK/refresh10y1.days")s): $(fmt_s "$day10y1") | $(ratio "$day10" "$day10y1") | ≤ ×1.3 with twice the history (the cost follows the new day, not the history): $(verdict "$(awk -v a="$day10" -v b="$day10y1" 'BEGIN{print a/b}')" 1.3001) |")
  else
    S30_ROWS+=("| (5) \`opsboard refresh\` for one new day | not measured: opsboard refresh missing | – | – | – |")
  fi
fi

# ---------------------------------------------------------------- Go benchmarks
log "Go benchmarks (hot paths)"
OPSBOARD_TEST_DATABASE_URL=$ADMIN_URL go test -run '^$' -bench . -benchmem -benchtime 1s -timeout 10m \
  ./internal/catalog ./internal/warehouse ./internal/chart ./internal/page ./internal/web >"$WORK/gobench.txt" 2>&1 || { cat "$WORK/gobench.txt" >&2; exit 1; }
grep -E '^(Benchmark|ok|FAIL)' "$WORK/gobench.txt" >&2
# ns/op of one benchmark line, by name.
nsop() { awk -v n="$1" '$1 ~ "^"n"(-[0-9]+)?$" {print $3; exit}' "$WORK/gobench.txt"; }
fmt_ns() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%.2f ms", n/1e6; else if (n >= 1e3) printf "%.1f µs", n/1e3; else printf "%.0f ns", n }'; }
gorow() { # label, opsboard bench, baseline bench, baseline label
  local a b
  a=$(nsop "$2"); b=$(nsop "$3")
  [ -n "$a" ] || return 0
  GO_ROWS+=("| $1 | $(fmt_ns "$a") | $4: $(fmt_ns "${b:-0}") | $(ratio "$a" "${b:-0}") |")
}
GO_ROWS=()
gorow "binder: every shipped statement (\`BenchmarkBind\`)" BenchmarkBind/opsboard BenchmarkBind/baseline-regexp "naive regexp :name → \$n"
gorow "frame: \`db.Query\`, 1 row × 6 columns (\`BenchmarkQueryFrame\`)" "BenchmarkQueryFrame/rows=1/opsboard" "BenchmarkQueryFrame/rows=1/baseline-database-sql" "plain database/sql, same statement"
gorow "frame: \`db.Query\`, 100 rows" "BenchmarkQueryFrame/rows=100/opsboard" "BenchmarkQueryFrame/rows=100/baseline-database-sql" "plain database/sql"
gorow "frame: \`db.Query\`, 10,000 rows" "BenchmarkQueryFrame/rows=10000/opsboard" "BenchmarkQueryFrame/rows=10000/baseline-database-sql" "plain database/sql"
gorow "charts: the 6 daily-ops charts, 28 days (\`BenchmarkRenderDailyOpsCharts\`)" BenchmarkRenderDailyOpsCharts/opsboard BenchmarkRenderDailyOpsCharts/baseline-json "the same numbers as bare ECharts JSON"
gorow "page: daily-ops page model + templates from a computed view (\`BenchmarkDashboardPage\`)" BenchmarkDashboardPage/opsboard BenchmarkDashboardPage/templates-only "templates alone"
gorow "page: templates alone" BenchmarkDashboardPage/templates-only BenchmarkDashboardPage/baseline-template-copy "html/template writing a same-size body"
gorow "web: GET /d/daily-ops warm, whole handler, no network (\`BenchmarkDashboardPageWarm\`)" BenchmarkDashboardPageWarm/opsboard BenchmarkDashboardPageWarm/baseline-fileserver "net/http.FileServer, same size"

# ---------------------------------------------------------------- write the document
log "writing $OUT"
ELAPSED=$(( $(date +%s) - STARTED ))
{
  echo "# opsboard benchmarks"
  echo
  echo "Every number below comes from one run of \`make bench\` (\`bench/run.sh\`), measured beside its baseline"
  echo "in the same run, so ratios hold on a noisy machine even when absolute times move. Rerun it to refresh this file."
  echo "Goals are from DESIGN.md and issues 3 (dashboards), 4 (reports) and 14 (scale 30)."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| command | \`make bench\` (= \`bash bench/run.sh\`), from the repository root |"
  echo "| commit | $COMMIT |"
  echo "| machine | $(nproc) cores ($CPU_MODEL), $MEM memory; load average at start $LOADAVG |"
  echo "| Go | $(go version | awk '{print $3, $4}') |"
  echo "| PostgreSQL | $PG_VERSION, $DB_SOURCE |"
  echo "| Chromium | $CHROME_VERSION |"
  echo "| run time | $((ELAPSED / 60)) min $((ELAPSED % 60)) s |"
  echo
  echo "## Results"
  echo
  echo "| measure | opsboard | baseline (same run) | ratio | goal |"
  echo "|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "$r"; done
  cat "$WORK/warm.md"
  cat "$WORK/cold.md"
  for r in "${MEM_ROWS[@]}"; do echo "$r"; done
  echo
  echo "How to read the dashboard rows: the load generator (\`tools/loadgen\`) runs closed-loop clients with no think"
  echo "time, a fixed request count per level ($WARM_N) and a 90 s limit; it and the server share the same $(nproc) cores."
  echo "With N clients and no think time, latency ≈ N ÷ throughput, so p99 < 25 ms at 50 clients needs about"
  echo "2,000 pages/s, i.e. under ~1 ms of CPU per page. \"CPU/req\" is the server process's own user+system time"
  echo "per request (from /proc), the number that does not depend on what else the machine is doing."
  echo "\`serve\` runs with \`OPSBOARD_CACHE_TTL=1h\` so that no cache entry expires during the warm runs."
  echo
  echo "The cold dashboard rows come from \`tools/querybench -cold\`: it lists the query runs the dashboard builder makes"
  echo "for the default view (tiles: range, comparison, and the sparkline: its 14 slices in one query; panels), checks that count against"
  echo "the builder's own, and sums PostgreSQL's planning + execution time for them (\`EXPLAIN (ANALYZE, TIMING OFF)\`,"
  echo "same parameters, same read-only transaction settings). The builder runs 4 queries at a time, which is why the"
  echo "page can take less than the serial SQL sum; the one-at-a-time build isolates opsboard's own cost per query"
  echo "(transaction, \`set_config\`, round trips, frame)."
  echo
  echo "## Scale 30 (issue 14)"
  echo
  echo "\`demo-data --scale 30\`: ~11 M rows over two years (5.7 M orders), a mid-size retailer. Each measure beside the"
  echo "SQL floor of the same work in the same run: the sum of PostgreSQL's planning + execution time of the queries that"
  echo "compute the view from scratch (\`tools/querybench -floor\`: the runs the dashboard builder makes without kept days"
  echo "or results, each under \`EXPLAIN (ANALYZE, TIMING OFF)\`, measured after the page, warm buffers)."
  echo
  echo "| measure | opsboard | baseline (same run) | ratio | goal |"
  echo "|---|---|---|---|---|"
  for r in "${S30_ROWS[@]}"; do echo "$r"; done
  for r in "${S30_NOTES[@]}"; do echo; echo "$r"; done
  echo
  echo "How these are measured. (1) is the \`demo-data\` command as a user runs it, under GNU time (wall clock, peak RSS)."
  echo "Before (2)–(5), \`opsboard refresh\` computes the mornings as \`serve\` would (when the command exists: \`opsboard help\`"
  echo "lists it). (2) and (3) start a fresh \`serve\` (\`${SERVE_FLAGS[*]:-}\`) for each page, so that nothing is in its memory,"
  echo "and time its first request. (4) is the command as a user runs it after the morning, which printed the report and kept the PDF, then with \`--fresh\`, which starts Chromium and prints. (5): demo-data's data ends"
  echo "yesterday (day D); \`refresh --date D\` computes the morning of D, which sees the days before D and keeps the settled"
  echo "ones (the cold row: all history); then \`refresh --date D+1\` is timed, $REFRESH_K times: the morning after, whose one new"
  echo "day is D (each run forgets the views the one before computed and reuses the settled days it kept). The data of D was"
  echo "already in the database during the first run, as in a warehouse loaded in the night; the first run's views end before"
  echo "it. \`demo-data --scale\` multiplies the customers, and so the rows of every day, over the same days: the scale-30"
  echo "morning reads about three times the rows of scale 10's new day and unsettled days, and its row compares the time per"
  echo "row of the day (the loads' row counts give the factor). What grows with the history alone is the last row: the same"
  echo "rows a day over one year and over two."
  echo
  echo "## Query overhead: every shipped query"
  echo
  echo "\`tools/querybench -queries\`: each query over \`last_28_days\` with default parameters, through \`query.Runner\`"
  echo "without cache (read-only transaction, settings, statement, frame), alternating with \`EXPLAIN (ANALYZE, TIMING OFF)\`"
  echo "of the same SQL and arguments; medians. Ratio = opsboard ÷ PostgreSQL planning + execution."
  echo
  for s in 1 10; do
    echo "### Scale $s"
    echo
    echo "| query | rows | opsboard | PostgreSQL plan+exec | ratio | opsboard's own time |"
    echo "|---|---|---|---|---|---|"
    cat "$WORK/queries$s.md"
    echo
  done
  echo "## Go benchmarks (hot paths)"
  echo
  echo "\`go test -run '^\$' -bench . -benchmem -benchtime 1s ./internal/catalog ./internal/warehouse ./internal/chart ./internal/page ./internal/web\`"
  echo "(and \`BenchmarkReportPDF\` in ./internal/report, above). The page and chart benchmarks use generated frames"
  echo "shaped like the daily-ops queries (28 days); the web one serves the real handler from a warm cache."
  echo
  echo "| benchmark | opsboard | baseline | ratio |"
  echo "|---|---|---|---|"
  for r in "${GO_ROWS[@]}"; do echo "$r"; done
  echo
  echo '```'
  grep -E '^(goos|goarch|cpu|Benchmark|ok)' "$WORK/gobench.txt"
  grep -E '^Benchmark' "$WORK/report_bench.txt" 2>/dev/null || true
  echo '```'
  # The analysis below the marker is written by people and kept as it is.
  if [ -f "$OUT" ] && grep -qF "$MARKER" "$OUT"; then
    echo
    awk -v m="$MARKER" 'index($0, m) == 1 { keep = 1 } keep' "$OUT"
  fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "done in $((ELAPSED / 60)) min $((ELAPSED % 60)) s: $OUT"
