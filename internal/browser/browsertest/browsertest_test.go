package browsertest

import "testing"

// recordingTB records how Need gives up, instead of stopping the test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Skip(args ...any)               { r.skipped = true }
func (r *recordingTB) Fatalf(format string, a ...any) { r.failed = true }

func TestNeedWithoutChromium(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv("OPSBOARD_CHROME", "")
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recordingTB{TB: t}
		Need(r)
		if wantFail := ci == "true"; r.failed != wantFail || r.skipped == wantFail {
			t.Errorf("CI=%q: Need skipped=%t failed=%t, want failed=%t", ci, r.skipped, r.failed, wantFail)
		}
	}
}
