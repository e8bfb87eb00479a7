package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/store"
)

// One emulator pair serves the package; each test provisions its own
// uniquely named resources on it.
var (
	emu    *emulators.Env
	awsCfg aws.Config
	seq    atomic.Int64
)

func TestMain(m *testing.M) {
	testenv.Main(m, emulators.Step(&emu), testenv.Step{Name: "configure the SDK", Run: func() (func(), error) {
		awsCfg = emu.Config(context.Background())
		return nil, nil
	}})
}

// fixture is one provisioned system with a front door over real HTTP.
type fixture struct {
	url     string
	spec    store.ProvisionSpec
	prov    store.Provisioned
	queue   *store.Queue
	results *store.Results
}

const testKey = "k-test-123"

// newFixture provisions resources and serves a Server on them; cfg's Keys
// default to testKey.
func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	n := fmt.Sprintf("api-%d-%d", os.Getpid()%100000, seq.Add(1))
	spec := store.ProvisionSpec{InputBucket: n + "-inbox", ResultsBucket: n + "-results", Queue: n + "-jobs", DLQ: n + "-dlq", Table: n}
	prov, err := store.Provision(context.Background(), awsCfg, spec)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	if len(cfg.Keys.sums) == 0 {
		if cfg.Keys, err = ParseKeys(testKey); err != nil {
			t.Fatal(err)
		}
	}
	cfg.QueueURL, cfg.Table, cfg.UploadBucket = prov.QueueURL, spec.Table, spec.InputBucket
	if cfg.UploadPrefix == "" {
		cfg.UploadPrefix, cfg.UploadMax, cfg.UploadExpires = DefaultUploadPrefix, DefaultUploadMax, DefaultUploadExpires
	}
	f := &fixture{spec: spec, prov: prov,
		queue:   &store.Queue{Client: sqs.NewFromConfig(awsCfg), URL: prov.QueueURL},
		results: &store.Results{Client: dynamodb.NewFromConfig(awsCfg), Table: spec.Table},
	}
	srv := httptest.NewServer(New(cfg, f.queue, f.results, store.NewUploads(store.NewS3Client(awsCfg)), nil).Handler())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}
