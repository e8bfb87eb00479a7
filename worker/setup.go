package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// ColdStart is how long each step of start-up took; it is logged once so a
// slow cold start can be traced to its cause.
type ColdStart struct {
	ORTInit, ModelFetch, SessionCreate, Total time.Duration
}

// New builds a Worker from configuration: AWS clients (endpoints from the
// SDK's AWS_ENDPOINT_URL* variables), ONNX Runtime, and the models. It runs
// once per process, outside the handler, as Lambda's init phase.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Worker, ColdStart, error) {
	var cs ColdStart
	start := time.Now()
	awsCfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return nil, cs, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Every client counts its requests, so each invocation's metrics can
	// price the AWS calls it made.
	store.CountRequests(&awsCfg)
	s3c := store.NewS3Client(awsCfg)

	t0 := time.Now()
	if err := model.InitRuntime(cfg.ORTLib); err != nil {
		return nil, cs, err
	}
	cs.ORTInit = time.Since(t0)

	models, fetch, create, err := LoadModels(ctx, s3c, cfg)
	cs.ModelFetch, cs.SessionCreate = fetch, create
	if err != nil {
		return nil, cs, err
	}
	eng, err := NewEngine(models)
	if err != nil {
		return nil, cs, err
	}
	eng.SetMaxBatch(cfg.MaxBatch)
	if len(cfg.InputBuckets) == 0 {
		log.Warn("BATCHINFER_INPUT_BUCKETS is empty: every S3 input will fail with bucket_not_allowed")
	}
	results := &store.Results{Client: dynamodb.NewFromConfig(awsCfg), Table: cfg.ResultsTable, TTL: cfg.ResultTTL}
	sqsc := sqs.NewFromConfig(awsCfg)
	w := &Worker{
		Engine:      eng,
		Results:     results,
		Inputs:      &store.Inputs{Client: s3c, MaxBytes: cfg.MaxInputBytes},
		Outputs:     &store.Outputs{Client: s3c, Bucket: cfg.ResultsBucket, Prefix: cfg.ResultsPrefix},
		DeadLetters: &store.DeadLetters{Client: sqsc, QueueURL: cfg.DLQURL},
		Config:      cfg,
		Log:         log,
	}
	if cfg.QueueURL != "" {
		q := &store.Queue{Client: sqsc, URL: cfg.QueueURL}
		w.Reprocessor = &Reprocessor{Results: results, Queue: q, S3: s3c}
		w.Continuations = q
	}
	cs.Total = time.Since(start)
	w.coldStart.Store(&cs)
	return w, cs, nil
}

// LoadModels loads every model of cfg.Models: folders directly, s3://
// prefixes through a /tmp copy kept by ETag. It returns the time spent
// fetching and creating sessions.
func LoadModels(ctx context.Context, s3c *s3.Client, cfg Config) (ms []*model.Model, fetch, create time.Duration, err error) {
	for _, loc := range cfg.Models {
		dir := loc
		if strings.HasPrefix(loc, "s3://") {
			t0 := time.Now()
			sum := sha256.Sum256([]byte(loc))
			dir = filepath.Join(cfg.ModelCache, hex.EncodeToString(sum[:8]))
			if _, err := store.SyncPrefix(ctx, s3c, loc, dir); err != nil {
				return nil, fetch, create, fmt.Errorf("BATCHINFER_MODELS: fetch %s: %w", loc, err)
			}
			fetch += time.Since(t0)
		} else if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			return nil, fetch, create, fmt.Errorf("BATCHINFER_MODELS: %s is not a model folder (no manifest.json): %w", loc, err)
		}
		t0 := time.Now()
		m, err := model.Load(dir, model.Options{IntraOpThreads: cfg.IntraOpThreads})
		create += time.Since(t0)
		if err != nil {
			return nil, fetch, create, fmt.Errorf("BATCHINFER_MODELS: load %s: %w", loc, err)
		}
		ms = append(ms, m)
	}
	return ms, fetch, create, nil
}
