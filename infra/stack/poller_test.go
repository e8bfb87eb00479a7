package stack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// synthConfig synthesises one configuration outside the shared variants
// (tests that need their own context), once per name.
func synthConfig(t *testing.T, name string, cfg Config) *synthed {
	t.Helper()
	return synthOnce(t, Variant("custom:"+name), func() Config { return cfg })
}

func fargateConfig() Config {
	return Config{RepoDir: filepath.Join("..", ".."), ESMMinPollers: 2, ESMMaxPollers: 50,
		Poller: PollerConfig{Kind: PollerFargate, MaxTasks: 20}}
}

func ec2Config() Config {
	return Config{RepoDir: filepath.Join("..", ".."), Poller: PollerConfig{Kind: PollerEC2, InstanceType: "g6.xlarge", MinTasks: 1, MaxTasks: 4}}
}

// containerOf returns the poller's one container definition.
func containerOf(t *testing.T, s *synthed) (taskDef, container map[string]any) {
	t.Helper()
	td := s.only(t, "AWS::ECS::TaskDefinition", nil)
	defs := td["ContainerDefinitions"].([]any)
	if len(defs) != 1 {
		t.Fatalf("%d containers, want 1", len(defs))
	}
	return td, defs[0].(map[string]any)
}

func TestPollerFargate(t *testing.T) {
	s := synthConfig(t, "fargate", fargateConfig())
	if len(s.resources("AWS::Lambda::EventSourceMapping")) != 0 {
		t.Error("the function still has an event source: with a poller the ECS service consumes the queue")
	}
	svc := s.only(t, "AWS::ECS::Service", nil)
	if svc["LaunchType"] != "FARGATE" || num(svc["DesiredCount"]) != 0 {
		t.Errorf("service launch type %v desired %v, want FARGATE starting at pollerMinTasks 0", svc["LaunchType"], svc["DesiredCount"])
	}
	td, ctr := containerOf(t, s)
	if td["Cpu"] != "2048" || td["Memory"] != "4096" || !jsonEq(td["RuntimePlatform"], map[string]any{"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}) {
		t.Errorf("task size %v/%v platform %v", td["Cpu"], td["Memory"], td["RuntimePlatform"])
	}
	if !jsonEq(td["TaskRoleArn"], getAtt(s.idOf(s.b.Poller.TaskRole), "Arn")) {
		t.Errorf("task role %v is not the poller's own role", td["TaskRoleArn"])
	}
	assertPollerContainer(t, s, ctr)

	// One image for the function and the poller: the same asset.
	if imgs := s.assets["dockerImages"].(map[string]any); len(imgs) != 1 {
		t.Errorf("%d image assets, want the function's one image shared with the poller", len(imgs))
	}
	fn := s.resources("AWS::Lambda::Function")[s.idOf(s.b.Function)]["Properties"].(map[string]any)
	fnImage, _ := json.Marshal(fn["Code"].(map[string]any)["ImageUri"])
	tag := strings.TrimSuffix(strings.SplitAfter(string(fnImage), ":")[len(strings.SplitAfter(string(fnImage), ":"))-1], `"}`)
	if img, _ := json.Marshal(ctr["Image"]); !strings.Contains(string(img), tag) {
		t.Errorf("container image %s is not the function's %s", img, fnImage)
	}
	assertPollerScaling(t, s, 0, 20)
}

// assertPollerContainer checks the command, the stop timeout, the logs and
// the environment of the poller's container.
func assertPollerContainer(t *testing.T, s *synthed, ctr map[string]any) {
	t.Helper()
	if !jsonEq(ctr["EntryPoint"], []string{"/var/runtime/bootstrap"}) || !jsonEq(ctr["Command"], []string{"poll"}) {
		t.Errorf("entry point %v command %v, want the bootstrap with poll", ctr["EntryPoint"], ctr["Command"])
	}
	if st := num(ctr["StopTimeout"]); st <= PollerGraceSeconds || st != float64(s.b.Config.Poller.StopTimeoutSeconds) {
		t.Errorf("stop timeout %v s, want pollerStopTimeoutSeconds, over the %d s grace", ctr["StopTimeout"], PollerGraceSeconds)
	}
	logs := ctr["LogConfiguration"].(map[string]any)
	if logs["LogDriver"] != "awslogs" || !jsonEq(logs["Options"].(map[string]any)["awslogs-group"], ref(s.idOf(s.b.Poller.Logs))) {
		t.Errorf("logging %v, want awslogs to the poller's log group", logs)
	}
	var names []string
	for _, e := range ctr["Environment"].([]any) {
		names = append(names, e.(map[string]any)["Name"].(string))
	}
	for name := range s.b.Environment() {
		if !slices.Contains(names, name) {
			t.Errorf("the poller lacks the function's %s", name)
		}
	}
	for _, e := range ctr["Environment"].([]any) {
		if e := e.(map[string]any); e["Name"] == "BATCHINFER_POLL_GRACE" && e["Value"] != fmt.Sprintf("%ds", PollerGraceSeconds) {
			t.Errorf("BATCHINFER_POLL_GRACE %v, want the %d s the stop timeout is checked against", e["Value"], PollerGraceSeconds)
		}
	}
	for _, name := range []string{"BATCHINFER_POLL_BATCH_SIZE", "BATCHINFER_POLL_WINDOW", "BATCHINFER_POLL_GRACE", "BATCHINFER_NOTIFY_TOPIC_ARN", "BATCHINFER_CONTAINER_VCPU"} {
		if !slices.Contains(names, name) {
			t.Errorf("the poller lacks %s", name)
		}
	}
}

// assertPollerScaling checks the scalable target, the backlog-per-task
// target tracking policy and the wake-from-zero step policy with its alarm.
func assertPollerScaling(t *testing.T, s *synthed, minTasks, maxTasks float64) {
	t.Helper()
	target := s.only(t, "AWS::ApplicationAutoScaling::ScalableTarget", nil)
	if num(target["MinCapacity"]) != minTasks || num(target["MaxCapacity"]) != maxTasks || target["ScalableDimension"] != "ecs:service:DesiredCount" {
		t.Errorf("scalable target %v, want %v..%v tasks", target, minTasks, maxTasks)
	}
	tt := s.only(t, "AWS::ApplicationAutoScaling::ScalingPolicy", func(p map[string]any) bool { return p["PolicyType"] == "TargetTrackingScaling" })
	cfg := tt["TargetTrackingScalingPolicyConfiguration"].(map[string]any)
	if num(cfg["TargetValue"]) != float64(s.b.Config.Poller.BacklogPerTask) {
		t.Errorf("target %v, want pollerBacklogPerTask %d", cfg["TargetValue"], s.b.Config.Poller.BacklogPerTask)
	}
	ids := map[string]map[string]any{}
	for _, m := range cfg["CustomizedMetricSpecification"].(map[string]any)["Metrics"].([]any) {
		m := m.(map[string]any)
		ids[m["Id"].(string)] = m
	}
	metricName := func(id string) any {
		if m, ok := ids[id]["MetricStat"].(map[string]any); ok {
			return m["Metric"].(map[string]any)["MetricName"]
		}
		return nil
	}
	if metricName("visible") != "ApproximateNumberOfMessagesVisible" || metricName("inflight") != "ApproximateNumberOfMessagesNotVisible" ||
		metricName("tasks") != "RunningTaskCount" || ids["backlog_per_task"]["Expression"] != BacklogPerTaskExpression || ids["backlog_per_task"]["ReturnData"] != true {
		t.Errorf("target tracking metrics %v, want visible + in flight over running tasks", ids)
	}
	step := s.only(t, "AWS::ApplicationAutoScaling::ScalingPolicy", func(p map[string]any) bool { return p["PolicyType"] == "StepScaling" })
	adj := step["StepScalingPolicyConfiguration"].(map[string]any)["StepAdjustments"].([]any)
	if len(adj) != 1 || num(adj[0].(map[string]any)["ScalingAdjustment"]) != 1 {
		t.Errorf("wake policy steps %v, want +1 task", adj)
	}
	wake := s.only(t, "AWS::CloudWatch::Alarm", func(p map[string]any) bool {
		for _, m := range asSlice(p["Metrics"]) {
			if m.(map[string]any)["Expression"] == WakeExpression {
				return true
			}
		}
		return false
	})
	if acts, _ := json.Marshal(wake["AlarmActions"]); !strings.Contains(string(acts), "PollerWake") {
		t.Errorf("wake alarm actions %s, want the wake step policy", acts)
	}
	for _, key := range []string{AlarmPollerBacklog, AlarmPollerMemory} {
		if s.b.Alarms[key] == nil {
			t.Errorf("alarm %s missing", key)
		}
	}
}

func TestPollerEC2(t *testing.T) {
	s := synthConfig(t, "ec2", ec2Config())
	lt := s.only(t, "AWS::EC2::LaunchTemplate", nil)["LaunchTemplateData"].(map[string]any)
	if lt["InstanceType"] != "g6.xlarge" {
		t.Errorf("instance type %v", lt["InstanceType"])
	}
	// The plain ECS-optimized AMI: the worker runs ORT's CPU build.
	params, _ := json.Marshal(s.json["Parameters"])
	if !strings.Contains(string(params), "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id") {
		t.Errorf("AMI parameters %s, want the standard ECS-optimized Amazon Linux 2023", params)
	}
	asg := s.only(t, "AWS::AutoScaling::AutoScalingGroup", nil)
	if asg["MinSize"] != "0" || asg["MaxSize"] != "4" {
		t.Errorf("group %v..%v, want 0..pollerMaxTasks", asg["MinSize"], asg["MaxSize"])
	}
	cp := s.only(t, "AWS::ECS::CapacityProvider", nil)["AutoScalingGroupProvider"].(map[string]any)
	if cp["ManagedScaling"].(map[string]any)["Status"] != "ENABLED" {
		t.Errorf("capacity provider %v, want managed scaling (instances for pending tasks, from zero)", cp)
	}
	svc := s.only(t, "AWS::ECS::Service", nil)
	if strat, _ := json.Marshal(svc["CapacityProviderStrategy"]); !strings.Contains(string(strat), s.idOfCfn(t, "AWS::ECS::CapacityProvider")) {
		t.Errorf("service strategy %s, want the capacity provider", strat)
	}
	td, ctr := containerOf(t, s)
	if !jsonEq(td["RequiresCompatibilities"], []string{"EC2"}) || num(ctr["Cpu"]) != 2048 || num(ctr["Memory"]) != 4096 {
		t.Errorf("task %v container cpu %v memory %v", td["RequiresCompatibilities"], ctr["Cpu"], ctr["Memory"])
	}
	assertPollerContainer(t, s, ctr)
	assertPollerScaling(t, s, 1, 4)
}

// idOfCfn is the logical id of the only resource of typ.
func (s *synthed) idOfCfn(t *testing.T, typ string) string {
	t.Helper()
	for id := range s.resources(typ) {
		return id
	}
	t.Fatalf("no %s", typ)
	return ""
}

func TestPollerTaskRoleIsLeastPrivilege(t *testing.T) {
	s := synthConfig(t, "fargate", fargateConfig())
	role := s.idOf(s.b.Poller.TaskRole)
	var actions []string
	for _, st := range statementsOfRole(s, role) {
		if why := wildcardDataGrant(st); why != "" {
			t.Errorf("task role: %s", why)
		}
		actions = append(actions, st.actions...)
		// A record file's carried lines are the only objects it deletes.
		if slices.Contains(st.actions, "s3:DeleteObject") && !strings.Contains(asJSON(st.resources), ".carry.*") {
			t.Errorf("task role deletes %s, beyond record files' carries", asJSON(st.resources))
		}
	}
	for _, want := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "dynamodb:PutItem", "dynamodb:BatchGetItem", "s3:PutObject", "sns:Publish"} {
		if !slices.Contains(actions, want) {
			t.Errorf("task role lacks %s (has %v)", want, actions)
		}
	}
	for _, never := range []string{"dynamodb:Scan", "sqs:PurgeQueue", "sqs:*", "dynamodb:*", "s3:*"} {
		if slices.Contains(actions, never) {
			t.Errorf("task role grants %s", never)
		}
	}
}

func TestProvisionedEventSource(t *testing.T) {
	c := Config{RepoDir: filepath.Join("..", ".."), ESMMinPollers: 2, ESMMaxPollers: 50}
	s := synthConfig(t, "provisioned", c)
	esm := s.only(t, "AWS::Lambda::EventSourceMapping", nil)
	if !jsonEq(esm["ProvisionedPollerConfig"], map[string]any{"MaximumPollers": 50, "MinimumPollers": 2}) {
		t.Errorf("ProvisionedPollerConfig %v", esm["ProvisionedPollerConfig"])
	}
	if !jsonEq(esm["MetricsConfig"], map[string]any{"Metrics": []string{"EventCount"}}) {
		t.Errorf("MetricsConfig %v, want event counts in provisioned mode", esm["MetricsConfig"])
	}
	// The default stack stays in default mode without the extra metrics.
	def := synth(t, VariantImage).only(t, "AWS::Lambda::EventSourceMapping", nil)
	if def["ProvisionedPollerConfig"] != nil || def["MetricsConfig"] != nil {
		t.Errorf("default event source has %v / %v", def["ProvisionedPollerConfig"], def["MetricsConfig"])
	}
}

func TestPollerContext(t *testing.T) {
	for _, tc := range []struct {
		ctx  map[string]any
		want PollerConfig
	}{
		{map[string]any{"poller": "fargate", "pollerMaxTasks": 20.0, "esmMinPollers": 2.0, "esmMaxPollers": 50.0},
			PollerConfig{Kind: PollerFargate, MaxTasks: 20, CPU: 2048, MemoryMiB: 4096, BacklogPerTask: 1000, StopTimeoutSeconds: 60}},
		{map[string]any{"poller": "ec2", "pollerInstanceType": "g6.xlarge", "pollerMinTasks": "0", "pollerCpu": "3584", "pollerMemoryMiB": "14336"},
			PollerConfig{Kind: PollerEC2, InstanceType: "g6.xlarge", MaxTasks: 10, CPU: 3584, MemoryMiB: 14336, BacklogPerTask: 1000, StopTimeoutSeconds: 60}},
	} {
		app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, tc.ctx), Outdir: jsii.String(tempDir(t))})
		c, err := ConfigFromContext(app.Node())
		if err != nil {
			t.Fatal(err)
		}
		if c = c.Defaults(); c.Poller != tc.want {
			t.Errorf("context %v: poller %+v, want %+v", tc.ctx, c.Poller, tc.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("context %v: %v", tc.ctx, err)
		}
	}
}

func TestPollerRejects(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want string
	}{
		{"ec2 without an instance type", map[string]any{"poller": "ec2"}, "poller ec2 needs an instance type"},
		{"Graviton instance, x86 image", map[string]any{"poller": "ec2", "pollerInstanceType": "r7g.xlarge", "architecture": "x86_64"}, "r7g.xlarge is arm64"},
		{"x86 instance, arm64 image", map[string]any{"poller": "ec2", "pollerInstanceType": "g6.xlarge", "architecture": "arm64"}, "g6.xlarge is x86_64"},
		{"unknown poller", map[string]any{"poller": "k8s"}, `"poller"`},
		{"fargate memory", map[string]any{"poller": "fargate", "pollerCpu": "1024", "pollerMemoryMiB": "16384"}, "outside Fargate's 2048..8192"},
		{"instance type with fargate", map[string]any{"poller": "fargate", "pollerInstanceType": "m7i.large"}, "Fargate chooses its own hosts"},
		{"stop timeout within the grace", map[string]any{"poller": "fargate", "pollerStopTimeoutSeconds": "20"}, "over the poller's 25 s grace"},
		{"max under min", map[string]any{"poller": "fargate", "pollerMinTasks": "5", "pollerMaxTasks": "2"}, `"pollerMaxTasks"`},
		{"too few pollers", map[string]any{"esmMinPollers": "1"}, "2..200"},
		{"too many pollers", map[string]any{"esmMaxPollers": "3000"}, "2..2000"},
		{"pollers max under min", map[string]any{"esmMinPollers": "100", "esmMaxPollers": "50"}, "under esmMinPollers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := newFromContext(t, tc.ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestInstanceArch(t *testing.T) {
	for typ, want := range map[string]string{
		"g6.xlarge": ArchX86_64, "g6e.2xlarge": ArchX86_64, "r7i.4xlarge": ArchX86_64, "m7i-flex.large": ArchX86_64, "g4dn.xlarge": ArchX86_64,
		"m7g.large": ArchARM64, "c7gn.xlarge": ArchARM64, "r8gd.2xlarge": ArchARM64, "t4g.small": ArchARM64, "g5g.xlarge": ArchARM64, "x2gd.large": ArchARM64,
	} {
		if got := instanceArch(typ); got != want {
			t.Errorf("%s: %s, want %s", typ, got, want)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
