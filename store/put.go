package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PutOutcome says what Put found.
type PutOutcome int

const (
	// Written: the outcome is stored (by this call, or by an earlier try
	// of the same attempt whose answer was lost).
	Written PutOutcome = iota
	// PutDone: another attempt already stored a final outcome.
	PutDone
	// PutBusy: another attempt holds a live claim on the job.
	PutBusy
	// PutConflict: the job_id was used with a different payload.
	PutConflict
	// PutStale: the job was reset after this attempt's work began; the
	// delivery that the reset enqueued does the work.
	PutStale
	// PutExpired: an IN_PROGRESS item whose lease ran out (a crashed
	// claim, or a reset job): take it with Claim, then Complete.
	PutExpired
)

func (o PutOutcome) String() string {
	return [...]string{"written", "done", "busy", "conflict", "stale", "expired"}[o]
}

// PutResult is Put's answer; Existing is the item found when not Written.
type PutResult struct {
	Outcome  PutOutcome
	Existing *Record
}

// Put stores a final outcome with one conditional PutItem and no claim:
// the optimistic protocol of docs/idempotency.md. It succeeds only when
// the job has no item yet; rec.ClaimToken is this attempt's token, so a
// retry after a lost answer recognises its own write. since is when this
// attempt's work began (the message's SentTimestamp): an item reset after
// it means the work is stale. created_at, updated_at and attempts (1) are
// set here.
func (r *Results) Put(ctx context.Context, rec Record, since time.Time) (PutResult, error) {
	if !rec.Status.Final() || rec.ClaimToken == "" {
		return PutResult{}, fmt.Errorf("put job %s: want a final status and a token, got %q", rec.JobID, rec.Status)
	}
	stamp := rec.UpdatedAt // the caller's, when it names its completion by it
	if stamp == "" {
		stamp = formatTime(r.now())
	}
	rec.CreatedAt, rec.UpdatedAt, rec.Attempts, rec.LeaseExpiresAt = stamp, stamp, 1, 0
	rec.StatusShard = StatusShard(rec.Status, rec.JobID)
	item, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return PutResult{}, fmt.Errorf("put job %s: encode item: %w", rec.JobID, err)
	}
	for range maxClaimRounds {
		_, err = r.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                aws.String(r.Table),
			Item:                     item,
			ConditionExpression:      aws.String("attribute_not_exists(#c_key)"),
			ExpressionAttributeNames: map[string]string{"#c_key": "job_id"},
		})
		if err == nil {
			return PutResult{Outcome: Written}, nil
		}
		if !conditionFailed(err) {
			return PutResult{}, Classify(err, "put job "+rec.JobID)
		}
		existing, err := r.Get(ctx, rec.JobID)
		if err != nil {
			return PutResult{}, err
		}
		if existing != nil {
			return PutResult{Outcome: r.judge(rec, existing, since), Existing: existing}, nil
		}
		// Deleted between the write and the read: try again.
	}
	return PutResult{}, Classify(fmt.Errorf("job %q changed %d times while writing", rec.JobID, maxClaimRounds), "put job "+rec.JobID)
}

// judge tells what an existing item means to an attempt that wanted to
// store rec.
func (r *Results) judge(rec Record, existing *Record, since time.Time) PutOutcome {
	switch {
	case existing.ClaimToken == rec.ClaimToken && existing.Status.Final():
		return Written
	case existing.PayloadHash != "" && existing.PayloadHash != rec.PayloadHash:
		return PutConflict
	case existing.Status.Final():
		return PutDone
	case existing.ResetAt > 0 && !since.IsZero() && existing.ResetAt > since.UnixMilli():
		return PutStale
	case existing.LeaseExpiresAt >= r.now().UnixMilli():
		return PutBusy
	}
	return PutExpired
}

// maxBatchGet is DynamoDB's limit on keys per BatchGetItem.
const maxBatchGet = 100

// Lookup reads the items of ids with consistent BatchGetItem calls of up
// to 100 keys: one round trip finds every finished duplicate of an
// invocation. Absent jobs are absent from the map. Unprocessed keys
// (throttling) are asked again with backoff until ctx ends.
func (r *Results) Lookup(ctx context.Context, ids []string) (map[string]*Record, error) {
	found := make(map[string]*Record, len(ids))
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, r.key(id))
		}
	}
	for start := 0; start < len(keys); start += maxBatchGet {
		if err := r.lookupChunk(ctx, keys[start:min(start+maxBatchGet, len(keys))], found); err != nil {
			return found, err
		}
	}
	return found, nil
}

func (r *Results) lookupChunk(ctx context.Context, keys []map[string]types.AttributeValue, found map[string]*Record) error {
	return untilProcessed(ctx, "look up jobs", func() (int, error) {
		out, err := r.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{r.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}},
		})
		if err != nil {
			return 0, Classify(err, fmt.Sprintf("look up %d jobs", len(keys)))
		}
		var recs []Record
		if err := attributevalue.UnmarshalListOfMaps(out.Responses[r.Table], &recs); err != nil {
			return 0, fmt.Errorf("look up jobs: decode items: %w", err)
		}
		for i := range recs {
			found[recs[i].JobID] = &recs[i]
		}
		keys = out.UnprocessedKeys[r.Table].Keys
		return len(keys), nil
	})
}
