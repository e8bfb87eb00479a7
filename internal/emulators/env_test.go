package emulators

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestStartServesAllThree drives each emulator through a real SDK client
// built from Env.Config, checks dynalite outlives requests cut off
// halfway and that they listen on loopback only, then that Stop really
// ends the processes. One launch serves all the checks: starting node
// twice is most of this package's time.
func TestStartServesAllThree(t *testing.T) {
	t.Parallel()
	e := Start(t)
	ctx := context.Background()
	cfg := e.Config(ctx)

	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("probe")})
	if err != nil {
		t.Fatalf("sqs CreateQueue: %v", err)
	}
	// fauxqs names queues like AWS does (http://sqs.REGION.localhost:PORT/ACCOUNT/NAME)
	// and finds them by that exact string; the SDK sends every call to the
	// endpoint, so the URL is an identifier here, never dialled.
	if u := aws.ToString(q.QueueUrl); !strings.HasSuffix(u, "/probe") || !strings.Contains(u, e.SQSURL[strings.LastIndex(e.SQSURL, ":"):]) {
		t.Errorf("queue URL %q does not name queue probe on port of %s", u, e.SQSURL)
	}

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("probe")}); err != nil {
		t.Fatalf("s3 CreateBucket: %v", err)
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("probe")}); err != nil {
		t.Fatalf("s3 HeadBucket: %v", err)
	}

	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("dynamodb ListTables: %v", err)
	}

	checkSurvivesRequestCutOff(t, e)
	if err := e.Alive(); err != nil {
		t.Fatal(err)
	}
	checkLoopbackOnly(t, e)
	e.Stop()
	if e.Alive() == nil {
		t.Fatal("emulators still running after Stop")
	}
	e.Stop() // idempotent
}

// checkLoopbackOnly asks the kernel which addresses the emulators listen
// on: 127.0.0.1 only, never a wildcard.
func checkLoopbackOnly(t *testing.T, e *Env) {
	t.Helper()
	out, err := exec.Command("ss", "-ltnpH").Output()
	if err != nil {
		t.Fatalf("ss -ltnp: %v", err)
	}
	for _, pr := range []*proc{e.fauxqs, e.dynalite} {
		tag := "pid=" + itoa(pr.child.Pid()) + ","
		found := 0
		for _, line := range strings.Split(string(out), "\n") {
			if !strings.Contains(line, tag) {
				continue
			}
			found++
			fields := strings.Fields(line)
			if len(fields) < 4 || !strings.HasPrefix(fields[3], "127.0.0.1:") {
				t.Errorf("%s listens on %q, want 127.0.0.1 only: %s", pr.name, fields[3], line)
			}
		}
		if found == 0 {
			t.Errorf("%s (pid %d) has no listening socket in ss output", pr.name, pr.child.Pid())
		}
	}
}

// TestEnvironMatchesConfig checks the variables a child process gets name
// the same endpoints the in-process config uses.
func TestEnvironMatchesConfig(t *testing.T) {
	e := &Env{SQSURL: "http://127.0.0.1:1", S3URL: "http://127.0.0.1:1", DynamoURL: "http://127.0.0.1:2", Region: Region}
	env := strings.Join(e.Environ(), "\n")
	for _, want := range []string{
		"AWS_ENDPOINT_URL_SQS=http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_S3=http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:2",
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=",
		"AWS_SECRET_ACCESS_KEY=",
	} {
		if !strings.Contains(env, want) {
			t.Errorf("Environ lacks %q:\n%s", want, env)
		}
	}
	for sdkID, want := range map[string]string{"SQS": e.SQSURL, "S3": e.S3URL, "DynamoDB": e.DynamoURL} {
		got, ok, _ := e.endpoints().GetServiceBaseEndpoint(context.Background(), sdkID)
		if !ok || got != want {
			t.Errorf("endpoint %s = %q, %v; want %q", sdkID, got, ok, want)
		}
	}
	if _, ok, _ := e.endpoints().GetServiceBaseEndpoint(context.Background(), "STS"); ok {
		t.Error("an endpoint was resolved for STS, which the emulators do not serve")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
