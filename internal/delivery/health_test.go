package delivery_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/mail/mailtest"
)

// One long but legitimate tick (a mail server that takes its time with
// each message) keeps the scheduler healthy past the three intervals and a
// minute after which an idle scheduler counts as stalled; a tick whose run
// overruns the sum of its steps' deadlines turns it red, and a completed
// tick green again.
func TestSchedulerHealthyDuringALongTick(t *testing.T) {
	db := demoDB(t)
	smtp := mailtest.Start(t, mailtest.Options{DataDelay: 3 * time.Second})
	var clock atomic.Int64
	start := time.Date(2026, 9, 4, 7, 1, 0, 0, newYork)
	clock.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).In(newYork) }
	e := newEnv(t, db, threeRecipients(t), smtp.URL(), now)
	e.svc.SMTPTimeout = 10 * time.Second

	if err := e.sched.Healthy(); err == nil || !strings.Contains(err.Error(), "has not run yet") {
		t.Errorf("before the first tick: %v; want not run yet", err)
	}
	done := make(chan struct{})
	go func() { defer close(done); e.sched.Tick(context.Background()) }()
	// The tick is in the first recipient's DATA, which the server holds
	// for 3 s: the clock jumps 3 minutes, past 3×20 s + 1 min, but within
	// the run's own deadline (a 2 min render, 30 s archive, 1 min a
	// recipient at the defaults, less the SMTP timeout set above).
	for deadline := time.Now().Add(60 * time.Second); smtp.Attempts() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tick did not reach the mail server within 60 s")
		}
	}
	clock.Store(start.Add(3 * time.Minute).UnixNano())
	if err := e.sched.Healthy(); err != nil {
		t.Errorf("3 min into a tick whose run may take longer: %v; want healthy", err)
	}
	clock.Store(start.Add(time.Hour).UnixNano())
	if err := e.sched.Healthy(); err == nil || !strings.Contains(err.Error(), "the scheduler stuck") {
		t.Errorf("an hour into the tick: %v; want stuck", err)
	}
	<-done
	if err := e.sched.Healthy(); err != nil {
		t.Errorf("after the tick completed: %v; want healthy", err)
	}
	if got := recipientsOfMessages(smtp.Messages()); len(got) != 3 {
		t.Errorf("messages by recipient %v, want the three recipients", got)
	}
}
