package worker

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
)

var allStates = []taskState{pending, acked, retryLater, succeeded, failed}

// TestEveryMove walks every pair of states: the legal moves happen, the
// others are refused, leaving the state as it was and an internal error
// naming both states on the task.
func TestEveryMove(t *testing.T) {
	legal := map[[2]taskState]bool{
		{pending, acked}: true, {pending, retryLater}: true, {pending, succeeded}: true, {pending, failed}: true,
		{succeeded, acked}: true, {succeeded, retryLater}: true, {succeeded, failed}: true,
		{failed, acked}: true, {failed, retryLater}: true,
		{retryLater, acked}: true, {retryLater, retryLater}: true,
	}
	for _, from := range allStates {
		for _, to := range allStates {
			tk := &task{state: from}
			ok := tk.move(to)
			want := legal[[2]taskState{from, to}]
			if ok != want {
				t.Errorf("%s → %s: moved %v, want %v", from, to, ok, want)
			}
			if !want {
				var ill errIllegalMove
				if tk.state != from || !errors.As(tk.err, &ill) || ill != (errIllegalMove{from, to}) || jobs.CodeOf(tk.err) != jobs.CodeInternal {
					t.Errorf("%s → %s refused: state %s, error %v", from, to, tk.state, tk.err)
				}
			}
		}
	}
	if len(legalMoves[acked]) != 0 {
		t.Error("an acknowledged task moved on")
	}
}

// TestMovesKeepTheirOutcome: each move method leaves the state and the
// outcome it names, and an acknowledgement clears an earlier error.
func TestMovesKeepTheirOutcome(t *testing.T) {
	permanent, transient := jobs.Errorf(jobs.CodeInputMissing, "gone"), jobs.Errorf(jobs.CodeThrottled, "slow")
	cases := []struct {
		name string
		do   func(*task)
		want taskState
		err  error
	}{
		{"succeed", func(t *task) { t.succeed(map[string]any{"label": "x"}) }, succeeded, nil},
		{"a permanent failure", func(t *task) { t.fail(permanent) }, failed, permanent},
		{"a transient failure", func(t *task) { t.fail(transient) }, retryLater, transient},
		{"failWith whatever the code", func(t *task) { t.failWith(transient) }, failed, transient},
		{"retry", func(t *task) { t.retry(transient) }, retryLater, transient},
		{"ack after a failure", func(t *task) { t.fail(permanent); t.ack("duplicate") }, acked, nil},
	}
	for _, c := range cases {
		tk := &task{}
		c.do(tk)
		if tk.state != c.want || !errors.Is(tk.err, c.err) || (c.err == nil && tk.err != nil) {
			t.Errorf("%s: %s, %v; want %s, %v", c.name, tk.state, tk.err, c.want, c.err)
		}
	}
	if tk := (&task{}); !tk.inPlay() || (&task{dupOf: tk}).inPlay() || (&task{state: retryLater}).inPlay() {
		t.Error("inPlay: only a first delivery still pending is in play")
	}
	if !slices.Contains(legalMoves[pending], succeeded) {
		t.Error("a pending task cannot succeed")
	}
}

// TestTaskTimesOnTheWorkersClock: phase times use the clock start times
// come from, so a test clock gives exact durations.
func TestTaskTimesOnTheWorkersClock(t *testing.T) {
	at := time.Unix(1000, 0)
	tk := &task{now: func() time.Time { return at }, timing: map[string]int64{}}
	tk.time("fetch", at.Add(-1500*time.Millisecond))
	if tk.timing["fetch"] != 1500 {
		t.Errorf("fetch took %d ms by the task's clock, want 1500", tk.timing["fetch"])
	}
}
