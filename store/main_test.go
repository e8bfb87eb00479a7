package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

// One pair of emulators serves the whole package; each test makes its own
// buckets, queues and tables (unique names), so tests stay independent.
var (
	emu *emulators.Env
	cfg aws.Config // loaded by LoadAWSConfig from the emulators' AWS_* variables
)

func TestMain(m *testing.M) {
	testenv.Main(m, emulators.Step(&emu), testenv.Step{Name: "point the SDK at the emulators", Run: func() (func(), error) {
		// The way Lambda configuration would: the SDK's own variables,
		// read by LoadAWSConfig.
		for _, kv := range emu.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
		var err error
		cfg, err = LoadAWSConfig(context.Background())
		return nil, err
	}})
}

var seq atomic.Int64

// name returns a resource name unique within this test binary.
func name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid()%100000, seq.Add(1))
}

// newTable creates a fresh results table and returns a Results on it.
func newTable(t *testing.T) *Results {
	t.Helper()
	db := dynamodb.NewFromConfig(cfg)
	table := name("results")
	if err := ensureTable(context.Background(), db, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return &Results{Client: db, Table: table, TTL: time.Hour}
}

// newBucket creates a fresh bucket.
func newBucket(t *testing.T) string {
	t.Helper()
	b := name("bucket")
	if err := ensureBucket(context.Background(), NewS3Client(cfg), cfg.Region, b); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return b
}

// newQueue creates a fresh queue and returns its URL.
func newQueue(t *testing.T) string {
	t.Helper()
	url, _, err := ensureQueue(context.Background(), sqs.NewFromConfig(cfg), name("queue"), nil)
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	return url
}
