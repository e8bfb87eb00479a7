package stack

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// StateConfig is the state the models read while they run (issue 18):
// feature tables and result reuse. Every compute that runs models gets it
// alike — the worker function, the predict function and the ECS poller's
// task — through Environment and dataStatements, so none of them can lack
// a table the others read.
type StateConfig struct {
	// FeatureTables ("featureTables": model=table,...) is
	// BATCHINFER_FEATURE_TABLES; the tables are read-only to every role.
	FeatureTables map[string]string
	// ReuseModels ("reuseModels": model,...) is BATCHINFER_REUSE_MODELS:
	// models whose results are reused beyond those whose manifest says
	// "reuse": true.
	ReuseModels []string
}

// stateFromContext reads StateConfig with ConfigFromContext's getter.
func stateFromContext(get func(string) (string, bool)) (StateConfig, error) {
	var s StateConfig
	if v, ok := get("featureTables"); ok {
		s.FeatureTables = map[string]string{}
		for _, pair := range strings.Split(v, ",") {
			m, t, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || m == "" || t == "" {
				return s, fmt.Errorf("context %q: %q is not model=table", "featureTables", pair)
			}
			s.FeatureTables[strings.TrimSpace(m)] = strings.TrimSpace(t)
		}
	}
	if v, ok := get("reuseModels"); ok {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				s.ReuseModels = append(s.ReuseModels, m)
			}
		}
	}
	return s, nil
}

// environment is the state's variables (none when unset).
func (s StateConfig) environment() map[string]*string {
	env := map[string]*string{}
	if len(s.FeatureTables) > 0 {
		var pairs []string
		for m, t := range s.FeatureTables {
			pairs = append(pairs, m+"="+t)
		}
		slices.Sort(pairs)
		env["BATCHINFER_FEATURE_TABLES"] = jsii.String(strings.Join(pairs, ","))
	}
	if len(s.ReuseModels) > 0 {
		env["BATCHINFER_REUSE_MODELS"] = jsii.String(strings.Join(s.ReuseModels, ","))
	}
	return env
}

// featureTablesStatement lets a role read (only read) the feature tables;
// nil when there are none.
func (b *BatchInfer) featureTablesStatement() awsiam.PolicyStatement {
	var arns []*string
	for _, t := range slices.Sorted(maps.Values(b.Config.State.FeatureTables)) {
		arns = append(arns, awscdk.Stack_Of(b.Stack).FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"), ResourceName: jsii.String(t)}))
	}
	if len(arns) == 0 {
		return nil
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadFeatureTables"), Actions: jsii.Strings("dynamodb:BatchGetItem", "dynamodb:GetItem"), Resources: &arns,
	})
}

// reuseEntriesStatement lets a role read and write the results table's
// reuse entries only: items whose key starts reuse#, which no job id can.
// It is granted whether or not reuseModels is set: a manifest's
// "reuse": true turns reuse on where the stack cannot see it (models in
// S3), and the key condition keeps the grant to those entries.
func (b *BatchInfer) reuseEntriesStatement(sid string, actions ...string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &[]*string{b.Table.TableArn()},
		Conditions: &map[string]any{"ForAllValues:StringLike": map[string]any{
			"dynamodb:LeadingKeys": []string{ReuseKeyPrefix + "*"},
		}},
	})
}

// ReuseKeyPrefix starts every reuse entry's job_id in the results table.
const ReuseKeyPrefix = "reuse#"
