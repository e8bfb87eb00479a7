package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// The status index is write-sharded: an item's status_shard is its status
// and one of StatusShards numbers derived from its job_id (SUCCEEDED#7),
// so the index's writes spread over StatusShards partition keys instead of
// piling onto one per status. One index partition key takes about 1,000
// write units a second, and a throttled index throttles the table's
// writes: the old index, keyed by `status` alone, capped the whole
// deployment near 1,000 jobs/s (docs/scale.md). Listing queries every
// shard and merges by updated_at. The index projects only what listing
// and reprocessing read (IndexProjection), so an entry costs one write
// unit whatever the item's output.
const (
	// StatusIndex is the sharded index: partition key status_shard, sort
	// key updated_at.
	StatusIndex = "status_shard-updated_at"
	// LegacyStatusIndex is the index it replaces (partition key status,
	// projection ALL); docs/deploy.md says how a stack moves off it.
	LegacyStatusIndex = "status-updated_at"
	// StatusShards is fixed: the shard is written into every item, so
	// changing it strands the items written before under numbers no
	// longer queried.
	StatusShards = 32
	// StatusShardAttr is the index's partition key attribute.
	StatusShardAttr = "status_shard"
)

// IndexProjection is the non-key attributes the status index carries: what
// `batchinfer results --status` prints and reprocessing selects and
// requeues by. Outputs stay out of it.
var IndexProjection = []string{"status", "model", "model_version", "input", "error", "attempts", "created_at", "metadata"}

// StatusShard is the status_shard value of a job in status.
func StatusShard(status Status, jobID string) string {
	h := fnv.New32a()
	h.Write([]byte(jobID))
	return fmt.Sprintf("%s#%d", status, h.Sum32()%StatusShards)
}

// Cursor is a position in the merged listing: items after (UpdatedAt,
// JobID) in that order. The zero Cursor is the start.
type Cursor struct {
	UpdatedAt string `dynamodbav:"updated_at"`
	JobID     string `dynamodbav:"job_id"`
}

// after reports whether rec comes after c in listing order.
func (c Cursor) after(rec Record) bool {
	return rec.UpdatedAt > c.UpdatedAt || rec.UpdatedAt == c.UpdatedAt && rec.JobID > c.JobID
}

// CursorOf is the position just at rec.
func CursorOf(rec Record) Cursor { return Cursor{UpdatedAt: rec.UpdatedAt, JobID: rec.JobID} }

// Window bounds a listing: updated at or after Since, before Until (zero:
// no bound), after the cursor After in the listing's order, which is
// oldest first, or newest first when Newest is set (the index read
// backwards: what a person looking at recent jobs wants first).
type Window struct {
	Since, Until time.Time
	After        Cursor
	Newest       bool
}

// follows reports whether rec comes after c in w's listing order.
func (w Window) follows(c Cursor, rec Record) bool {
	if w.Newest {
		return rec.UpdatedAt < c.UpdatedAt || rec.UpdatedAt == c.UpdatedAt && rec.JobID < c.JobID
	}
	return c.after(rec)
}

// ListByStatus returns up to limit jobs (all when limit <= 0) in status
// updated at or after since, oldest first. Items come from the status
// index (IndexProjection: no outputs); a secondary index is eventually
// consistent, so a job completed a moment ago may be missing.
func (r *Results) ListByStatus(ctx context.Context, status Status, since time.Time, limit int) ([]Record, error) {
	return r.ListWindow(ctx, status, Window{Since: since}, limit)
}

// shardQueries is how many shards are queried at once.
const shardQueries = 8

// ListWindow lists the jobs in status within w, oldest first (then by
// job_id; the reverse when w.Newest), at most limit (all when limit <= 0): every shard is queried and
// the answers merged.
func (r *Results) ListWindow(ctx context.Context, status Status, w Window, limit int) ([]Record, error) {
	var (
		mu    sync.Mutex
		all   []Record
		first error
		wg    sync.WaitGroup
		slots = make(chan struct{}, shardQueries)
	)
	for n := range StatusShards {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			recs, err := r.listShard(ctx, fmt.Sprintf("%s#%d", status, n), w, limit)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = Classify(err, fmt.Sprintf("list %s jobs (shard %d)", status, n))
			}
			all = append(all, recs...)
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	sort.Slice(all, func(i, j int) bool { return w.follows(CursorOf(all[i]), all[j]) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// listShard reads one shard's entries within w, in w's order, up to limit.
func (r *Results) listShard(ctx context.Context, shard string, w Window, limit int) ([]Record, error) {
	lo, hi := w.bounds()
	if lo > hi {
		return nil, nil
	}
	key := expression.Key(StatusShardAttr).Equal(expression.Value(shard)).
		And(expression.Key("updated_at").Between(expression.Value(lo), expression.Value(hi)))
	expr, err := expression.NewBuilder().WithKeyCondition(key).Build()
	if err != nil {
		return nil, fmt.Errorf("build expression: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(r.Table),
		IndexName:                 aws.String(StatusIndex),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!w.Newest),
	}
	var recs []Record
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(min(limit-len(recs)+1, 1000))) // +1: one may sit at the cursor
		}
		page, err := r.Client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		var got []Record
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &got); err != nil {
			return nil, fmt.Errorf("decode items: %w", err)
		}
		for _, rec := range got {
			if w.After == (Cursor{}) || w.follows(w.After, rec) {
				recs = append(recs, rec)
			}
		}
		if len(page.LastEvaluatedKey) == 0 || (limit > 0 && len(recs) >= limit) {
			return recs, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// bounds is the updated_at range w reads, both ends inclusive: the
// cursor narrows the end the listing starts from (the low end oldest
// first, the high end newest first); the entries at the cursor's own
// timestamp are read and filtered by job_id.
func (w Window) bounds() (lo, hi string) {
	lo, hi = formatTime(w.Since), "9999"
	if !w.Until.IsZero() {
		// updated_at < Until: the timestamps have a fixed width, so the
		// inclusive BETWEEN stops just under it.
		hi = formatTime(w.Until.Add(-time.Nanosecond))
	}
	switch {
	case w.After == Cursor{}:
	case w.Newest && w.After.UpdatedAt < hi:
		hi = w.After.UpdatedAt
	case !w.Newest && w.After.UpdatedAt > lo:
		lo = w.After.UpdatedAt
	}
	return lo, hi
}
