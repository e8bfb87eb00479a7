package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// MetricsNamespace is where the worker writes its EMF metrics (its
// BATCHINFER_METRICS_NAMESPACE default); docs/observability.md lists them.
const MetricsNamespace = "batchinfer"

// workerMetric is one of the worker's own metrics on the function dimension.
func (b *BatchInfer) workerMetric(name, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(MetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"function": b.Function.FunctionName()},
		Statistic:     jsii.String(statistic),
		Period:        period,
		Label:         jsii.String(fmt.Sprintf("%s %s", name, statistic)),
	})
}

// failedRate is JobsFailed as a percentage of finished jobs (succeeded +
// failed); no finished jobs gives 0, not a division by zero.
func (b *BatchInfer) failedRate(period awscdk.Duration) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(ok + failed > 0, 100 * failed / (ok + failed), 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"ok":     b.workerMetric("JobsSucceeded", "Sum", period),
			"failed": b.workerMetric("JobsFailed", "Sum", period),
		},
		Label:  jsii.String("JobsFailed rate (%)"),
		Period: period,
	})
}

// addMetricsDashboard adds the panels on the worker's own metrics: what
// happened to jobs and why, how full the batches were, how long jobs
// waited, where the time went, cold starts, and what it all cost.
func (b *BatchInfer) addMetricsDashboard() {
	five := awscdk.Duration_Minutes(jsii.Number(5))
	m := func(name, stat string) awscloudwatch.IMetric { return b.workerMetric(name, stat, five) }
	graph := func(title string, stacked bool, left []awscloudwatch.IMetric, right ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Right: &right, Stacked: jsii.Bool(stacked), Width: jsii.Number(8),
		})
	}
	// One line per error_code the worker has reported: the codes are not
	// known when the stack is synthesised.
	byCode := func(metric string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,function,error_code} MetricName="%s" function="%s"', 'Sum', 300)`,
				MetricsNamespace, metric, *b.Function.FunctionName())),
			Label:  jsii.String(""),
			Period: five,
		})
	}
	costPer1k := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(rows > 0, 1000 * cost / rows, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"cost": m("EstimatedCostUSD", "Sum"), "rows": m("BatchSize", "Sum"),
		},
		Label: jsii.String("cost per 1k inferences (USD)"), Period: five,
	})
	b.Dashboard.AddWidgets(
		graph("Jobs by outcome", true, []awscloudwatch.IMetric{
			m("JobsSucceeded", "Sum"), m("JobsFailed", "Sum"), m("JobsRetried", "Sum"), m("JobsSkipped", "Sum")},
			b.failedRate(five)),
		graph("Jobs failed by error code", true, []awscloudwatch.IMetric{byCode("Errors")}),
		graph("Batch size (rows) and fill (%)", false, []awscloudwatch.IMetric{m("BatchSize", "Average"), m("BatchSize", "p50")},
			m("BatchFill", "Average"), m("PaddingWaste", "Average")),
	)
	b.Dashboard.AddWidgets(
		graph("Queue age (ms)", false, []awscloudwatch.IMetric{m("QueueAgeMs", "p50"), m("QueueAgeMs", "p99")}),
		graph("Fetch vs infer vs store (ms per invocation)", true, []awscloudwatch.IMetric{
			m("FetchMs", "Average"), m("InferMs", "Average"), m("StoreMs", "Average")}, m("InvocationMs", "p99")),
		graph("Cold starts and init (ms)", true, []awscloudwatch.IMetric{
			m("OrtInitMs", "Average"), m("ModelFetchMs", "Average"), m("SessionCreateMs", "Average")}, m("ColdStart", "Sum")),
	)
	b.Dashboard.AddWidgets(
		graph("Cost per 1k inferences (USD)", false, []awscloudwatch.IMetric{costPer1k},
			m("EstimatedCostUSD", "Sum"), m("GBSeconds", "Sum")),
		graph("AWS request cost (USD)", false, []awscloudwatch.IMetric{m("RequestCostUSD", "Sum")}, m("Records", "Sum")),
		graph("Retries by error code", true, []awscloudwatch.IMetric{byCode("Retries")}),
	)
}
