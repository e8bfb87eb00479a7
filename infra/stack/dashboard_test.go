package stack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dashboardBody joins the dashboard's DashboardBody (an Fn::Join of text
// and references) with each {"Ref": id} written as <id>, and decodes it.
func dashboardBody(t *testing.T, s *synthed) map[string]any {
	t.Helper()
	props := s.only(t, "AWS::CloudWatch::Dashboard", nil)
	join := props["DashboardBody"].(map[string]any)["Fn::Join"].([]any)
	var b strings.Builder
	for _, part := range join[1].([]any) {
		switch p := part.(type) {
		case string:
			b.WriteString(p)
		case map[string]any:
			if id, ok := p["Ref"].(string); ok {
				b.WriteString("<" + id + ">")
				continue
			}
			b.WriteString("<token>")
		}
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(b.String()), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, b.String())
	}
	return body
}

// widgetMetrics describes the metric rows of the widget with that title:
// "Name stat" for a metric (checked to be on this function, in the
// worker's namespace), the expression text for a math expression.
func widgetMetrics(t *testing.T, body map[string]any, title, fn string) []string {
	t.Helper()
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		if props["title"] != title {
			continue
		}
		var out []string
		rows, _ := props["metrics"].([]any)
		for _, r := range rows {
			row := r.([]any)
			opts, _ := row[len(row)-1].(map[string]any)
			if expr, ok := opts["expression"].(string); ok {
				out = append(out, expr)
				continue
			}
			if len(row) != 5 || row[0] != MetricsNamespace || row[2] != "function" || row[3] != fn {
				t.Errorf("panel %q: metric %v is not one of the worker's on this function", title, row)
				continue
			}
			stat, _ := opts["stat"].(string)
			if stat == "" {
				stat = "Average" // CloudWatch's default, left out of the JSON
			}
			out = append(out, fmt.Sprintf("%v %s", row[1], stat))
		}
		return out
	}
	t.Fatalf("no dashboard widget titled %q", title)
	return nil
}

func TestDashboardPanelsOnTheWorkersMetrics(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		body := dashboardBody(t, s)
		fn := "<" + s.idOf(s.b.Function) + ">"
		panels := []struct {
			title string
			want  []string // its metrics ("Name stat") and expressions
		}{
			{"Jobs by outcome", []string{"JobsSucceeded Sum", "JobsFailed Sum", "JobsRetried Sum",
				"JobsSkipped Sum", "IF(ok + failed > 0, 100 * failed / (ok + failed), 0)"}},
			{"Jobs failed by error code", []string{`SEARCH('{batchinfer,function,error_code} MetricName="Errors" function="` + fn + `"', 'Sum', 300)`}},
			{"Retries by error code", []string{`SEARCH('{batchinfer,function,error_code} MetricName="Retries" function="` + fn + `"', 'Sum', 300)`}},
			{"Batch size (rows) and fill (%)", []string{"BatchSize Average", "BatchSize p50",
				"BatchFill Average", "PaddingWaste Average"}},
			{"Queue age (ms)", []string{"QueueAgeMs p50", "QueueAgeMs p99"}},
			{"Fetch vs infer vs store (ms per invocation)", []string{"FetchMs Average", "InferMs Average",
				"StoreMs Average", "InvocationMs p99"}},
			{"Cold starts and init (ms)", []string{"ColdStart Sum", "OrtInitMs Average",
				"ModelFetchMs Average", "SessionCreateMs Average"}},
			{"Cost per 1k inferences (USD)", []string{"IF(rows > 0, 1000 * cost / rows, 0)", "EstimatedCostUSD Sum",
				"BatchSize Sum", "GBSeconds Sum"}},
			{"AWS request cost (USD)", []string{"RequestCostUSD Sum"}},
		}
		for _, p := range panels {
			got := widgetMetrics(t, body, p.title, fn)
			for _, w := range p.want {
				if !slices.Contains(got, w) {
					t.Errorf("panel %q lacks %s; it has %q", p.title, w, got)
				}
			}
		}
	})
}
