package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// Alarm keys in BatchInfer.Alarms; docs/deploy.md says what each means.
const (
	AlarmDLQ           = "DeadLetters"
	AlarmOldestMessage = "OldestMessage"
	AlarmErrors        = "FunctionErrors"
	AlarmThrottles     = "FunctionThrottles"
	AlarmFailedRate    = "JobsFailedRate"
	AlarmQueueAgeP99   = "QueueAgeP99"
)

// FailedRateAlarmPercent is the share of finished jobs that may fail
// (permanently: FAILED items, DLQ entries) in five minutes before the
// JobsFailedRate alarm fires: a bad producer or a broken model, not the
// odd undecodable input.
const FailedRateAlarmPercent = 5

// QueueAgeAlarmMs is the p99 queue age (SQS SentTimestamp to the start of
// work) over which the QueueAgeP99 alarm fires: longer than one batching
// window plus one whole invocation means jobs are not picked up on their
// first round (a backlog, or retries waiting out their visibility timeout).
func (c Config) QueueAgeAlarmMs() float64 {
	return float64(c.MaxBatchingWindowSeconds+c.TimeoutSeconds) * 1000
}

// addAlarms creates the six alarms and the dashboard: AWS's own metrics
// here, the worker's EMF metrics in dashboard.go.
func (b *BatchInfer) addAlarms() {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	alarm := func(key, desc string, m awscloudwatch.IMetric, threshold float64, periods int) {
		b.Alarms[key] = awscloudwatch.NewAlarm(b.Stack, jsii.String(key+"Alarm"), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(float64(periods)),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	b.Alarms = map[string]awscloudwatch.Alarm{}
	dlqVisible := b.DeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Maximum")})
	oldest := b.Jobs.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Maximum")})
	errs := b.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})
	throttles := b.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: five, Statistic: jsii.String("Sum")})

	alarm(AlarmDLQ, "Jobs failed permanently or exhausted their retries; read them with `batchinfer dlq`.", dlqVisible, 0, 1)
	alarm(AlarmOldestMessage, "The jobs queue is falling behind: the oldest job waits longer than the threshold.",
		oldest, float64(b.Config.OldestMessageAlarmSeconds), 5)
	alarm(AlarmErrors, "Whole invocations failed (crash, timeout, init error); item failures are not counted here.", errs, 0, 1)
	alarm(AlarmThrottles, "Invocations were throttled: concurrency is capped below what the event source asks for.", throttles, 0, 1)
	alarm(AlarmFailedRate, fmt.Sprintf("More than %d%% of finished jobs failed permanently in 5 minutes, twice running; `batchinfer dlq list` shows their error codes.", FailedRateAlarmPercent),
		b.failedRate(five), FailedRateAlarmPercent, 2)
	alarm(AlarmQueueAgeP99, "The p99 wait of jobs (sent to started) is over one batching window plus one invocation for 15 minutes: a backlog or retries.",
		b.workerMetric("QueueAgeMs", "p99", five), b.Config.QueueAgeAlarmMs(), 3)

	b.Dashboard = awscloudwatch.NewDashboard(b.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8)})
	}
	b.Dashboard.AddWidgets(
		graph("Jobs queue depth", b.Jobs.MetricApproximateNumberOfMessagesVisible(nil), b.Jobs.MetricApproximateNumberOfMessagesNotVisible(nil)),
		graph("Oldest job age (s)", oldest),
		graph("Dead letters", dlqVisible),
	)
	b.Dashboard.AddWidgets(
		graph("Invocations, errors, throttles", b.Function.MetricInvocations(nil), errs, throttles),
		graph("Duration (ms)", b.Function.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p90")})),
		graph("Concurrent executions", b.Function.Metric(jsii.String("ConcurrentExecutions"), &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum")})),
	)
	b.addPollerAlarms(alarm)
	statuses := []interfacesawscloudwatch.IAlarmRef{b.Alarms[AlarmDLQ], b.Alarms[AlarmOldestMessage], b.Alarms[AlarmErrors],
		b.Alarms[AlarmThrottles], b.Alarms[AlarmFailedRate], b.Alarms[AlarmQueueAgeP99]}
	if b.Poller != nil {
		statuses = append(statuses, b.Alarms[AlarmPollerBacklog], b.Alarms[AlarmPollerMemory])
	}
	b.Dashboard.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &statuses, Width: jsii.Number(24),
	}))
	b.addMetricsDashboard()
}
