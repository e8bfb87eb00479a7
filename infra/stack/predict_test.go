package stack

import (
	"path/filepath"
	"strings"
	"testing"
)

// predictFn returns the predict function's logical id and properties.
func predictFn(t *testing.T, s *synthed) (string, map[string]any) {
	t.Helper()
	for id, r := range s.resources("AWS::Lambda::Function") {
		props := r["Properties"].(map[string]any)
		if d, _ := props["Description"].(string); strings.HasPrefix(d, "batchinfer predict") {
			return id, props
		}
	}
	t.Fatal("no predict function")
	return "", nil
}

func TestPredictRoutesAreLambdaProxiesWithKeys(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		id, fn := predictFn(t, s)
		if num(fn["Timeout"]) != 15 || num(fn["MemorySize"]) != 1769 {
			t.Errorf("predict function timeout %v memory %v, want 15 and 1769", fn["Timeout"], fn["MemorySize"])
		}
		worker := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		if asJSON(fn["Code"]) != asJSON(worker["Code"]) || asJSON(fn["Layers"]) != asJSON(worker["Layers"]) {
			t.Errorf("predict code %s is not the worker's artifact %s", asJSON(fn["Code"]), asJSON(worker["Code"]))
		}
		for _, esm := range s.resources("AWS::Lambda::EventSourceMapping") {
			if strings.Contains(asJSON(esm), id) {
				t.Error("the predict function has an event source")
			}
		}
		for _, part := range []string{"predict", "infer"} {
			m := s.method(t, "POST", part)
			integ := m["Integration"].(map[string]any)
			if integ["Type"] != "AWS_PROXY" || m["ApiKeyRequired"] != true || !strings.Contains(asJSON(integ["Uri"]), id) {
				t.Errorf("POST %s: integration %s key %v uri %s; want AWS_PROXY to the predict function with a key", part, integ["Type"], m["ApiKeyRequired"], asJSON(integ["Uri"]))
			}
		}
		if len(s.resources("AWS::Lambda::Alias")) != 0 {
			t.Error("an alias without provisioned concurrency")
		}
	})
}

func TestPredictAlarms(t *testing.T) {
	s := synth(t, VariantImage)
	alarms := s.resources("AWS::CloudWatch::Alarm")
	for key, want := range map[string]string{AlarmPredictLatencyP99: "Latency p99 1000", AlarmPredict5xx: "5XXError Sum 0"} {
		props := alarms[s.idOf(s.b.Alarms[key])]["Properties"].(map[string]any)
		stat, _ := props["Statistic"].(string)
		if stat == "" {
			stat, _ = props["ExtendedStatistic"].(string)
		}
		got := props["MetricName"].(string) + " " + stat + " " + strings.TrimSuffix(asJSON(props["Threshold"]), ".0")
		if props["Namespace"] != "AWS/ApiGateway" || got != want || !strings.Contains(asJSON(props["Dimensions"]), "/v1/predict") {
			t.Errorf("alarm %s: %s on %v %v, want %s on /v1/predict", key, got, props["Namespace"], props["Dimensions"], want)
		}
	}
}

func TestPredictProvisionedConcurrency(t *testing.T) {
	cfg := Config{RepoDir: filepath.Join("..", ".."), Predict: PredictConfig{ProvisionedConcurrency: 3}}
	s := synthConfig(t, "predict-pc", cfg)
	id, _ := predictFn(t, s)
	alias := s.only(t, "AWS::Lambda::Alias", nil)
	pc := alias["ProvisionedConcurrencyConfig"].(map[string]any)
	if num(pc["ProvisionedConcurrentExecutions"]) != 3 || alias["Name"] != "live" || !strings.Contains(asJSON(alias["FunctionName"]), id) {
		t.Errorf("alias %v", alias)
	}
	aliasID := ""
	for aid := range s.resources("AWS::Lambda::Alias") {
		aliasID = aid
	}
	if uri := asJSON(s.method(t, "POST", "predict")["Integration"].(map[string]any)["Uri"]); !strings.Contains(uri, aliasID) {
		t.Errorf("the route calls %s, not the provisioned alias %s", uri, aliasID)
	}
}

// roleOf is the logical id of a function's role.
func roleOf(t *testing.T, fn map[string]any) string {
	t.Helper()
	att, _ := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)
	if len(att) == 0 {
		t.Fatalf("function role %v", fn["Role"])
	}
	return att[0].(string)
}
