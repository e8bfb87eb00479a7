package stack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// flat renders a CloudFormation value as one string, intrinsics as
// ${Id}, ${Id.Attr} and Fn::Join concatenated, so ARNs and the job request
// can be compared as text.
func flat(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r, ok := v["Ref"]; ok {
			return "${" + fmt.Sprint(r) + "}"
		}
		if a, ok := v["Fn::GetAtt"].([]any); ok {
			return "${" + fmt.Sprint(a[0]) + "." + fmt.Sprint(a[1]) + "}"
		}
		if j, ok := v["Fn::Join"].([]any); ok {
			parts := j[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = flat(p)
			}
			return strings.Join(out, fmt.Sprint(j[0]))
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func flatAll(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = flat(v)
	}
	return out
}

// roleWithPrefix is the logical id of the one IAM role whose id starts with prefix.
func roleWithPrefix(t *testing.T, s *synthed, prefix string) string {
	t.Helper()
	var ids []string
	for id := range s.resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("roles %v start with %s, want one", ids, prefix)
	}
	return ids[0]
}

// grants maps each action of a role's statements to the resources it is
// allowed on, flattened.
func grants(s *synthed, roleID string) map[string][]string {
	out := map[string][]string{}
	for _, st := range statementsOfRole(s, roleID) {
		if st.effect != "Allow" {
			continue
		}
		for _, a := range st.actions {
			out[a] = append(out[a], flatAll(st.resources)...)
		}
	}
	return out
}

func output(t *testing.T, s *synthed, id string) any {
	t.Helper()
	o, ok := s.json["Outputs"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no output %s", id)
	}
	return o["Value"]
}

func TestBatchOperationsRole(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::IAM::Role"), map[string]any{
			"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow",
				"Principal": map[string]any{"Service": BatchOpsPrincipal},
			}}},
		})
		role := roleWithPrefix(t, s, "BatchOperationsRole")
		fn, inbox, results := s.idOf(s.b.Function), s.idOf(s.b.Inbox), s.idOf(s.b.Results)
		want := map[string][]string{
			"lambda:InvokeFunction": {"${" + fn + ".Arn}", "${" + fn + ".Arn}:*"},
			"s3:GetObject":          {"${" + inbox + ".Arn}/" + BatchManifestPrefix + "*"},
			"s3:GetObjectVersion":   {"${" + inbox + ".Arn}/" + BatchManifestPrefix + "*"},
			"s3:PutObject":          {"${" + results + ".Arn}/" + BatchReportPrefix + "/*"},
			"s3:GetBucketLocation":  {"${" + inbox + ".Arn}", "${" + results + ".Arn}"},
		}
		if got := grants(s, role); !jsonEq(got, want) {
			t.Errorf("Batch Operations role grants\n%v\nwant\n%v", got, want)
		}
		if got := flat(output(t, s, "BatchOperationsRoleArn")); got != "${"+role+".Arn}" {
			t.Errorf("BatchOperationsRoleArn output %s", got)
		}
	})
}

// TestBatchJobExample reads the example create-job request back from its
// output: every name in it must be the stack's own.
func TestBatchJobExample(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		var req map[string]any
		text := flat(output(t, s, "BatchJobExample"))
		if err := json.Unmarshal([]byte(text), &req); err != nil {
			t.Fatalf("BatchJobExample is not JSON: %v\n%s", err, text)
		}
		fn, inbox, results := s.idOf(s.b.Function), s.idOf(s.b.Inbox), s.idOf(s.b.Results)
		want := map[string]any{
			"AccountId":            "${AWS::AccountId}",
			"ConfirmationRequired": true,
			"Priority":             10,
			"RoleArn":              "${" + roleWithPrefix(t, s, "BatchOperationsRole") + ".Arn}",
			"Description":          "batchinfer: one job per listed object",
			"Operation":            map[string]any{"LambdaInvoke": map[string]any{"FunctionArn": "${" + fn + ".Arn}", "InvocationSchemaVersion": "2.0"}},
			"Manifest": map[string]any{
				"Spec":     map[string]any{"Format": "S3BatchOperations_CSV_20180820", "Fields": []string{"Bucket", "Key"}},
				"Location": map[string]any{"ObjectArn": "${" + inbox + ".Arn}/" + BatchManifestPrefix + "manifest.csv", "ETag": "<manifest ETag>"},
			},
			"Report": map[string]any{
				"Bucket": "${" + results + ".Arn}", "Prefix": BatchReportPrefix, "Format": "Report_CSV_20180820",
				"Enabled": true, "ReportScope": "AllTasks",
			},
		}
		if !jsonEq(req, want) {
			got, _ := json.MarshalIndent(req, "", " ")
			t.Errorf("job request\n%s", got)
		}
	})
}

func TestRecordUploadLifecycle(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		abortDays := func(id string) []float64 {
			var days []float64
			props := s.resources("AWS::S3::Bucket")[id]["Properties"].(map[string]any)
			for _, r := range props["LifecycleConfiguration"].(map[string]any)["Rules"].([]any) {
				r := r.(map[string]any)
				if a, ok := r["AbortIncompleteMultipartUpload"].(map[string]any); ok && r["Status"] == "Enabled" {
					days = append(days, num(a["DaysAfterInitiation"]))
				}
			}
			return days
		}
		if got := abortDays(s.idOf(s.b.Results)); !jsonEq(got, []float64{RecordUploadAbortDays}) {
			t.Errorf("results bucket aborts incomplete uploads after %v days, want [%d]", got, RecordUploadAbortDays)
		}
		if got := abortDays(s.idOf(s.b.Inbox)); !jsonEq(got, []float64{1}) {
			t.Errorf("inbox aborts incomplete uploads after %v days, want [1]", got)
		}
	})
}

// TestWorkerRecordFileGrants: what record files, continuations and the
// lean per-job path call, granted on the one resource each.
func TestWorkerRecordFileGrants(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		g := grants(s, roleWithPrefix(t, s, "WorkerServiceRole"))
		table, results, jobs := s.idOf(s.b.Table), s.idOf(s.b.Results), s.idOf(s.b.Jobs)
		has := func(action, resource string) {
			t.Helper()
			for _, r := range g[action] {
				if r == resource {
					return
				}
			}
			t.Errorf("worker lacks %s on %s (has %v)", action, resource, g[action])
		}
		has("dynamodb:BatchGetItem", "${"+table+".Arn}")
		has("s3:PutObject", "${"+results+".Arn}/*") // PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload
		has("s3:GetObject", "${"+results+".Arn}/*") // HeadObject when CompleteMultipartUpload says NoSuchUpload
		has("sqs:SendMessage", "${"+jobs+".Arn}")   // continuations and reprocess fan-out (SendMessageBatch)
		if g["s3:AbortMultipartUpload"] != nil {
			t.Errorf("worker may abort uploads, which it never does (the lifecycle rule does)")
		}
		fnProps := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		env := fnProps["Environment"].(map[string]any)["Variables"].(map[string]any)
		if !jsonEq(env["BATCHINFER_QUEUE_URL"], ref(jobs)) {
			t.Errorf("BATCHINFER_QUEUE_URL = %v, want the jobs queue", env["BATCHINFER_QUEUE_URL"])
		}
		if _, ok := env["BATCHINFER_ROUTES"]; ok {
			t.Errorf("BATCHINFER_ROUTES set without the routes context")
		}
	})
}

// TestBatchManifestWarning: with no inboxPrefix a manifest put in the inbox
// would become a job itself; synthesis says so.
func TestBatchManifestWarning(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		ann := assertions.Annotations_FromStack(s.b.Stack)
		msg := assertions.Match_StringLikeRegexp(jsii.String("manifest.*would also become a job"))
		if s.b.Config.InboxPrefix == "" {
			check(t, ann.HasWarning, jsii.String("*"), msg)
		} else {
			check(t, ann.HasNoWarning, jsii.String("*"), msg)
		}
	})
}

func TestRoutesContext(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, map[string]any{
		"routes": map[string]any{"scans/": "ppocr-rec", "iris/": "iris-rf"},
	}), Outdir: jsii.String(tempDir(t))})
	c, err := ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if want := "iris/=iris-rf,scans/=ppocr-rec"; c.Routes != want {
		t.Errorf("routes %q, want %q", c.Routes, want)
	}
	for _, tc := range []struct {
		routes, err string
	}{
		{"scans/=ppocr-rec, iris/=iris-rf", ""},
		{"=iris-rf", ""}, // the empty prefix routes every key, as the worker allows
		{"scans/", `"scans/" is not prefix=model`},
		{"scans/=", `"scans/=" is not prefix=model`},
		{"a/=iris-rf,a/=ppocr-rec", `prefix "a/" is routed twice`},
	} {
		err := validateRoutes(tc.routes)
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("validateRoutes(%q) = %v, want %q", tc.routes, err, tc.err)
		}
	}
	if err := newFromContext(t, map[string]any{"routes": "scans"}); err == nil || !strings.Contains(err.Error(), `context "routes"`) {
		t.Errorf("bad routes synthesised: %v", err)
	}
	if _, err := routesFromContext(map[string]any{"a/": 3.0}); err == nil {
		t.Error("a numeric model was accepted")
	}
}

// TestRoutesEnvironment synthesises a stack with the routes context: the
// function carries it as BATCHINFER_ROUTES.
func TestRoutesEnvironment(t *testing.T) {
	cfg := testConfig(t, VariantZip)
	cfg.Routes = "scans/=ppocr-rec,tabular/=iris-rf"
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tempDir(t))})
	b, err := New(app, "BatchInferRoutes", cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := assertions.Template_FromStack(b.Stack, nil)
	check(t, tmpl.HasResourceProperties, jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
			"BATCHINFER_ROUTES": cfg.Routes,
		})},
	})
}
