package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NotifyPendingAttr marks a finished item whose completion event is not
// yet published: it holds the event's notification_id. The delivery that
// finished the job sets it when its publish retries ran out; a later
// delivery of the same job finds it, publishes, and clears it.
const NotifyPendingAttr = "notify_pending"

// MarkNotifyPending sets notify_pending on a finished item. The condition
// (the item is final) keeps a mark from resurrecting a deleted or reset
// item; false, nil means the item was not final and nothing was written.
func (r *Results) MarkNotifyPending(ctx context.Context, jobID, notificationID string) (bool, error) {
	cond := expression.Name("status").In(expression.Value(string(StatusSucceeded)), expression.Value(string(StatusFailed)))
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name(NotifyPendingAttr), expression.Value(notificationID))).
		WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	return r.updateMark(ctx, jobID, "mark completion of job "+jobID+" pending", expr)
}

// ClearNotifyPending removes the mark if it still names notificationID
// (a reprocess that finished the job again owns the newer mark); false,
// nil means it did not.
func (r *Results) ClearNotifyPending(ctx context.Context, jobID, notificationID string) (bool, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Remove(expression.Name(NotifyPendingAttr))).
		WithCondition(expression.Name(NotifyPendingAttr).Equal(expression.Value(notificationID))).Build()
	if err != nil {
		return false, err
	}
	return r.updateMark(ctx, jobID, "clear pending completion of job "+jobID, expr)
}

func (r *Results) updateMark(ctx context.Context, jobID, doing string, expr expression.Expression) (bool, error) {
	_, err := r.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(r.Table), Key: r.key(jobID),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, Classify(err, doing)
	}
	return true, nil
}
