// Package faults holds opsboard's fault tests with real processes: the
// opsboard binary, built by the test, runs as two `serve` replicas on one
// store database and mails one report definition through one loopback SMTP
// server that delays its replies, hangs, refuses with 451 or 550, or drops
// the connection in the middle of DATA; a replica is killed with SIGKILL in
// the middle of a run; the data database, a private embedded cluster, is
// stopped and started again under the replicas. Each test judges by what
// the SMTP server received, per recipient. The package has no code of its
// own beside its tests.
package faults
