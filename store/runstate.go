package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// RunState is where a resumable reprocessing run stands: the listing's
// upper bound fixed when the run began (jobs updated after it, the run's
// own re-completions among them, are not its business) and the cursor
// after the last job it handled. It lives in the results table under
// RunKeyPrefix + the run's id; it has no status, so no index lists it.
type RunState struct {
	Until   string `dynamodbav:"run_until"`
	After   Cursor `dynamodbav:"run_after"`
	Handled int    `dynamodbav:"run_handled"`
}

// RunKeyPrefix starts the job_id of a run's state item.
const RunKeyPrefix = "reprocess-run#"

// runStateTTL keeps a run's state long enough for any redelivery of its
// request (SQS keeps messages at most 14 days).
const runStateTTL = 15 * 24 * time.Hour

// LoadRun returns run id's state, and whether it exists.
func (r *Results) LoadRun(ctx context.Context, id string) (RunState, bool, error) {
	out, err := r.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(r.Table), Key: r.key(RunKeyPrefix + id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return RunState{}, false, Classify(err, "load reprocess run "+id)
	}
	if len(out.Item) == 0 {
		return RunState{}, false, nil
	}
	var st RunState
	if err := attributevalue.UnmarshalMap(out.Item, &st); err != nil {
		return RunState{}, false, fmt.Errorf("load reprocess run %s: decode: %w", id, err)
	}
	return st, true, nil
}

// SaveRun stores run id's state.
func (r *Results) SaveRun(ctx context.Context, id string, st RunState) error {
	item, err := attributevalue.MarshalMap(st)
	if err != nil {
		return fmt.Errorf("save reprocess run %s: encode: %w", id, err)
	}
	key := r.key(RunKeyPrefix + id)
	item["job_id"] = key["job_id"]
	exp, err := attributevalue.Marshal(r.now().Add(runStateTTL).Unix())
	if err != nil {
		return err
	}
	item["expires_at"] = exp
	_, err = r.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: item})
	return Classify(err, "save reprocess run "+id)
}
