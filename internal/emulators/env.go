package emulators

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// Region is the region every emulator client uses.
const Region = "us-east-1"

// Test credentials: the emulators accept any signature, the SDK just needs
// something to sign with.
const (
	AccessKeyID     = "test"
	SecretAccessKey = "test"
)

// Env is one running pair of emulators.
type Env struct {
	SQSURL    string // fauxqs, e.g. http://127.0.0.1:41234
	S3URL     string // fauxqs too: it serves SQS and S3 on one port
	DynamoURL string // dynalite
	Region    string

	fauxqs, dynalite *proc
}

// Start launches fauxqs and dynalite for one test (or benchmark) and stops
// them, by pid, when it ends. A failure to start fails the test: these
// emulators are installed by setup, so they never skip.
func Start(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	e, err := Launch(ctx)
	if err != nil {
		t.Fatalf("%v (run `go tool task setup` if the emulators are missing)", err)
	}
	t.Cleanup(e.Stop)
	return e
}

// Launch starts both emulators on free ports and waits until each answers
// an API call. The caller must call Stop; TestMain functions use it to
// share one pair across a package.
func Launch(ctx context.Context) (*Env, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("start emulators: node not on PATH: %w", err)
	}
	scripts := filepath.Join(testenv.RepoRoot(), "scripts")

	type result struct {
		p   *proc
		err error
	}
	fq, dy := make(chan result, 1), make(chan result, 1)
	go func() {
		p, err := launch(ctx, node, filepath.Join(scripts, "fauxqs-launcher.js"), "fauxqs")
		fq <- result{p, err}
	}()
	go func() {
		p, err := launch(ctx, node, filepath.Join(scripts, "dynalite-launcher.js"), "dynalite")
		dy <- result{p, err}
	}()
	f, d := <-fq, <-dy
	e := &Env{Region: Region, fauxqs: f.p, dynalite: d.p}
	if f.err != nil || d.err != nil {
		e.Stop()
		if f.err != nil {
			return nil, f.err
		}
		return nil, d.err
	}
	e.SQSURL = fmt.Sprintf("http://127.0.0.1:%d", f.p.port)
	e.S3URL = e.SQSURL
	e.DynamoURL = fmt.Sprintf("http://127.0.0.1:%d", d.p.port)
	if err := e.healthy(ctx); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// packageStartTimeout is Step's bound: longer than one test's, because
// every package's TestMain starts its pair at once on a busy machine.
const packageStartTimeout = time.Minute

// Step is the testenv.Step that launches one pair for a whole package,
// stores it in dst, and stops it once the package's tests are done.
func Step(dst **Env) testenv.Step {
	return testenv.Step{Name: "start the emulators", Run: func() (func(), error) {
		ctx, cancel := context.WithTimeout(context.Background(), packageStartTimeout)
		defer cancel()
		e, err := Launch(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w (run `go tool task setup` if the emulators are missing)", err)
		}
		*dst = e
		return e.Stop, nil
	}}
}

// Stop kills both emulators by pid. It is safe to call more than once.
func (e *Env) Stop() {
	e.fauxqs.kill()
	e.dynalite.kill()
}

// Alive reports an error if either emulator has exited.
func (e *Env) Alive() error {
	if err := e.fauxqs.exited(); err != nil {
		return err
	}
	return e.dynalite.exited()
}

// healthy waits until fauxqs answers GET /health and dynalite answers a
// ListTables call: the launchers print their port once listening, this
// checks the APIs behind them really serve.
func (e *Env) healthy(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	check := func(req *http.Request) error {
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	}
	probes := []struct {
		name string
		req  func() *http.Request
	}{
		{"fauxqs", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, e.SQSURL+"/health", nil)
			return r
		}},
		{"dynalite", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, e.DynamoURL, strings.NewReader("{}"))
			r.Header.Set("Content-Type", "application/x-amz-json-1.0")
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
			// dynalite checks that a signature is present, not that it is valid.
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+AccessKeyID+"/20200101/"+Region+"/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
			r.Header.Set("X-Amz-Date", "20200101T000000Z")
			return r
		}},
	}
	for _, p := range probes {
		var err error
		for range 50 {
			if err = check(p.req()); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("health check %s: %w (last: %v)", p.name, ctx.Err(), err)
			case <-time.After(50 * time.Millisecond):
			}
		}
		if err != nil {
			return fmt.Errorf("health check %s: %w", p.name, err)
		}
	}
	return nil
}

// Environ returns the variables that point the AWS SDK (and so any
// batchinfer process) at these emulators: the SDK's own
// AWS_ENDPOINT_URL_* names, the region and test credentials. Append it to
// os.Environ() for a child process.
func (e *Env) Environ() []string {
	return []string{
		"AWS_ENDPOINT_URL_SQS=" + e.SQSURL,
		"AWS_ENDPOINT_URL_S3=" + e.S3URL,
		"AWS_ENDPOINT_URL_SNS=" + e.SQSURL, // fauxqs serves SNS on the same port
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.DynamoURL,
		"AWS_REGION=" + e.Region,
		"AWS_DEFAULT_REGION=" + e.Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Config returns an SDK configuration for these emulators without touching
// the process environment: the endpoints are a configuration source the
// service clients consult before the environment, exactly like
// AWS_ENDPOINT_URL_SQS and friends. S3 clients built from it need
// UsePathStyle (store.NewS3Client sets it). It panics only if the SDK
// cannot load a configuration at all (e.g. a broken AWS_PROFILE), which is
// a broken test machine, not a test result.
func (e *Env) Config(ctx context.Context) aws.Config {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(e.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		// Below dynalite's 5 s keep-alive, as store.NewHTTPClient: a reused
		// connection the server has just dropped fails the call.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.IdleConnTimeout = 3 * time.Second
		})),
	)
	if err != nil {
		panic(fmt.Sprintf("emulators: load AWS config: %v", err))
	}
	cfg.ConfigSources = append([]any{e.endpoints()}, cfg.ConfigSources...)
	return cfg
}

// endpoints resolves per-service base endpoints the way the SDK's
// environment source does for AWS_ENDPOINT_URL_<SERVICE>.
type endpoints map[string]string

func (e *Env) endpoints() endpoints {
	return endpoints{"SQS": e.SQSURL, "S3": e.S3URL, "SNS": e.SQSURL, "DynamoDB": e.DynamoURL}
}

// GetServiceBaseEndpoint satisfies the SDK's (internal)
// ServiceBaseEndpointProvider, keyed by the service's SDK ID.
func (m endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	u, ok := m[sdkID]
	return u, ok && u != "", nil
}
