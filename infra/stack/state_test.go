package stack

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// stateConfig is the fargate poller stack with feature tables and reuse.
func stateConfig() Config {
	c := fargateConfig()
	c.Routes = "flowers/=iris-feat"
	c.State = StateConfig{FeatureTables: map[string]string{"iris-feat": "flowers", "other": "orders"}, ReuseModels: []string{"minilm", "iris-rf"}}
	return c
}

// computes are the roles and environments of what runs models: the worker
// function, the predict function and the poller's task.
type compute struct {
	name, role string
	env        map[string]string
}

func computesOf(t *testing.T, s *synthed) []compute {
	t.Helper()
	fnEnv := func(fn map[string]any) map[string]string {
		out := map[string]string{}
		for k, v := range fn["Environment"].(map[string]any)["Variables"].(map[string]any) {
			out[k], _ = v.(string)
		}
		return out
	}
	worker := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
	_, predict := predictFn(t, s)
	_, ctr := containerOf(t, s)
	pollerEnv := map[string]string{}
	for _, e := range ctr["Environment"].([]any) {
		e := e.(map[string]any)
		pollerEnv[e["Name"].(string)], _ = e["Value"].(string)
	}
	return []compute{
		{"worker", roleOf(t, worker), fnEnv(worker)},
		{"predict", roleOf(t, predict), fnEnv(predict)},
		{"poller", s.idOf(s.b.Poller.TaskRole), pollerEnv},
	}
}

func TestStateReachesEveryCompute(t *testing.T) {
	s := synthConfig(t, "state", stateConfig())
	table := s.idOf(s.b.Table)
	for _, c := range computesOf(t, s) {
		for name, want := range map[string]string{
			"BATCHINFER_FEATURE_TABLES": "iris-feat=flowers,other=orders",
			"BATCHINFER_REUSE_MODELS":   "minilm,iris-rf",
			"BATCHINFER_ROUTES":         "flowers/=iris-feat",
		} {
			if c.env[name] != want {
				t.Errorf("%s: %s = %q, want %q", c.name, name, c.env[name], want)
			}
		}
		// The feature tables: read, and only read, by every role.
		for _, ft := range []string{"table/flowers", "table/orders"} {
			var onTable []string
			for _, st := range statementsOfRole(s, c.role) {
				if strings.Contains(asJSON(st.resources), ft) {
					onTable = append(onTable, st.actions...)
				}
			}
			slices.Sort(onTable)
			if !slices.Equal(onTable, []string{"dynamodb:BatchGetItem", "dynamodb:GetItem"}) {
				t.Errorf("%s may %v on %s, want BatchGetItem and GetItem only", c.name, onTable, ft)
			}
		}
		// The results table: batched reads (duplicates and reuse entries);
		// writes of reuse entries only under reuse#, and only by the roles
		// that run jobs (predict writes nothing).
		var reads, reuseWrites bool
		for _, st := range statementsOfRole(s, c.role) {
			if !strings.Contains(asJSON(st.resources), table) {
				continue
			}
			acts := st.actions
			reads = reads || slices.Contains(acts, "dynamodb:BatchGetItem")
			if slices.Contains(acts, "dynamodb:BatchWriteItem") {
				reuseWrites = true
				if !strings.Contains(asJSON(st.raw["Condition"]), `"dynamodb:LeadingKeys":["reuse#*"]`) {
					t.Errorf("%s writes the results table in batches without the reuse# leading-key condition: %s", c.name, asJSON(st.raw))
				}
			}
			if c.name == "predict" {
				for _, a := range acts {
					if a != "dynamodb:BatchGetItem" && a != "dynamodb:GetItem" {
						t.Errorf("predict may %s on the results table: it writes nothing", a)
					}
				}
				if !strings.Contains(asJSON(st.raw["Condition"]), `"dynamodb:LeadingKeys":["reuse#*"]`) {
					t.Errorf("predict reads the results table beyond the reuse# entries: %s", asJSON(st.raw))
				}
			}
		}
		if !reads {
			t.Errorf("%s cannot BatchGetItem the results table (duplicates, reuse entries)", c.name)
		}
		if reuseWrites != (c.name != "predict") {
			t.Errorf("%s writes reuse entries: %v", c.name, reuseWrites)
		}
	}
}

// TestStateUnset: without the options no compute gets the variables or a
// feature-table grant.
func TestStateUnset(t *testing.T) {
	s := synthConfig(t, "fargate", fargateConfig())
	for _, c := range computesOf(t, s) {
		for _, name := range []string{"BATCHINFER_FEATURE_TABLES", "BATCHINFER_REUSE_MODELS"} {
			if v, ok := c.env[name]; ok {
				t.Errorf("%s has %s=%q without the option", c.name, name, v)
			}
		}
		for _, st := range statementsOfRole(s, c.role) {
			if st.raw["Sid"] == "ReadFeatureTables" {
				t.Errorf("%s may read feature tables none named", c.name)
			}
		}
	}
}

func TestStateContext(t *testing.T) {
	ctx := map[string]any{"featureTables": "iris-feat=flowers, other = orders", "reuseModels": []any{"minilm", "iris-rf"}}
	app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, ctx), Outdir: jsii.String(tempDir(t))})
	c, err := ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if c.State.FeatureTables["iris-feat"] != "flowers" || c.State.FeatureTables["other"] != "orders" || !slices.Equal(c.State.ReuseModels, []string{"minilm", "iris-rf"}) {
		t.Errorf("state %+v", c.State)
	}
	bad := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, map[string]any{"featureTables": "iris-feat"}), Outdir: jsii.String(tempDir(t))})
	if _, err := ConfigFromContext(bad.Node()); err == nil || !strings.Contains(err.Error(), "featureTables") {
		t.Errorf("featureTables without =: %v", err)
	}
}
