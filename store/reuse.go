package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ReusePrefix starts the key of every reuse entry. Job ids are
// [A-Za-z0-9_-], so no job's item can take a key with a '#'.
const ReusePrefix = "reuse#"

// ReuseKey is the results-table key of the output model at version
// produced for an input whose bytes hash to sha256 (hex). The version is
// in the key: a new model version never finds an old version's outputs.
func ReuseKey(model, version, sha256 string) string {
	return ReusePrefix + model + "#" + version + "#" + sha256
}

// maxBatchWrite is DynamoDB's limit on requests per BatchWriteItem.
const maxBatchWrite = 25

// PutReuse writes reuse entries (Records keyed by ReuseKey, holding the
// output or its output_uri, ReusedFrom naming the job that produced it,
// ExpiresAt their TTL) in BatchWriteItem calls of up to 25, unprocessed
// items sent again with backoff. A later entry for the same key replaces
// the earlier: both hold the same version's output for the same input.
func (r *Results) PutReuse(ctx context.Context, entries []Record) error {
	var reqs []types.WriteRequest
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.JobID] {
			continue // BatchWriteItem refuses two writes of one key in a call
		}
		seen[e.JobID] = true
		item, err := attributevalue.MarshalMap(e)
		if err != nil {
			return fmt.Errorf("encode reuse entry %s: %w", e.JobID, err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	for start := 0; start < len(reqs); start += maxBatchWrite {
		if err := r.writeChunk(ctx, reqs[start:min(start+maxBatchWrite, len(reqs))]); err != nil {
			return err
		}
	}
	return nil
}

func (r *Results) writeChunk(ctx context.Context, reqs []types.WriteRequest) error {
	return untilProcessed(ctx, "write reuse entries", func() (int, error) {
		out, err := r.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{r.Table: reqs},
		})
		if err != nil {
			return 0, Classify(err, fmt.Sprintf("write %d reuse entries", len(reqs)))
		}
		reqs = out.UnprocessedItems[r.Table]
		return len(reqs), nil
	})
}
