package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrClaimLost means Complete found the item no longer held by the caller's
// claim: another delivery took over after the lease expired, or the item is
// already final. The newer outcome stands; the caller treats its message as
// a duplicate.
var ErrClaimLost = errors.New("store: claim lost: the job item is held by another attempt or already final")

// ClaimOutcome says what Claim found.
type ClaimOutcome int

const (
	// Claimed: the caller now holds the job (ClaimResult.Token).
	Claimed ClaimOutcome = iota
	// Done: the job is already SUCCEEDED or FAILED; acknowledge the message.
	Done
	// Busy: another attempt holds an unexpired claim; retry later.
	Busy
	// Conflict: the job_id was used before with a different payload hash.
	Conflict
)

func (o ClaimOutcome) String() string {
	switch o {
	case Claimed:
		return "claimed"
	case Done:
		return "done"
	case Busy:
		return "busy"
	case Conflict:
		return "conflict"
	}
	return fmt.Sprintf("ClaimOutcome(%d)", int(o))
}

// ClaimResult is Claim's answer. Existing is the item as it now stands: the
// caller's freshly claimed item (Attempts counted, CreatedAt kept) when
// Claimed, the other attempt's item otherwise.
type ClaimResult struct {
	Outcome  ClaimOutcome
	Token    string
	Existing *Record
}

// Results is the DynamoDB results table, which is also the idempotency
// record: one item per job_id.
type Results struct {
	Client *dynamodb.Client
	Table  string
	TTL    time.Duration    // expires_at = now + TTL on claim; 0 leaves expires_at to the caller
	Now    func() time.Time // nil = time.Now
}

func (r *Results) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// maxClaimRounds bounds the write/read loop of Claim: a round repeats only
// when the item changed between the failed write and the read.
const maxClaimRounds = 3

// Claim takes job rec.JobID for the caller with an atomic conditional
// update: it succeeds when no item exists, or when the item is IN_PROGRESS
// with an expired lease and the same payload hash. Then the item becomes
// IN_PROGRESS with a fresh claim token, lease_expires_at = now + lease,
// attempts + 1 and created_at kept. Otherwise a consistent read tells Done,
// Busy and Conflict apart (dynalite ignores
// ReturnValuesOnConditionCheckFailure, so the read is the portable way).
// rec's Status, Attempts and timestamps are ignored. rec.ClaimToken, when
// set, is the attempt's own token: a retry of a claim whose write succeeded
// but whose answer was lost (a timeout, a 5xx after the write) finds its own
// token on the item and is Claimed, not Busy. Empty means a fresh token.
func (r *Results) Claim(ctx context.Context, rec Record, lease time.Duration) (ClaimResult, error) {
	if rec.JobID == "" {
		return ClaimResult{}, errors.New("claim: empty job_id")
	}
	for range maxClaimRounds {
		res, claimed, err := r.tryClaim(ctx, rec, lease)
		if err != nil || claimed {
			return res, err
		}
		existing, err := r.Get(ctx, rec.JobID)
		if err != nil {
			return ClaimResult{}, err
		}
		if existing == nil {
			continue // deleted since the write failed: try again
		}
		switch {
		case rec.ClaimToken != "" && existing.ClaimToken == rec.ClaimToken && existing.Status == StatusInProgress:
			return ClaimResult{Outcome: Claimed, Token: rec.ClaimToken, Existing: existing}, nil
		case existing.PayloadHash != "" && existing.PayloadHash != rec.PayloadHash:
			return ClaimResult{Outcome: Conflict, Existing: existing}, nil
		case existing.Status.Final():
			return ClaimResult{Outcome: Done, Existing: existing}, nil
		case existing.LeaseExpiresAt >= r.now().UnixMilli():
			return ClaimResult{Outcome: Busy, Existing: existing}, nil
		}
		// The lease expired between the write and the read: try again.
	}
	return ClaimResult{}, Classify(fmt.Errorf("job %q changed %d times while claiming", rec.JobID, maxClaimRounds),
		"claim job "+rec.JobID)
}

// tryClaim is one conditional write. claimed is false, with no error, when
// the condition failed.
func (r *Results) tryClaim(ctx context.Context, rec Record, lease time.Duration) (ClaimResult, bool, error) {
	now := r.now()
	token := rec.ClaimToken
	if token == "" {
		var err error
		if token, err = NewClaimToken(); err != nil {
			return ClaimResult{}, false, err
		}
	}
	stamp := formatTime(now)

	update := expression.
		Set(expression.Name("status"), expression.Value(string(StatusInProgress))).
		Set(expression.Name(StatusShardAttr), expression.Value(StatusShard(StatusInProgress, rec.JobID))).
		Set(expression.Name("claim_token"), expression.Value(token)).
		Set(expression.Name("lease_expires_at"), expression.Value(now.Add(lease).UnixMilli())).
		Set(expression.Name("updated_at"), expression.Value(stamp)).
		Set(expression.Name("created_at"), expression.IfNotExists(expression.Name("created_at"), expression.Value(stamp))).
		Set(expression.Name("attempts"), expression.Plus(
			expression.IfNotExists(expression.Name("attempts"), expression.Value(0)), expression.Value(1)))
	for name, v := range map[string]string{
		"model": rec.Model, "model_version": rec.ModelVersion, "input": rec.Input,
		"message_id": rec.MessageID, "payload_hash": rec.PayloadHash,
	} {
		if v != "" {
			update = update.Set(expression.Name(name), expression.Value(v))
		}
	}
	if len(rec.Metadata) > 0 {
		update = update.Set(expression.Name("metadata"), expression.Value(rec.Metadata))
	}
	if r.TTL > 0 {
		update = update.Set(expression.Name("expires_at"), expression.Value(now.Add(r.TTL).Unix()))
	} else if rec.ExpiresAt > 0 {
		update = update.Set(expression.Name("expires_at"), expression.Value(rec.ExpiresAt))
	}

	var claimed Record
	err := r.update(ctx, rec.JobID, update, claimable(rec.PayloadHash, now), true, &claimed)
	if conditionFailed(err) {
		return ClaimResult{}, false, nil
	}
	if err != nil {
		return ClaimResult{}, false, Classify(err, "claim job "+rec.JobID)
	}
	return ClaimResult{Outcome: Claimed, Token: token, Existing: &claimed}, true, nil
}

// claimable: no item yet, or an IN_PROGRESS item whose lease has expired
// and that holds the same payload (a crashed attempt) or none (a reset
// job). The condition is written flat by hand: the builder's nested
// parentheses mean the same but cost dynalite (single-threaded, used by
// every local run and test) about twenty times longer per call.
func claimable(payloadHash string, now time.Time) condition {
	sameHash := "attribute_not_exists(#c_hash)"
	c := condition{
		names: map[string]string{"#c_key": "job_id", "#c_status": "status", "#c_lease": "lease_expires_at", "#c_hash": "payload_hash"},
		values: map[string]types.AttributeValue{
			":c_inprog": &types.AttributeValueMemberS{Value: string(StatusInProgress)},
			":c_now":    &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		},
	}
	if payloadHash != "" {
		sameHash = "#c_hash = :c_hash"
		c.values[":c_hash"] = &types.AttributeValueMemberS{Value: payloadHash}
	}
	c.expr = "attribute_not_exists(#c_key) OR (#c_status = :c_inprog AND #c_lease < :c_now AND " + sameHash + ")" +
		" OR (#c_status = :c_inprog AND #c_lease < :c_now AND attribute_not_exists(#c_hash))"
	return c
}

// Complete writes the job's outcome (rec.Status SUCCEEDED or FAILED) with
// a conditional update that holds only while the caller's claim does:
// claim_token = rec.ClaimToken and status IN_PROGRESS, so a slow duplicate
// never overwrites a newer outcome (ErrClaimLost). Repeating Complete with
// the same token and status is allowed, so a write that succeeded but whose
// answer was lost can be retried. The claim's own fields (created_at,
// attempts, payload_hash, message_id) are kept; the lease and a record
// file's progress are removed.
func (r *Results) Complete(ctx context.Context, rec Record) error {
	if !rec.Status.Final() {
		return fmt.Errorf("complete job %s: status %q is not SUCCEEDED or FAILED", rec.JobID, rec.Status)
	}
	if rec.ClaimToken == "" {
		return fmt.Errorf("complete job %s: %w (no claim token)", rec.JobID, ErrClaimLost)
	}
	stamp := rec.UpdatedAt // the caller's, when it names its completion by it
	if stamp == "" {
		stamp = formatTime(r.now())
	}
	update := expression.
		Set(expression.Name("status"), expression.Value(string(rec.Status))).
		Set(expression.Name(StatusShardAttr), expression.Value(StatusShard(rec.Status, rec.JobID))).
		Set(expression.Name("updated_at"), expression.Value(stamp)).
		Remove(expression.Name("lease_expires_at")).
		Remove(expression.Name("progress"))
	update = setOutcome(update, rec)
	err := r.update(ctx, rec.JobID, update, holdsClaim(rec.ClaimToken, rec.Status), false, nil)
	if conditionFailed(err) {
		return fmt.Errorf("complete job %s as %s: %w", rec.JobID, rec.Status, ErrClaimLost)
	}
	return Classify(err, "complete job "+rec.JobID)
}

// SaveProgress stores a record file's progress while the caller's claim
// holds, and moves its lease to leaseUntil (the zero time releases it, so
// the next delivery may take the file over at once).
func (r *Results) SaveProgress(ctx context.Context, rec Record, leaseUntil time.Time) error {
	if rec.ClaimToken == "" || rec.Progress == nil {
		return fmt.Errorf("save progress of job %s: %w (no claim token or progress)", rec.JobID, ErrClaimLost)
	}
	lease := int64(0)
	if !leaseUntil.IsZero() {
		lease = leaseUntil.UnixMilli()
	}
	update := expression.
		Set(expression.Name("progress"), expression.Value(rec.Progress)).
		Set(expression.Name("lease_expires_at"), expression.Value(lease)).
		Set(expression.Name("updated_at"), expression.Value(formatTime(r.now())))
	err := r.update(ctx, rec.JobID, update, holdsClaim(rec.ClaimToken, StatusInProgress), false, nil)
	if conditionFailed(err) {
		return fmt.Errorf("save progress of job %s: %w", rec.JobID, ErrClaimLost)
	}
	return Classify(err, "save progress of job "+rec.JobID)
}

// setOutcome adds the outcome fields of rec that are set.
func setOutcome(update expression.UpdateBuilder, rec Record) expression.UpdateBuilder {
	strs := map[string]string{"model": rec.Model, "model_version": rec.ModelVersion, "input": rec.Input, "output_uri": rec.OutputURI, "reused_from": rec.ReusedFrom}
	for name, v := range strs {
		if v != "" {
			update = update.Set(expression.Name(name), expression.Value(v))
		}
	}
	if len(rec.Output) > 0 {
		update = update.Set(expression.Name("output"), expression.Value(rec.Output))
	}
	if rec.Error != nil {
		update = update.Set(expression.Name("error"), expression.Value(rec.Error))
	}
	if len(rec.Timings) > 0 {
		update = update.Set(expression.Name("timings"), expression.Value(rec.Timings))
	}
	if len(rec.Metadata) > 0 {
		update = update.Set(expression.Name("metadata"), expression.Value(rec.Metadata))
	}
	if rec.ExpiresAt > 0 {
		update = update.Set(expression.Name("expires_at"), expression.Value(rec.ExpiresAt))
	}
	return update
}

// condition is a hand-written, flat condition expression with its own
// placeholders (#c_…, :c_…), which never collide with the builder's.
type condition struct {
	expr   string
	names  map[string]string
	values map[string]types.AttributeValue
}

// holdsClaim: the item carries the caller's claim token and is IN_PROGRESS
// or already in status (a retried write whose answer was lost).
func holdsClaim(token string, status Status) condition {
	return condition{
		expr:  "#c_token = :c_token AND (#c_status = :c_inprog OR #c_status = :c_final)", // flat: see tryClaim
		names: map[string]string{"#c_token": "claim_token", "#c_status": "status"},
		values: map[string]types.AttributeValue{
			":c_token":  &types.AttributeValueMemberS{Value: token},
			":c_inprog": &types.AttributeValueMemberS{Value: string(StatusInProgress)},
			":c_final":  &types.AttributeValueMemberS{Value: string(status)},
		},
	}
}

// update is the one UpdateItem call of the results table: the builder's
// update with a hand-written condition. With allNew the item as written is
// decoded into out.
func (r *Results) update(ctx context.Context, jobID string, update expression.UpdateBuilder, cond condition, allNew bool, out *Record) error {
	expr, err := expression.NewBuilder().WithUpdate(update).Build()
	if err != nil {
		return fmt.Errorf("update job %s: build expression: %w", jobID, err)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       r.key(jobID),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       aws.String(cond.expr),
		ExpressionAttributeNames:  merge(expr.Names(), cond.names),
		ExpressionAttributeValues: merge(expr.Values(), cond.values),
	}
	if allNew {
		in.ReturnValues = types.ReturnValueAllNew
	}
	res, err := r.Client.UpdateItem(ctx, in)
	if err != nil || out == nil {
		return err
	}
	if err := attributevalue.UnmarshalMap(res.Attributes, out); err != nil {
		return fmt.Errorf("update job %s: decode item: %w", jobID, err)
	}
	return nil
}

// Get reads one job item with a consistent read; nil, nil when absent.
func (r *Results) Get(ctx context.Context, jobID string) (*Record, error) {
	out, err := r.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.Table),
		Key:            r.key(jobID),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, Classify(err, "get job "+jobID)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	var rec Record
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return nil, fmt.Errorf("get job %s: decode item: %w", jobID, err)
	}
	return &rec, nil
}

// conditionFailed reports whether DynamoDB refused a conditional write
// because its condition did not hold: an answer about the item, not a
// failure to classify or retry.
func conditionFailed(err error) bool {
	var failed *types.ConditionalCheckFailedException
	return errors.As(err, &failed)
}

// merge returns a's entries plus b's; the builder's placeholders (#0, :0)
// and the hand-written conditions' (#c_…, :c_…) never collide.
func merge[V any](a, b map[string]V) map[string]V {
	out := make(map[string]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (r *Results) key(jobID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"job_id": &types.AttributeValueMemberS{Value: jobID}}
}

// NewClaimToken is a random claim token: only the attempt that took the claim
// knows it, so only that attempt can complete the job.
func NewClaimToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
