package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/jsii-runtime-go"
)

// ReprocessBody is the message the schedule puts on the jobs queue. The
// scheduler fills scheduled_time; the worker reprocesses items whose status
// is `status` and whose updated_at lies within `since` before it.
func ReprocessBody(window string) map[string]any {
	return map[string]any{"reprocess": map[string]any{
		"status":         "FAILED",
		"since":          window,
		"scheduled_time": *awsscheduler.ContextAttribute_ScheduledTime(),
	}}
}

// addSchedule creates the scheduled reprocessing trigger. It targets the
// jobs queue rather than the function: the scheduler's role then needs only
// sqs:SendMessage on that one queue, and the run inherits the queue's
// retries, DLQ and concurrency cap instead of a second invocation path.
func (b *BatchInfer) addSchedule() {
	if b.Config.FIFO {
		// The scheduler sends to a FIFO queue only with content-based
		// deduplication, which a FIFO stack turns off (fifo.go): reprocess
		// there with `batchinfer reprocess` or a schedule of your own.
		return
	}
	b.Reprocess = awsscheduler.NewSchedule(b.Stack, jsii.String("Reprocess"), &awsscheduler.ScheduleProps{
		Description: jsii.String("batchinfer: re-run FAILED jobs (enable with context reprocessEnabled=true)"),
		Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(b.Config.ReprocessSchedule), nil),
		Enabled:     jsii.Bool(b.Config.ReprocessEnabled),
		Target: awsschedulertargets.NewSqsSendMessage(b.Jobs, &awsschedulertargets.SqsSendMessageProps{
			Input:         awsscheduler.ScheduleTargetInput_FromObject(ReprocessBody(b.Config.ReprocessWindow)),
			RetryAttempts: jsii.Number(3),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(1)),
		}),
	})
}
