package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// The pipeline's states, in memory: the table's answers, the model's
// outcome, the receive count and the time left are scripted, and each case
// checks what the message, the item and the DLQ end with. (The same
// protocol against the real table is in store's tests and the fixtures.)

// script is what the table answers.
type script struct {
	lookup      *store.Record // what BatchGetItem finds (nil: nothing)
	put         store.PutOutcome
	putExisting *store.Record
	claim       store.ClaimOutcome
	completeErr error
}

// scripted answers each Results call with what the case says.
type scripted struct {
	script
	mu      sync.Mutex
	written []store.Record // final outcomes stored (Put Written or Complete ok)
	claims  int
	resets  int
}

func (s *scripted) Lookup(_ context.Context, ids []string) (map[string]*store.Record, error) {
	if s.lookup == nil {
		return nil, nil
	}
	return map[string]*store.Record{ids[0]: s.lookup}, nil
}

func (s *scripted) Put(_ context.Context, rec store.Record, _ time.Time) (store.PutResult, error) {
	if s.put == store.Written {
		s.record(rec)
	}
	return store.PutResult{Outcome: s.put, Existing: s.putExisting}, nil
}

func (s *scripted) Claim(_ context.Context, rec store.Record, _ time.Duration) (store.ClaimResult, error) {
	s.mu.Lock()
	s.claims++
	s.mu.Unlock()
	res := store.ClaimResult{Outcome: s.claim, Token: "tok", Existing: &rec}
	if s.claim != store.Claimed {
		res.Existing = s.putExisting
	}
	return res, nil
}

// PutReuse: no model of these tables reuses results.
func (s *scripted) PutReuse(context.Context, []store.Record) error { return nil }

func (s *scripted) Complete(_ context.Context, rec store.Record) error {
	if s.completeErr == nil {
		s.record(rec)
	}
	return s.completeErr
}

func (s *scripted) SaveProgress(context.Context, store.Record, time.Time) error { return nil }

func (s *scripted) Reset(context.Context, string, store.Status) error {
	s.mu.Lock()
	s.resets++
	s.mu.Unlock()
	return nil
}

func (s *scripted) record(rec store.Record) {
	s.mu.Lock()
	s.written = append(s.written, rec)
	s.mu.Unlock()
}

// oneModel predicts every item with the scripted outcome.
type oneModel struct {
	m   *model.Model
	err error
}

func (p oneModel) Model(string) (*model.Model, error) { return p.m, nil }
func (p oneModel) Models() []*model.Model             { return []*model.Model{p.m} }
func (p oneModel) PackRows(*model.Model) int          { return 8 }
func (p oneModel) Predict(_ context.Context, items []engine.Item) []engine.Prediction {
	out := make([]engine.Prediction, len(items))
	for i := range out {
		out[i] = engine.Prediction{Output: map[string]any{"label": "setosa"}, Err: p.err, BatchSize: len(items)}
	}
	return out
}

type dlqs struct {
	mu  sync.Mutex
	got []store.DeadLetter
}

func (d *dlqs) SendBatch(_ context.Context, dls []store.DeadLetter) []error {
	d.mu.Lock()
	d.got = append(d.got, dls...)
	d.mu.Unlock()
	return make([]error, len(dls))
}

// stateWant is what a case of TestProcessStates ends with.
type stateWant struct {
	retry  bool
	status store.Status // the item written ("" = none)
	code   jobs.Code    // its error code, and the DLQ entry's
	dlq    int
	resets int // FAILED items reset for a redrive
}

// stateCase is one way through the pipeline's states.
type stateCase struct {
	name     string
	claim    bool
	results  script
	predict  error
	receives int
	noTime   bool
	redrive  bool // the message carries the worker's dead-letter attributes
	want     stateWant
}

func stateCases() []stateCase {
	other := &store.Record{Status: store.StatusSucceeded, PayloadHash: "other", ClaimToken: "x"}
	done := func(h string) *store.Record {
		return &store.Record{Status: store.StatusSucceeded, PayloadHash: h, ClaimToken: "x"}
	}
	failedBy := func(msg string) *store.Record {
		return &store.Record{Status: store.StatusFailed, PayloadHash: "H", MessageID: msg, Error: &store.ErrorInfo{Code: jobs.CodeInputMissing}}
	}
	busy := func(h string) *store.Record {
		return &store.Record{Status: store.StatusInProgress, PayloadHash: h, LeaseExpiresAt: time.Now().Add(time.Minute).UnixMilli()}
	}
	permanent := jobs.Errorf(jobs.CodeWrongFeatureCount, "got 2 features")
	transient := jobs.Errorf(jobs.CodeServiceError, "injected 500")
	type want = stateWant
	return []stateCase{
		{name: "fresh job, optimistic", results: script{put: store.Written}, want: want{status: store.StatusSucceeded}},
		{name: "fresh job, claimed", claim: true, results: script{claim: store.Claimed}, want: want{status: store.StatusSucceeded}},
		{name: "finished duplicate found by lookup", results: script{lookup: done("H")}, want: want{}},
		{name: "failed job delivered again: a duplicate", results: script{lookup: failedBy("m0")}, want: want{}},
		{name: "failed job redriven: reruns", redrive: true, results: script{lookup: failedBy("m0"), put: store.Written}, want: want{status: store.StatusSucceeded, resets: 1}},
		{name: "failed job redriven, claimed: reruns", claim: true, redrive: true, results: script{lookup: failedBy("m0"), claim: store.Claimed}, want: want{status: store.StatusSucceeded, resets: 1}},
		{name: "redriven failed again, redelivered: a duplicate", redrive: true, results: script{lookup: failedBy("m")}, want: want{}},
		{name: "succeeded job redriven: a duplicate", redrive: true, results: script{lookup: done("H")}, want: want{}},
		{name: "job busy elsewhere (lookup)", results: script{lookup: busy("H")}, want: want{retry: true}},
		{name: "job_id used for another payload (lookup)", results: script{lookup: other}, want: want{code: jobs.CodeIdempotencyConflict, dlq: 1}},
		{name: "finished meanwhile (put)", results: script{put: store.PutDone, putExisting: done("H")}, want: want{}},
		{name: "claimed meanwhile (put)", results: script{put: store.PutBusy}, want: want{retry: true}},
		{name: "another payload meanwhile (put)", results: script{put: store.PutConflict}, want: want{code: jobs.CodeIdempotencyConflict, dlq: 1}},
		{name: "reset after this delivery began", results: script{put: store.PutStale}, want: want{}},
		{name: "crashed claim found: taken over", results: script{put: store.PutExpired, claim: store.Claimed}, want: want{status: store.StatusSucceeded}},
		{name: "claim: done", claim: true, results: script{claim: store.Done, putExisting: done("H")}, want: want{}},
		{name: "claim: busy", claim: true, results: script{claim: store.Busy}, want: want{retry: true}},
		{name: "claim: conflict", claim: true, results: script{claim: store.Conflict}, want: want{code: jobs.CodeIdempotencyConflict, dlq: 1}},
		{name: "claim lost before completion", claim: true, results: script{claim: store.Claimed, completeErr: store.ErrClaimLost}, want: want{}},
		{name: "permanent model error", results: script{put: store.Written}, predict: permanent, want: want{status: store.StatusFailed, code: jobs.CodeWrongFeatureCount, dlq: 1}},
		{name: "permanent model error, claimed", claim: true, results: script{claim: store.Claimed}, predict: permanent, want: want{status: store.StatusFailed, code: jobs.CodeWrongFeatureCount, dlq: 1}},
		{name: "transient error, first receive", results: script{put: store.Written}, predict: transient, receives: 1, want: want{retry: true}},
		{name: "transient error, last receive", results: script{put: store.Written}, predict: transient, receives: 3, want: want{retry: true, status: store.StatusFailed, code: jobs.CodeRetriesExhausted}},
		{name: "transient error, last receive, claimed", claim: true, results: script{claim: store.Claimed}, predict: transient, receives: 3, want: want{retry: true, status: store.StatusFailed, code: jobs.CodeRetriesExhausted}},
		{name: "no time left", results: script{put: store.Written}, noTime: true, want: want{retry: true}},
		{name: "no time left, claimed", claim: true, results: script{claim: store.Claimed}, noTime: true, want: want{retry: true}},
	}
}

func TestProcessStates(t *testing.T) {
	for _, tc := range stateCases() {
		t.Run(tc.name, func(t *testing.T) { runStateCase(t, tc) })
	}
}

func runStateCase(t *testing.T, tc stateCase) {
	res, dl := &scripted{script: tc.results}, &dlqs{}
	w := &Worker{
		Engine: oneModel{m: &model.Model{}, err: tc.predict}, Results: res, DeadLetters: dl,
		Config: Config{MaxReceives: 3, DeadlineMargin: time.Second, Claim: ClaimPolicy{All: tc.claim}},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), MetricsOut: io.Discard,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if tc.noTime {
		ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	}
	defer cancel()
	inv := stateInvocation(t, max(tc.receives, 1))
	inv.Messages[0].Redrive = tc.redrive
	out := w.Process(ctx, inv)
	if got := len(out.RetryIDs) == 1; got != tc.want.retry {
		t.Errorf("retried = %v, want %v (outcome %+v)", got, tc.want.retry, out)
	}
	var status store.Status
	var code jobs.Code
	if n := len(res.written); n > 1 {
		t.Fatalf("%d outcomes written, want at most one", n)
	} else if n == 1 {
		status = res.written[0].Status
		if e := res.written[0].Error; e != nil {
			code = e.Code
		}
	}
	if status != tc.want.status || (status != "" && code != wantItemCode(tc.want)) {
		t.Errorf("item %s %s, want %s %s", status, code, tc.want.status, wantItemCode(tc.want))
	}
	if len(dl.got) != tc.want.dlq || (tc.want.dlq == 1 && dl.got[0].Code != string(tc.want.code)) {
		t.Errorf("dead letters %+v, want %d with %s", dl.got, tc.want.dlq, tc.want.code)
	}
	if tc.want.dlq == 1 && (!out.States[0].Failed || jobs.CodeOf(out.States[0].Err) != tc.want.code) {
		t.Errorf("message ended %+v, want failed with %s", out.States[0], tc.want.code)
	}
	if res.resets != tc.want.resets {
		t.Errorf("%d items reset, want %d", res.resets, tc.want.resets)
	}
	if tc.claim && !tc.noTime && res.claims != 1 {
		t.Errorf("%d claims, want 1", res.claims)
	}
}

func wantItemCode(w stateWant) jobs.Code {
	if w.status == store.StatusSucceeded {
		return ""
	}
	return w.code
}

// stateInvocation is one inline job "j" whose payload hash is "H".
func stateInvocation(t *testing.T, receives int) *jobs.Invocation {
	t.Helper()
	m := jobs.DecodeMessage(events.SQSMessage{MessageId: "m", Body: `{"job_id": "j", "input": {"features": [1, 2, 3, 4]}}`,
		Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(receives)}})
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	m.Jobs[0].PayloadHash = "H"
	return &jobs.Invocation{Messages: []jobs.Message{m}}
}
