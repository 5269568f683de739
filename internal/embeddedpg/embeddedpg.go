// Package embeddedpg runs a private PostgreSQL cluster from the installed
// PostgreSQL binaries, for zero-configuration use when DATABASE_URL is not
// set. The cluster lives in one directory, is created on first use, reused
// across runs, listens on 127.0.0.1 only with a generated password, and is
// stopped by the process that started it.
//
// PostgreSQL refuses to run as root; when opsboard runs as root the cluster's
// processes run as the "postgres" system user instead.
//
// A running cluster can also get a streaming hot standby (StartStandby), to
// try the read-replica setup: the store on the primary, the warehouse on
// the standby.
package embeddedpg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsboard/opsboard/internal/apperr"
)

const superuser = "opsboard"

// ReaderRole is the read-only role the warehouse connects as in the
// embedded cluster; opsboard creates it at start (pg.Admin.EnsureReader)
// with the password kept beside the cluster's own.
const ReaderRole = "opsboard_reader"

// Cluster is a running private PostgreSQL cluster.
type Cluster struct {
	dir      string
	bin      string
	port     int
	password string
	reader   string              // ReaderRole's password
	owner    *syscall.Credential // non-nil when processes must run as another user
	started  bool                // true when this process started it and must stop it
	standbys []*Cluster          // standbys this process started from it, stopped with it
	log      *slog.Logger
}

// Start makes sure the cluster under dir exists and runs, and returns it.
// If another process already runs it, Start reuses it and Stop leaves it running.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Cluster, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin, log: log}
	if os.Geteuid() == 0 {
		if c.owner, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	if c.owner != nil {
		if blocked := unreachable(dir, c.owner); blocked != "" {
			return nil, apperr.Unavailable("running as root, the embedded PostgreSQL runs as user postgres, which cannot enter %s: "+
				"set OPSBOARD_DATA_DIR to a directory it can reach (for example /var/lib/opsboard) or set DATABASE_URL", blocked)
		}
		if err := c.chown(dir); err != nil {
			return nil, err
		}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if err := c.initIfNeeded(ctx); err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(c.passwordFile())
	if err != nil {
		return nil, fmt.Errorf("reading cluster password: %w", err)
	}
	c.password = strings.TrimSpace(string(pw))
	if c.reader, err = c.readerPassword(); err != nil {
		return nil, err
	}

	if port, ok := c.runningPort(ctx); ok {
		c.port = port
		log.Info("using running embedded PostgreSQL", "dir", dir, "port", port)
		return c, nil
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	start := time.Now()
	if err := c.pgctl(ctx, "start", "-w", "-t", "60", "-l", filepath.Join(dir, "postgres.log"),
		"-o", fmt.Sprintf("-p %d", c.port)); err != nil {
		return nil, fmt.Errorf("starting embedded PostgreSQL (log: %s): %w", filepath.Join(dir, "postgres.log"), err)
	}
	c.started = true
	log.Info("started embedded PostgreSQL", "dir", dir, "port", c.port, "took", time.Since(start).Round(time.Millisecond))
	return c, nil
}

// URL returns a connection URL for the named database in the cluster.
func (c *Cluster) URL(database string) string { return c.url(superuser, c.password, database) }

// ReaderURL returns a connection URL for the named database as ReaderRole.
func (c *Cluster) ReaderURL(database string) string { return c.url(ReaderRole, c.reader, database) }

func (c *Cluster) url(user, password, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// ReaderPassword is ReaderRole's password.
func (c *Cluster) ReaderPassword() string { return c.reader }

// readerPassword reads the read-only role's password, making one the first
// time (clusters made before the role existed get one too).
func (c *Cluster) readerPassword() (string, error) {
	file := filepath.Join(c.dir, "reader-password")
	if b, err := os.ReadFile(file); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	pw := hex.EncodeToString(secret)
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing the read-only role's password: %w", err)
	}
	return pw, nil
}

// Dir returns the cluster's directory.
func (c *Cluster) Dir() string { return c.dir }

// Stop stops the cluster if this process started it, and first the
// standbys this process started from it.
func (c *Cluster) Stop() error {
	for _, s := range c.standbys {
		if err := s.Stop(); err != nil {
			return err
		}
	}
	c.standbys = nil
	if !c.started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.pgctl(ctx, "stop", "-w", "-m", "fast"); err != nil {
		return fmt.Errorf("stopping embedded PostgreSQL: %w", err)
	}
	c.started = false
	c.log.Info("stopped embedded PostgreSQL", "dir", c.dir)
	return nil
}

// StartStandby makes a streaming hot standby of the running cluster c under
// dir, which must not hold a cluster yet, starts it on a free port and
// returns it. The standby is a base backup of c taken with pg_basebackup
// -R -X stream, so it replays what c writes from then on and answers
// read-only queries; it has c's roles and passwords, so URL and ReaderURL
// work on it. pg_basebackup -R keeps the connection to c, password
// included, in the standby's postgresql.auto.conf, which only the cluster's
// owner can read. Stopping c stops the standby first; Start on dir starts
// it again later.
func (c *Cluster) StartStandby(ctx context.Context, dir string) (*Cluster, error) {
	if c.port == 0 {
		return nil, fmt.Errorf("standby of %s: the primary is not running", c.dir)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Cluster{dir: dir, bin: c.bin, password: c.password, reader: c.reader, owner: c.owner, log: c.log}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	if s.owner != nil {
		if blocked := unreachable(dir, s.owner); blocked != "" {
			return nil, apperr.Unavailable("running as root, the embedded PostgreSQL runs as user postgres, which cannot enter %s", blocked)
		}
		if err := s.chown(dir); err != nil {
			return nil, err
		}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(s.dataDir()); err == nil {
		return nil, apperr.Invalid("%s already holds a cluster: start it with Start, or remove it for a new standby", dir)
	}
	for file, secret := range map[string]string{s.passwordFile(): s.password, filepath.Join(dir, "reader-password"): s.reader} {
		if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
			return nil, err
		}
	}

	start := time.Now()
	// -c fast: a spread checkpoint on the primary would make the backup wait minutes.
	err = s.runEnv(ctx, []string{"PGPASSWORD=" + c.password}, "pg_basebackup", "-D", s.dataDir(), "-R", "-X", "stream",
		"-c", "fast", "--no-sync", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", superuser)
	if err != nil {
		os.RemoveAll(s.dataDir()) // a partial copy would make the next try refuse dir
		return nil, fmt.Errorf("copying the primary for a standby: %w", err)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "postgres.log")
	if err := s.pgctl(ctx, "start", "-w", "-t", "60", "-l", logFile, "-o", fmt.Sprintf("-p %d", s.port)); err != nil {
		return nil, fmt.Errorf("starting the standby (log: %s): %w", logFile, err)
	}
	s.started = true
	c.standbys = append(c.standbys, s)
	s.log.Info("started embedded PostgreSQL standby", "dir", dir, "port", s.port, "primary_port", c.port,
		"took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

func (c *Cluster) dataDir() string      { return filepath.Join(c.dir, "pgdata") }
func (c *Cluster) passwordFile() string { return filepath.Join(c.dir, "password") }

func (c *Cluster) initIfNeeded(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	c.log.Info("creating embedded PostgreSQL cluster", "dir", c.dir)
	if err := os.RemoveAll(c.dataDir()); err != nil {
		return err
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	if err := os.WriteFile(c.passwordFile(), []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return err
	}
	if err := c.chown(c.passwordFile()); err != nil {
		return err
	}
	err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", superuser, "--pwfile", c.passwordFile(),
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	if err != nil {
		return fmt.Errorf("creating the cluster: %w", err)
	}
	conf := "\n# opsboard embedded cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(conf)
	return err
}

// runningPort reports the port of a cluster already running on this data dir.
func (c *Cluster) runningPort(ctx context.Context) (int, bool) {
	if c.pgctl(ctx, "status") != nil {
		return 0, false
	}
	pid, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) error {
	return c.run(ctx, "pg_ctl", append([]string{"-D", c.dataDir()}, args...)...)
}

func (c *Cluster) run(ctx context.Context, program string, args ...string) error {
	return c.runEnv(ctx, nil, program, args...)
}

// runEnv runs program with env added to the environment; the error quotes
// the program's output, never env.
func (c *Cluster) runEnv(ctx context.Context, env []string, program string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, program), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.Dir = c.dir
	// Detach postgres from our process group so a Ctrl-C reaches opsboard
	// first and opsboard stops the cluster cleanly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.owner}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 600 {
			msg = msg[len(msg)-600:]
		}
		return fmt.Errorf("%s %s: %w: %s", program, args[0], err, msg)
	}
	return nil
}

func (c *Cluster) chown(paths ...string) error {
	if c.owner == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(c.owner.Uid), int(c.owner.Gid)); err != nil {
			return err
		}
	}
	return nil
}

// findBinaries returns the directory holding initdb and pg_ctl.
func findBinaries() (string, error) {
	// An explicit OPSBOARD_PG_BIN is the only place looked at.
	if dir := os.Getenv("OPSBOARD_PG_BIN"); dir != "" {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
		return "", apperr.Unavailable("no initdb and pg_ctl in OPSBOARD_PG_BIN=%s: point it at PostgreSQL's bin directory, "+
			"install PostgreSQL (Debian/Ubuntu: apt-get install postgresql), or set DATABASE_URL to an existing database", dir)
	}
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgMajor(versions[i]) > pgMajor(versions[j]) })
	candidates = append(candidates, versions...)
	candidates = append(candidates, "/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin")
	for _, dir := range candidates {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", apperr.Unavailable("no PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL " +
		"(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) or set DATABASE_URL to an existing database")
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, apperr.Unavailable("running as root, and PostgreSQL refuses root: a \"postgres\" system user is needed " +
			"(it comes with the PostgreSQL packages), or set DATABASE_URL")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockDir takes an exclusive lock on dir/lock so two processes starting
// at the same time do not both run initdb or pg_ctl start.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// unreachable returns the first ancestor of dir (dir excluded) that the
// given user cannot search, or "".
func unreachable(dir string, who *syscall.Credential) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return p
		}
		var bit uint32 = 0o001
		switch {
		case st.Uid == who.Uid:
			bit = 0o100
		case st.Gid == who.Gid:
			bit = 0o010
		}
		if st.Mode&bit == 0 {
			return p
		}
		if p == "/" || p == "." {
			return ""
		}
	}
}
