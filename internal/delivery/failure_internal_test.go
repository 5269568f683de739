package delivery

import (
	"errors"
	"io"
	"net"
	"net/textproto"
	"os"
	"syscall"
	"testing"

	"github.com/opsboard/opsboard/internal/mail"
)

// A failed delivery's record says the step and why, never the mail
// server's address: the archive page shows it to anyone signed in.
func TestFailureTextNamesNoServer(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 587}
	for _, c := range []struct {
		err  error
		want string
	}{
		{&mail.Error{Op: "rcpt to <ben@depots.example>", Err: &net.OpError{Op: "read", Net: "tcp", Addr: addr, Err: os.ErrDeadlineExceeded}},
			"mail: rcpt to <ben@depots.example>: the mail server did not answer in time"},
		{&mail.Error{Op: "connect", Err: &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: syscall.ECONNREFUSED}},
			"mail: connect: the mail server cannot be reached"},
		{&mail.Error{Op: "data", Err: io.EOF}, "mail: data: the connection to the mail server was lost"},
		{&mail.Error{Op: "data", Code: 451, Err: &textproto.Error{Code: 451, Msg: "4.3.0 mx1.example.net:25 busy, from 10.0.0.7"}},
			"mail: data: 451 4.3.0 (address) busy, from (address)"},
		{&mail.Error{Op: "greeting", Err: errors.New("the mail server did not take the message within 1m0s")},
			"mail: greeting: the mail server did not take the message within 1m0s"},
	} {
		if got := failureText(c.err); got != c.want {
			t.Errorf("failureText(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
