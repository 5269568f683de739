package report_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/opsboard/opsboard/internal/apperr"
	"github.com/opsboard/opsboard/internal/report"
)

// realDialError is what dialling a closed port on loopback really returns.
func realDialError(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(context.Background(), "tcp", addr)
	if err == nil {
		c.Close()
		t.Fatalf("dialling the closed port %s succeeded", addr)
	}
	return err
}

func TestRedactedAndUnreachable(t *testing.T) {
	dial := realDialError(t)
	tests := []struct {
		name        string
		err         error
		want        string // the whole redacted text
		unreachable bool
	}{
		{"refused connection, as a query error wraps it",
			fmt.Errorf("kpi/orders (sql/kpi/orders.sql): %w", dial),
			"kpi/orders (sql/kpi/orders.sql): the data database cannot be reached", true},
		{"connection lost mid-query",
			fmt.Errorf("daily_health (sql/daily_health.sql): %w", &net.OpError{Op: "read", Net: "tcp",
				Source: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 40112}, Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 4), Port: 5432},
				Err: errors.New("connection reset by peer")}),
			"daily_health (sql/daily_health.sql): the connection to the data database was lost", true},
		{"unknown host",
			fmt.Errorf("q (sql/q.sql): %w", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "db.internal", IsNotFound: true}}),
			"q (sql/q.sql): the data database cannot be reached", true},
		{"server shutting down",
			fmt.Errorf("q (sql/q.sql): %w", &pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"}),
			"q (sql/q.sql): pq: terminating connection due to administrator command (57P01)", true},
		{"connection exception class",
			&pq.Error{Code: "08006", Message: "connection failure"}, "pq: connection failure (08006)", true},
		{"server went away",
			fmt.Errorf("q: %w", io.ErrUnexpectedEOF), "q: unexpected EOF", true},
		{"address only in the text",
			errors.New("cannot reach PostgreSQL at postgres://reader:xxxxx@db.internal:6432/shop?sslmode=disable: dial tcp 192.168.7.9:6432: connect: connection refused"),
			"cannot reach PostgreSQL at the data database: the data database cannot be reached", false},
		{"IPv6 and socket paths",
			errors.New("no answer from [fd00::5]:5432 nor /var/run/postgresql/.s.PGSQL.5432"),
			"no answer from (address) nor (socket)", false},
		{"a genuine query error is left alone",
			fmt.Errorf("broken (sql/broken.sql): %w", &pq.Error{Code: "22012", Message: "division by zero"}),
			"broken (sql/broken.sql): pq: division by zero (22012)", false},
		{"a statement timeout is not an outage",
			apperr.Unavailable("query stopped after the 30s statement timeout: %w", &pq.Error{Code: "57014", Message: "canceling statement due to statement timeout"}),
			"query stopped after the 30s statement timeout: pq: canceling statement due to statement timeout (57014)", false},
		{"file:line references stay",
			errors.New("sql/kpi/orders.sql:12: column \"x\" does not exist"),
			"sql/kpi/orders.sql:12: column \"x\" does not exist", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := report.Redacted(tt.err)
			if got.Error() != tt.want {
				t.Errorf("Redacted(%q)\n got %q\nwant %q", tt.err, got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Redacted(%q) no longer wraps the original error", tt.err)
			}
			if u := report.DataUnreachable(got); u != tt.unreachable {
				t.Errorf("DataUnreachable(%q) = %v, want %v", tt.err, u, tt.unreachable)
			}
			for _, leak := range []string{"127.0.0.1", "10.1.2", "192.168", "db.internal", "5432", "6432", "fd00"} {
				if strings.Contains(got.Error(), leak) {
					t.Errorf("Redacted text %q still names %q", got, leak)
				}
			}
		})
	}
	if report.Redacted(nil) != nil {
		t.Error("Redacted(nil) != nil")
	}
}
