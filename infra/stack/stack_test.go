package stack

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestInboxBucket(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		id := s.idOf(s.b.Inbox)
		props := s.resources("AWS::S3::Bucket")[id]["Properties"].(map[string]any)
		assertBucketLocked(t, s, id, props)

		notif := s.only(t, "Custom::S3BucketNotifications", nil)
		if !jsonEq(notif["BucketName"], ref(id)) {
			t.Errorf("notifications are for %v, want the inbox %s", notif["BucketName"], id)
		}
		qc := notif["NotificationConfiguration"].(map[string]any)["QueueConfigurations"].([]any)
		if len(qc) != 1 {
			t.Fatalf("%d queue configurations, want 1", len(qc))
		}
		cfg := qc[0].(map[string]any)
		if !jsonEq(cfg["Events"], []string{"s3:ObjectCreated:*"}) || !jsonEq(cfg["QueueArn"], getAtt(s.idOf(s.b.Jobs), "Arn")) {
			t.Errorf("queue configuration %v: want object-created events to the jobs queue", cfg)
		}
		rules := map[string]any{}
		if f, ok := cfg["Filter"].(map[string]any); ok {
			for _, r := range f["Key"].(map[string]any)["FilterRules"].([]any) {
				rules[fmt.Sprint(r.(map[string]any)["Name"])] = r.(map[string]any)["Value"]
			}
		}
		want := map[string]any{}
		if c := s.b.Config; c.InboxPrefix != "" {
			want["prefix"], want["suffix"] = c.InboxPrefix, c.InboxSuffix
		}
		if !jsonEq(rules, want) {
			t.Errorf("filter rules %v, want %v", rules, want)
		}
		// S3 may send to the queue only for this bucket.
		check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Action":    assertions.Match_ArrayWith(&[]any{"sqs:SendMessage"}),
				"Principal": map[string]any{"Service": "s3.amazonaws.com"},
				"Condition": map[string]any{"ArnLike": map[string]any{"aws:SourceArn": getAtt(id, "Arn")}},
			})})},
		})
	})
}

// assertBucketLocked checks public access block, encryption and TLS-only.
func assertBucketLocked(t *testing.T, s *synthed, id string, props map[string]any) {
	t.Helper()
	pab := props["PublicAccessBlockConfiguration"].(map[string]any)
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("bucket %s: %s = %v", id, k, pab[k])
		}
	}
	enc := props["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)
	if algo := enc["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"]; algo != "AES256" && algo != "aws:kms" {
		t.Errorf("bucket %s: SSE algorithm %v", id, algo)
	}
	check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Bucket": ref(id),
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect":    "Deny",
			"Action":    "s3:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
}

func TestResultsBucket(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		id := s.idOf(s.b.Results)
		props := s.resources("AWS::S3::Bucket")[id]["Properties"].(map[string]any)
		assertBucketLocked(t, s, id, props)
		var expire float64
		for _, r := range props["LifecycleConfiguration"].(map[string]any)["Rules"].([]any) {
			r := r.(map[string]any)
			if r["Status"] == "Enabled" && r["ExpirationInDays"] != nil {
				expire = num(r["ExpirationInDays"])
			}
		}
		if expire != float64(s.b.Config.ResultsExpireDays) {
			t.Errorf("results expire after %v days, want %d", expire, s.b.Config.ResultsExpireDays)
		}
	})
}

func TestQueues(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		queues := s.resources("AWS::SQS::Queue")
		jobs := queues[s.idOf(s.b.Jobs)]["Properties"].(map[string]any)
		dlq := queues[s.idOf(s.b.DeadLetters)]["Properties"].(map[string]any)
		for name, q := range map[string]map[string]any{"jobs": jobs, "dlq": dlq} {
			if q["SqsManagedSseEnabled"] != true && q["KmsMasterKeyId"] == nil {
				t.Errorf("%s queue is not encrypted: %v", name, q)
			}
		}
		if got := num(dlq["MessageRetentionPeriod"]); got != 14*24*3600 {
			t.Errorf("DLQ retention %v s, want 14 days", got)
		}
		redrive := jobs["RedrivePolicy"].(map[string]any)
		if !jsonEq(redrive["deadLetterTargetArn"], getAtt(s.idOf(s.b.DeadLetters), "Arn")) {
			t.Errorf("redrive target %v is not the DLQ", redrive["deadLetterTargetArn"])
		}
		if got := num(redrive["maxReceiveCount"]); got != float64(s.b.Config.MaxReceiveCount) {
			t.Errorf("maxReceiveCount %v, want %d", got, s.b.Config.MaxReceiveCount)
		}
		// Visibility ≥ 6 × the function timeout, both read from the template.
		fn := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		vis, timeout := num(jobs["VisibilityTimeout"]), num(fn["Timeout"])
		if timeout == 0 || vis < VisibilityFactor*timeout {
			t.Errorf("visibility timeout %v s < %d × function timeout %v s", vis, VisibilityFactor, timeout)
		}
		// Both queues refuse non-TLS requests.
		for _, q := range []string{s.idOf(s.b.Jobs), s.idOf(s.b.DeadLetters)} {
			check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::SQS::QueuePolicy"), map[string]any{
				"Queues": []any{ref(q)},
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Action": "sqs:*",
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				})})},
			})
		}
	})
}

func TestFunction(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		c := s.b.Config
		fn := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
		if got := num(fn["MemorySize"]); got != float64(c.MemoryMiB) {
			t.Errorf("memory %v, want %d", got, c.MemoryMiB)
		}
		if got := num(fn["Timeout"]); got != float64(c.TimeoutSeconds) {
			t.Errorf("timeout %v, want %d", got, c.TimeoutSeconds)
		}
		if got := num(fn["ReservedConcurrentExecutions"]); got != float64(c.ReservedConcurrency) {
			t.Errorf("reserved concurrency %v, want %d", got, c.ReservedConcurrency)
		}
		if !jsonEq(fn["Architectures"], []string{c.Architecture}) {
			t.Errorf("architectures %v, want %s", fn["Architectures"], c.Architecture)
		}
		env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		want := map[string]any{
			"ONNXRUNTIME_LIB":            ORTLibPath,
			"BATCHINFER_MODELS":          c.ModelsEnv(),
			"BATCHINFER_RESULTS_TABLE":   ref(s.idOf(s.b.Table)),
			"BATCHINFER_RESULTS_BUCKET":  ref(s.idOf(s.b.Results)),
			"BATCHINFER_DLQ_URL":         ref(s.idOf(s.b.DeadLetters)),
			"BATCHINFER_QUEUE_URL":       ref(s.idOf(s.b.Jobs)),
			"BATCHINFER_INPUT_BUCKETS":   ref(s.idOf(s.b.Inbox)),
			"BATCHINFER_MAX_INPUT_BYTES": strconv.FormatInt(c.MaxInputBytes, 10),
			// Equal to the redrive count, so the worker marks an item
			// FAILED on its last delivery before SQS moves it to the DLQ.
			"BATCHINFER_MAX_RECEIVES": strconv.Itoa(c.MaxReceiveCount),
			// Completion events (notify.go).
			"BATCHINFER_NOTIFY_TOPIC_ARN": ref(s.idOf(s.b.Topic)),
		}
		for k, v := range want {
			if !jsonEq(env[k], v) {
				t.Errorf("env %s = %v, want %v", k, env[k], v)
			}
		}
		if len(env) != len(want) {
			t.Errorf("env has %d variables, want %d: %v", len(env), len(want), env)
		}

		switch c.Variant {
		case VariantImage:
			if fn["PackageType"] != "Image" || fn["Code"].(map[string]any)["ImageUri"] == nil {
				t.Errorf("image variant: PackageType %v, Code %v", fn["PackageType"], fn["Code"])
			}
			images := s.assets["dockerImages"].(map[string]any)
			if len(images) != 1 {
				t.Fatalf("%d docker image assets, want 1", len(images))
			}
			for _, img := range images {
				src := img.(map[string]any)["source"].(map[string]any)
				if src["dockerFile"] != "Dockerfile" || src["platform"] != "linux/amd64" {
					t.Errorf("image source %v: want the repository Dockerfile for linux/amd64", src)
				}
				if !jsonEq(src["dockerBuildArgs"], map[string]string{"MODELS": strings.Join(c.BundledModels(), " ")}) {
					t.Errorf("build args %v", src["dockerBuildArgs"])
				}
			}
		case VariantZip:
			if fn["Runtime"] != "provided.al2023" || fn["Handler"] != "bootstrap" {
				t.Errorf("zip variant: runtime %v handler %v", fn["Runtime"], fn["Handler"])
			}
			if len(s.assets["dockerImages"].(map[string]any)) != 0 {
				t.Errorf("zip variant should not build an image")
			}
			layers := s.resources("AWS::Lambda::LayerVersion")
			if len(layers) != 2 || len(fn["Layers"].([]any)) != 2 {
				t.Fatalf("%d layers defined, %v attached; want ORT and models", len(layers), fn["Layers"])
			}
			for id, l := range layers {
				p := l["Properties"].(map[string]any)
				if !jsonEq(p["CompatibleArchitectures"], []string{c.Architecture}) || !jsonEq(p["CompatibleRuntimes"], []string{"provided.al2023"}) {
					t.Errorf("layer %s: %v", id, p)
				}
			}
		}
	})
}

func TestEventSourceMapping(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		c := s.b.Config
		check(t, s.tmpl.ResourceCountIs, jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(1))
		check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"EventSourceArn":                 getAtt(s.idOf(s.b.Jobs), "Arn"),
			"FunctionName":                   ref(s.idOf(s.b.Function)),
			"BatchSize":                      c.BatchSize,
			"MaximumBatchingWindowInSeconds": c.MaxBatchingWindowSeconds,
			"FunctionResponseTypes":          []string{"ReportBatchItemFailures"},
			"ScalingConfig":                  map[string]any{"MaximumConcurrency": c.MaxConcurrency},
		})
	})
}

func TestResultsTable(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		check(t, s.tmpl.ResourceCountIs, jsii.String("AWS::DynamoDB::Table"), jsii.Number(1))
		check(t, s.tmpl.HasResourceProperties, jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"BillingMode":                      "PAY_PER_REQUEST",
			"KeySchema":                        []any{map[string]any{"AttributeName": "job_id", "KeyType": "HASH"}},
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "expires_at", "Enabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			"AttributeDefinitions": assertions.Match_ArrayWith(&[]any{
				map[string]any{"AttributeName": "status_shard", "AttributeType": "S"},
				map[string]any{"AttributeName": "updated_at", "AttributeType": "S"},
			}),
			// The sharded index only: no index keyed by status alone, whose
			// one SUCCEEDED partition would cap the deployment near 1,000 jobs/s.
			"GlobalSecondaryIndexes": []any{map[string]any{
				"IndexName": StatusIndex,
				"KeySchema": []any{
					map[string]any{"AttributeName": "status_shard", "KeyType": "HASH"},
					map[string]any{"AttributeName": "updated_at", "KeyType": "RANGE"},
				},
				"Projection": map[string]any{"ProjectionType": "INCLUDE", "NonKeyAttributes": IndexProjection},
			}},
		})
	})
}

// TestLegacyStatusIndex: the migration's first step keeps the old index
// beside the new one.
func TestLegacyStatusIndex(t *testing.T) {
	c := Config{RepoDir: "../..", LegacyStatusIndex: true}
	s := synthConfig(t, "legacy-index", c)
	table := s.only(t, "AWS::DynamoDB::Table", nil)
	var names []any
	for _, g := range table["GlobalSecondaryIndexes"].([]any) {
		names = append(names, g.(map[string]any)["IndexName"])
	}
	if !jsonEq(names, []any{StatusIndex, LegacyStatusIndex}) {
		t.Errorf("indexes %v, want the sharded one and the legacy one", names)
	}
}

// TestWarmThroughput: warmWritesPerSecond pre-warms the table and its
// status index alike.
func TestWarmThroughput(t *testing.T) {
	s := synthConfig(t, "warm", Config{RepoDir: "../..", WarmWritesPerSecond: 20000})
	table := s.only(t, "AWS::DynamoDB::Table", nil)
	want := map[string]any{"WriteUnitsPerSecond": 20000}
	if !jsonEq(table["WarmThroughput"], want) {
		t.Errorf("table warm throughput %v, want %v", table["WarmThroughput"], want)
	}
	gsi := table["GlobalSecondaryIndexes"].([]any)[0].(map[string]any)
	if !jsonEq(gsi["WarmThroughput"], want) {
		t.Errorf("index warm throughput %v, want %v", gsi["WarmThroughput"], want)
	}
	if synth(t, VariantImage).only(t, "AWS::DynamoDB::Table", nil)["WarmThroughput"] != nil {
		t.Error("the default table is pre-warmed")
	}
}

func TestReprocessSchedule(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		sched := s.only(t, "AWS::Scheduler::Schedule", nil)
		if sched["State"] != "DISABLED" {
			t.Errorf("schedule state %v, want DISABLED by default", sched["State"])
		}
		if sched["ScheduleExpression"] != s.b.Config.ReprocessSchedule {
			t.Errorf("expression %v", sched["ScheduleExpression"])
		}
		target := sched["Target"].(map[string]any)
		if !jsonEq(target["Arn"], getAtt(s.idOf(s.b.Jobs), "Arn")) {
			t.Errorf("target %v, want the jobs queue", target["Arn"])
		}
		input, _ := target["Input"].(string)
		for _, want := range []string{`"reprocess"`, `"status":"FAILED"`, `"since":"24h"`, `<aws.scheduler.scheduled-time>`} {
			if !strings.Contains(input, want) {
				t.Errorf("input %s lacks %s", input, want)
			}
		}
		// The scheduler's role may only send to that queue.
		roleID := target["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		stmts := statementsOfRole(s, roleID)
		if len(stmts) != 1 || !jsonEq(stmts[0].actions, []string{"sqs:SendMessage"}) || !jsonEq(stmts[0].resources, []any{getAtt(s.idOf(s.b.Jobs), "Arn")}) {
			t.Errorf("scheduler role statements %+v, want only sqs:SendMessage on the jobs queue", stmts)
		}
	})
}

func TestAlarmsAndDashboard(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		check(t, s.tmpl.ResourceCountIs, jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(8)) // six here, two of the predict route (predict_test.go)
		check(t, s.tmpl.ResourceCountIs, jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
		cases := []struct {
			key, namespace, metric string
			dim                    any
			threshold              float64
		}{
			{AlarmDLQ, "AWS/SQS", "ApproximateNumberOfMessagesVisible", getAtt(s.idOf(s.b.DeadLetters), "QueueName"), 0},
			{AlarmOldestMessage, "AWS/SQS", "ApproximateAgeOfOldestMessage", getAtt(s.idOf(s.b.Jobs), "QueueName"), float64(s.b.Config.OldestMessageAlarmSeconds)},
			{AlarmErrors, "AWS/Lambda", "Errors", ref(s.idOf(s.b.Function)), 0},
			{AlarmThrottles, "AWS/Lambda", "Throttles", ref(s.idOf(s.b.Function)), 0},
		}
		alarms := s.resources("AWS::CloudWatch::Alarm")
		for _, tc := range cases {
			a := alarms[s.idOf(s.b.Alarms[tc.key])]["Properties"].(map[string]any)
			dims := a["Dimensions"].([]any)
			if a["Namespace"] != tc.namespace || a["MetricName"] != tc.metric || num(a["Threshold"]) != tc.threshold ||
				a["ComparisonOperator"] != "GreaterThanThreshold" || len(dims) != 1 || !jsonEq(dims[0].(map[string]any)["Value"], tc.dim) {
				t.Errorf("alarm %s: %v", tc.key, a)
			}
		}
	})
}

// TestLeastPrivilege walks every IAM statement in the template: no data
// action may have a `*` resource, and the worker holds exactly the data
// actions its pipeline performs.
func TestLeastPrivilege(t *testing.T) {
	eachVariant(t, func(t *testing.T, s *synthed) {
		all := allStatements(s)
		if len(all) < 5 {
			t.Fatalf("only %d statements found: the walker is broken", len(all))
		}
		for _, st := range all {
			if msg := wildcardDataGrant(st); msg != "" {
				t.Errorf("%s: %s", st.where, msg)
			}
		}
		var roleID string
		for id, r := range s.resources("AWS::IAM::Role") {
			if strings.HasPrefix(id, "WorkerServiceRole") {
				roleID = id
				_ = r
			}
		}
		got := map[string]bool{}
		for _, st := range statementsOfRole(s, roleID) {
			for _, a := range st.actions {
				if isDataAction(a) || strings.HasPrefix(a, "dynamodb:") {
					got[a] = true
				}
			}
		}
		want := []string{"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem",
			"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "s3:DeleteObject"}
		for _, a := range want {
			if !got[a] {
				t.Errorf("worker lacks %s", a)
			}
			delete(got, a)
		}
		for a := range got {
			t.Errorf("worker holds %s, which it never calls", a)
		}
	})
}

// TestWildcardDetector proves the least-privilege walker can fail.
func TestWildcardDetector(t *testing.T) {
	cases := []struct {
		st   statement
		flag bool
	}{
		{statement{actions: []string{"s3:GetObject"}, resources: []any{"*"}}, true},
		{statement{actions: []string{"s3:*"}, resources: []any{"arn:aws:s3:::b/*"}}, false},
		{statement{actions: []string{"dynamodb:Query"}, resources: []any{"*"}}, true},
		{statement{actions: []string{"sqs:SendMessage"}, resources: []any{map[string]any{"Ref": "X"}, "*"}}, true},
		{statement{actions: []string{"s3:PutBucketNotification"}, resources: []any{"*"}}, false},
		{statement{actions: []string{"sqs:SendMessage"}, resources: []any{getAtt("Q", "Arn")}}, false},
		{statement{actions: []string{"*"}, resources: []any{"*"}}, true},
	}
	for i, tc := range cases {
		if got := wildcardDataGrant(tc.st) != ""; got != tc.flag {
			t.Errorf("case %d %+v: flagged %v, want %v", i, tc.st, got, tc.flag)
		}
	}
}

func TestDocumentedExample(t *testing.T) {
	if fmt.Sprint(ReprocessBody("7h")["reprocess"].(map[string]any)["since"]) != "7h" {
		t.Fatal("reprocess body lost its window")
	}
}
