package stack

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Poller is the ECS side of the stack when context "poller" is set.
type Poller struct {
	Vpc      awsec2.Vpc
	Cluster  awsecs.Cluster
	TaskDef  awsecs.TaskDefinition
	Service  awsecs.BaseService
	TaskRole awsiam.Role
	Logs     awslogs.LogGroup
	// Instances is the EC2 capacity provider's group (poller ec2 only).
	Instances awsautoscaling.AutoScalingGroup
}

// PollerCommand is what the container runs: the image's bootstrap (the
// batchinfer binary; the Lambda base image's entrypoint is bypassed).
var PollerCommand = []string{"/var/runtime/bootstrap", "poll"}

// addPoller runs `batchinfer poll` from the worker's image as an ECS
// service that consumes the jobs queue and scales on its backlog per task
// (poller_scaling.go).
func (b *BatchInfer) addPoller() {
	c := b.Config.Poller
	if !c.Enabled() {
		return
	}
	if b.Config.Provisioned() {
		awscdk.Annotations_Of(b.Stack).AddWarningV2(jsii.String("batchinfer:esmWithPoller"),
			jsii.String("esmMinPollers/esmMaxPollers are ignored: with poller set the ECS service consumes the jobs queue and the function has no event source"), nil)
	}
	p := &Poller{}
	b.Poller = p
	// Public subnets and no NAT gateway: a NAT costs more a month than
	// many workloads' compute. Tasks get public addresses but accept no
	// inbound traffic; S3 and DynamoDB traffic stays on gateway endpoints.
	p.Vpc = awsec2.NewVpc(b.Stack, jsii.String("PollerVpc"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24),
		}},
	})
	p.Vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{Service: awsec2.GatewayVpcEndpointAwsService_S3()})
	p.Vpc.AddGatewayEndpoint(jsii.String("DynamoDB"), &awsec2.GatewayVpcEndpointOptions{Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB()})
	// Container Insights publishes RunningTaskCount, the scaling's divisor.
	p.Cluster = awsecs.NewCluster(b.Stack, jsii.String("PollerCluster"), &awsecs.ClusterProps{
		Vpc: p.Vpc, ContainerInsightsV2: awsecs.ContainerInsights_ENABLED,
	})
	p.TaskRole = awsiam.NewRole(b.Stack, jsii.String("PollerTaskRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("batchinfer poll: the worker's data permissions and consuming the jobs queue"),
	})
	b.grantPoller(p.TaskRole)
	p.Logs = awslogs.NewLogGroup(b.Stack, jsii.String("PollerLogs"), &awslogs.LogGroupProps{
		Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	sg := awsec2.NewSecurityGroup(b.Stack, jsii.String("PollerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: p.Vpc, Description: jsii.String("batchinfer poller: no inbound, outbound to AWS APIs"), AllowAllOutbound: jsii.Bool(true),
	})
	public := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
	circuit := &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)}
	desired := jsii.Number(float64(c.MinTasks))
	if c.Kind == PollerFargate {
		td := awsecs.NewFargateTaskDefinition(b.Stack, jsii.String("PollerTask"), &awsecs.FargateTaskDefinitionProps{
			Cpu: jsii.Number(float64(c.CPU)), MemoryLimitMiB: jsii.Number(float64(c.MemoryMiB)),
			RuntimePlatform: &awsecs.RuntimePlatform{CpuArchitecture: b.cpuArchitecture(), OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
			TaskRole:        p.TaskRole,
		})
		p.TaskDef = td
		b.addPollerContainer(td, false)
		p.Service = awsecs.NewFargateService(b.Stack, jsii.String("PollerService"), &awsecs.FargateServiceProps{
			Cluster: p.Cluster, TaskDefinition: td, DesiredCount: desired, AssignPublicIp: jsii.Bool(true),
			VpcSubnets: public, SecurityGroups: &[]awsec2.ISecurityGroup{sg}, CircuitBreaker: circuit,
			MinHealthyPercent: jsii.Number(100), MaxHealthyPercent: jsii.Number(200),
		})
	} else {
		cp := b.addInstances(p, sg, public)
		td := awsecs.NewEc2TaskDefinition(b.Stack, jsii.String("PollerTask"), &awsecs.Ec2TaskDefinitionProps{
			TaskRole: p.TaskRole, NetworkMode: awsecs.NetworkMode_BRIDGE,
		})
		p.TaskDef = td
		b.addPollerContainer(td, true)
		p.Service = awsecs.NewEc2Service(b.Stack, jsii.String("PollerService"), &awsecs.Ec2ServiceProps{
			Cluster: p.Cluster, TaskDefinition: td, DesiredCount: desired, CircuitBreaker: circuit,
			MinHealthyPercent: jsii.Number(100), MaxHealthyPercent: jsii.Number(200),
			CapacityProviderStrategies: &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: cp.CapacityProviderName(), Weight: jsii.Number(1)}},
		})
	}
	b.addPollerScaling()
}

// addPollerContainer is the one container: the worker's image (the same
// asset as the function's), `batchinfer poll`, the function's environment
// plus the poller's own settings, logs to CloudWatch.
func (b *BatchInfer) addPollerContainer(td awsecs.TaskDefinition, ec2 bool) {
	c := b.Config
	env := b.PollerEnvironment()
	opts := &awsecs.ContainerDefinitionOptions{
		Image:       awsecs.ContainerImage_FromAsset(jsii.String(c.RepoDir), b.pollerImageProps()),
		EntryPoint:  jsii.Strings(PollerCommand[:1]...),
		Command:     jsii.Strings(PollerCommand[1:]...),
		Environment: &env,
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String("poller"), LogGroup: b.Poller.Logs,
		}),
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(float64(c.Poller.StopTimeoutSeconds))),
		Essential:   jsii.Bool(true),
	}
	if ec2 {
		opts.Cpu = jsii.Number(float64(c.Poller.CPU))
		opts.MemoryLimitMiB = jsii.Number(float64(c.Poller.MemoryMiB))
	}
	td.AddContainer(jsii.String("batchinfer"), opts)
}

// pollerImageProps mirror imageProps (function.go) so both build one
// image asset: same directory, file, platform and build arguments.
func (b *BatchInfer) pollerImageProps() *awsecs.AssetImageProps {
	l := b.imageProps(nil)
	return &awsecs.AssetImageProps{File: l.File, Platform: l.Platform, BuildArgs: l.BuildArgs, IgnoreMode: l.IgnoreMode}
}

// PollerEnvironment is the container's environment: the function's, with
// the poller's batching (the event source's batch size and window) and
// what the worker's cost metrics need to know about the task.
func (b *BatchInfer) PollerEnvironment() map[string]*string {
	c := b.Config
	env := b.Environment()
	env["BATCHINFER_NOTIFY_TOPIC_ARN"] = b.Topic.TopicArn()
	env["BATCHINFER_POLL_BATCH_SIZE"] = jsii.String(strconv.Itoa(c.BatchSize))
	env["BATCHINFER_POLL_WINDOW"] = jsii.String(strconv.Itoa(max(c.MaxBatchingWindowSeconds, 1)) + "s")
	// The grace the stop timeout is checked against, set rather than
	// assumed so the two cannot drift apart.
	env["BATCHINFER_POLL_GRACE"] = jsii.String(strconv.Itoa(PollerGraceSeconds) + "s")
	env["BATCHINFER_CONTAINER_VCPU"] = jsii.String(strconv.FormatFloat(float64(c.Poller.CPU)/1024, 'f', -1, 64))
	env["BATCHINFER_CONTAINER_MEMORY_MB"] = jsii.String(strconv.Itoa(c.Poller.MemoryMiB))
	return env
}

func (b *BatchInfer) cpuArchitecture() awsecs.CpuArchitecture {
	if b.Config.Architecture == ArchARM64 {
		return awsecs.CpuArchitecture_ARM64()
	}
	return awsecs.CpuArchitecture_X86_64()
}

// addInstances is the EC2 capacity: a launch template of the ECS-optimized
// Amazon Linux 2023 AMI (the plain one: the worker runs ONNX Runtime's
// CPU build, so a GPU instance lends its memory and CPUs, not its GPU), an
// Auto Scaling group from 0 to pollerMaxTasks instances, and a capacity
// provider whose managed scaling starts instances for pending tasks, from
// zero too.
func (b *BatchInfer) addInstances(p *Poller, sg awsec2.ISecurityGroup, subnets *awsec2.SubnetSelection) awsecs.AsgCapacityProvider {
	c := b.Config
	hw, amiType := awsecs.AmiHardwareType_STANDARD, awsecs.MachineImageType_AMAZON_LINUX_2
	if c.Architecture == ArchARM64 {
		hw = awsecs.AmiHardwareType_ARM
	}
	role := awsiam.NewRole(b.Stack, jsii.String("PollerInstanceRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ec2.amazonaws.com"), nil),
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AmazonEC2ContainerServiceforEC2Role")),
		},
	})
	lt := awsec2.NewLaunchTemplate(b.Stack, jsii.String("PollerInstances"), &awsec2.LaunchTemplateProps{
		InstanceType:             awsec2.NewInstanceType(jsii.String(c.Poller.InstanceType)),
		MachineImage:             awsecs.EcsOptimizedImage_AmazonLinux2023(hw, nil),
		UserData:                 awsec2.UserData_ForLinux(nil),
		Role:                     role,
		SecurityGroup:            sg,
		AssociatePublicIpAddress: jsii.Bool(true),
		RequireImdsv2:            jsii.Bool(true),
	})
	p.Instances = awsautoscaling.NewAutoScalingGroup(b.Stack, jsii.String("PollerGroup"), &awsautoscaling.AutoScalingGroupProps{
		Vpc: p.Vpc, VpcSubnets: subnets, LaunchTemplate: lt,
		MinCapacity: jsii.Number(0), MaxCapacity: jsii.Number(float64(c.Poller.MaxTasks)),
	})
	cp := awsecs.NewAsgCapacityProvider(b.Stack, jsii.String("PollerCapacity"), &awsecs.AsgCapacityProviderProps{
		AutoScalingGroup: p.Instances, MachineImageType: amiType,
		EnableManagedScaling: jsii.Bool(true), EnableManagedTerminationProtection: jsii.Bool(false),
		TargetCapacityPercent: jsii.Number(100),
	})
	p.Cluster.AddAsgCapacityProvider(cp, nil)
	return cp
}

// grantPoller gives the task role the function's data permissions and
// what the event source mapping does for the function: receive, delete
// and extend the visibility of the jobs queue's messages. Publishing
// completions to the topic (and its key) too.
func (b *BatchInfer) grantPoller(role awsiam.Role) {
	for _, st := range b.dataStatements() {
		role.AddToPolicy(st)
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:    jsii.String("ConsumeJobs"),
		Effect: awsiam.Effect_ALLOW,
		Actions: jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
			"sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
		Resources: jsii.Strings(*b.Jobs.QueueArn()),
	}))
	b.Topic.GrantPublish(role)
}
