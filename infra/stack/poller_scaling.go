package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/jsii-runtime-go"
)

// Scaling the poller on the queue's backlog per task, the pattern AWS
// documents for queue workers ("Scaling based on Amazon SQS", EC2 Auto
// Scaling User Guide), done with a metric math expression in the target
// tracking policy rather than a custom metric that something would have to
// publish:
//
//	backlog per task = (visible + in flight) / running tasks
//
// In-flight messages count as backlog so that a task busy with a full
// batch is not scaled in under it (SIGTERM would hand its batch back).
// Target tracking scales out and in, down to pollerMinTasks (0 allowed);
// at zero tasks the division has nothing to divide by and target
// tracking multiplies from zero, so a step policy on a second expression
// (messages visible and no task running) starts the first task.

// BacklogPerTaskExpression is the target tracking policy's metric.
const BacklogPerTaskExpression = "(visible + inflight) / IF(FILL(tasks, 0) > 0, FILL(tasks, 0), 1)"

// WakeExpression is 1 when jobs wait and no task runs.
const WakeExpression = "IF(visible > 0 AND FILL(tasks, 0) == 0, 1, 0)"

// Alarm keys of the poller (docs/deploy.md).
const (
	AlarmPollerBacklog = "PollerBacklog"
	AlarmPollerMemory  = "PollerMemory"
)

func (b *BatchInfer) addPollerScaling() {
	c, p := b.Config.Poller, b.Poller
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	resourceID := awscdk.Fn_Join(jsii.String("/"), &[]*string{jsii.String("service"), p.Cluster.ClusterName(), p.Service.ServiceName()})
	target := awsapplicationautoscaling.NewScalableTarget(b.Stack, jsii.String("PollerScaling"), &awsapplicationautoscaling.ScalableTargetProps{
		ServiceNamespace:  awsapplicationautoscaling.ServiceNamespace_ECS,
		ResourceId:        resourceID,
		ScalableDimension: jsii.String("ecs:service:DesiredCount"),
		MinCapacity:       jsii.Number(float64(c.MinTasks)),
		MaxCapacity:       jsii.Number(float64(c.MaxTasks)),
	})
	target.Node().AddDependency(p.Service)

	dim := func(name string, value *string) *awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricDimensionProperty {
		return &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricDimensionProperty{Name: jsii.String(name), Value: value}
	}
	queueDims := []any{dim("QueueName", b.Jobs.QueueName())}
	taskDims := []any{dim("ClusterName", p.Cluster.ClusterName()), dim("ServiceName", p.Service.ServiceName())}
	stat := func(id, ns, name string, dims []any, statistic string) any {
		return &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricDataQueryProperty{
			Id: jsii.String(id), ReturnData: jsii.Bool(false),
			MetricStat: &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricStatProperty{
				Metric: &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricProperty{
					Namespace: jsii.String(ns), MetricName: jsii.String(name), Dimensions: &dims,
				},
				Stat: jsii.String(statistic),
			},
		}
	}
	queries := []any{
		stat("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", queueDims, "Sum"),
		stat("inflight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", queueDims, "Sum"),
		stat("tasks", "ECS/ContainerInsights", "RunningTaskCount", taskDims, "Average"),
		&awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingMetricDataQueryProperty{
			Id: jsii.String("backlog_per_task"), Expression: jsii.String(BacklogPerTaskExpression),
			Label: jsii.String("jobs per task"), ReturnData: jsii.Bool(true),
		},
	}
	awsapplicationautoscaling.NewCfnScalingPolicy(b.Stack, jsii.String("PollerBacklogPerTask"), &awsapplicationautoscaling.CfnScalingPolicyProps{
		PolicyName:      jsii.String("backlog-per-task"),
		PolicyType:      jsii.String("TargetTrackingScaling"),
		ScalingTargetId: target.ScalableTargetId(),
		TargetTrackingScalingPolicyConfiguration: &awsapplicationautoscaling.CfnScalingPolicy_TargetTrackingScalingPolicyConfigurationProperty{
			TargetValue:      jsii.Number(float64(c.BacklogPerTask)),
			ScaleOutCooldown: jsii.Number(60),
			ScaleInCooldown:  jsii.Number(300),
			CustomizedMetricSpecification: &awsapplicationautoscaling.CfnScalingPolicy_CustomizedMetricSpecificationProperty{
				Metrics: &queries,
			},
		},
	})

	metrics := b.pollerMetrics(minute)
	wake := awsapplicationautoscaling.NewStepScalingAction(b.Stack, jsii.String("PollerWake"), &awsapplicationautoscaling.StepScalingActionProps{
		ScalingTarget:         target,
		AdjustmentType:        awsapplicationautoscaling.AdjustmentType_CHANGE_IN_CAPACITY,
		Cooldown:              minute,
		MetricAggregationType: awsapplicationautoscaling.MetricAggregationType_MAXIMUM,
	})
	wake.AddAdjustment(&awsapplicationautoscaling.AdjustmentTier{Adjustment: jsii.Number(1), LowerBound: jsii.Number(0)})
	wakeAlarm := awscloudwatch.NewAlarm(b.Stack, jsii.String("PollerWakeAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Jobs wait and no poller task runs: start one (the backlog-per-task policy takes over from there)."),
		Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(WakeExpression), UsingMetrics: &metrics, Period: minute,
		}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	wakeAlarm.AddAlarmAction(awscloudwatchactions.NewApplicationScalingAction(wake))
}

// pollerMetrics are the expressions' inputs by id.
func (b *BatchInfer) pollerMetrics(period awscdk.Duration) map[string]awscloudwatch.IMetric {
	p := b.Poller
	return map[string]awscloudwatch.IMetric{
		"visible":  b.Jobs.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		"inflight": b.Jobs.MetricApproximateNumberOfMessagesNotVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		"tasks": awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("ECS/ContainerInsights"), MetricName: jsii.String("RunningTaskCount"),
			DimensionsMap: &map[string]*string{"ClusterName": p.Cluster.ClusterName(), "ServiceName": p.Service.ServiceName()},
			Statistic:     jsii.String("Average"), Period: period,
		}),
	}
}

// addPollerAlarms adds the poller's two alarms and its dashboard row:
// the backlog per task staying far over the target (the service is at
// pollerMaxTasks or tasks do not start), and memory near the task's limit
// (a model too big for the task: the kernel kills it mid-batch).
func (b *BatchInfer) addPollerAlarms(alarm func(key, desc string, m awscloudwatch.IMetric, threshold float64, periods int)) {
	if b.Poller == nil {
		return
	}
	c, p := b.Config.Poller, b.Poller
	five := awscdk.Duration_Minutes(jsii.Number(5))
	metrics := b.pollerMetrics(five)
	backlog := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(BacklogPerTaskExpression), UsingMetrics: &metrics, Period: five, Label: jsii.String("jobs per task"),
	})
	alarm(AlarmPollerBacklog, fmt.Sprintf("The backlog per poller task has stayed over 4 × its target (%d) for 15 minutes: the service is at pollerMaxTasks (%d) or its tasks do not start.", c.BacklogPerTask, c.MaxTasks),
		backlog, float64(4*c.BacklogPerTask), 3)
	memory := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/ECS"), MetricName: jsii.String("MemoryUtilization"),
		DimensionsMap: &map[string]*string{"ClusterName": p.Cluster.ClusterName(), "ServiceName": p.Service.ServiceName()},
		Statistic:     jsii.String("Maximum"), Period: five,
	})
	alarm(AlarmPollerMemory, "A poller task used over 90% of its memory: a bigger model or batch than pollerMemoryMiB allows; the kernel will kill it mid-batch.",
		memory, 90, 1)
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &left, Width: jsii.Number(8)})
	}
	b.Dashboard.AddWidgets(graph("Poller tasks", metrics["tasks"]), graph("Backlog per task", backlog), graph("Poller memory (%)", memory))
}
