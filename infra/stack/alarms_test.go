package stack

import (
	"testing"
)

// alarmQueries reads an alarm's Metrics (metric-math form): the expression
// it watches ("" for none) and each input as "Name stat" by id, checking
// every input is the worker's metric on this function over 5 minutes.
func alarmQueries(t *testing.T, s *synthed, props map[string]any) (expr string, inputs map[string]string) {
	t.Helper()
	fnDim := []any{map[string]any{"Name": "function", "Value": ref(s.idOf(s.b.Function))}}
	inputs = map[string]string{}
	queries, _ := props["Metrics"].([]any)
	for _, q := range queries {
		q := q.(map[string]any)
		if e, ok := q["Expression"].(string); ok {
			expr = e
			continue
		}
		ms := q["MetricStat"].(map[string]any)
		m := ms["Metric"].(map[string]any)
		if m["Namespace"] != MetricsNamespace || !jsonEq(m["Dimensions"], fnDim) || num(ms["Period"]) != 300 {
			t.Errorf("alarm input %v is not the worker's metric on this function over 5 minutes", q)
		}
		inputs[q["Id"].(string)] = m["MetricName"].(string) + " " + ms["Stat"].(string)
	}
	return expr, inputs
}

// TestAlarmsOnTheWorkersMetrics checks the two alarms on the worker's own
// EMF metrics; TestAlarmsAndDashboard checks the four on AWS's metrics.
func TestAlarmsOnTheWorkersMetrics(t *testing.T) {
	// One batching window plus one invocation: the default 5 s + 90 s for
	// the image variant, 10 s + 90 s for the zip one (testConfig).
	queueAgeMs := map[Variant]float64{VariantImage: 95_000, VariantZip: 100_000}
	cases := []struct {
		key       string
		threshold func(Variant) float64
		periods   float64
		expr      string
		inputs    map[string]string
	}{
		{AlarmQueueAgeP99, func(v Variant) float64 { return queueAgeMs[v] }, 3, "", map[string]string{"m1": "QueueAgeMs p99"}},
		{AlarmFailedRate, func(Variant) float64 { return FailedRateAlarmPercent }, 2,
			"IF(ok + failed > 0, 100 * failed / (ok + failed), 0)", map[string]string{"ok": "JobsSucceeded Sum", "failed": "JobsFailed Sum"}},
	}
	eachVariant(t, func(t *testing.T, s *synthed) {
		alarms := s.resources("AWS::CloudWatch::Alarm")
		for _, c := range cases {
			props := alarms[s.idOf(s.b.Alarms[c.key])]["Properties"].(map[string]any)
			if num(props["Threshold"]) != c.threshold(s.b.Config.Variant) || num(props["EvaluationPeriods"]) != c.periods ||
				props["ComparisonOperator"] != "GreaterThanThreshold" || props["TreatMissingData"] != "notBreaching" {
				t.Errorf("alarm %s: %v", c.key, props)
			}
			expr, inputs := alarmQueries(t, s, props)
			if expr != c.expr || !jsonEq(inputs, c.inputs) {
				t.Errorf("alarm %s watches %q over %v, want %q over %v", c.key, expr, inputs, c.expr, c.inputs)
			}
		}
	})
}
