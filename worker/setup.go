package worker

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/reprocess"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// ColdStart is how long each step of start-up took; it is logged once so a
// slow cold start can be traced to its cause.
type ColdStart struct {
	ORTInit, ModelFetch, SessionCreate, Total time.Duration
}

// OpenAdapters builds the AWS adapters cfg names (endpoints from the SDK's
// AWS_ENDPOINT_URL* variables): once per process, for the worker and, in
// poll mode, the poller.
func OpenAdapters(ctx context.Context, cfg Config) (*store.Adapters, error) {
	aws, err := store.Open(ctx, store.OpenOptions{
		ResultsTable: cfg.ResultsTable, ResultsBucket: cfg.ResultsBucket, ResultsPrefix: cfg.ResultsPrefix,
		DLQURL: cfg.DLQURL, QueueURL: cfg.QueueURL, MaxInputBytes: cfg.MaxInputBytes, ResultTTL: cfg.ResultTTL,
		NotifyTopicARN: cfg.NotifyTopicARN, NotifyEventBus: cfg.NotifyEventBus,
	})
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return aws, nil
}

// New builds a Worker from configuration and the adapters OpenAdapters
// opened: ONNX Runtime and the models, read through aws. It runs once per
// process, outside the handler, as Lambda's init phase.
func New(ctx context.Context, cfg Config, aws *store.Adapters, log *slog.Logger) (*Worker, ColdStart, error) {
	var cs ColdStart
	start := time.Now()
	if err := model.InitRuntime(cfg.ORTLib); err != nil {
		return nil, cs, err
	}
	cs.ORTInit = time.Since(start)

	models, fetch, create, err := LoadModels(ctx, aws.Objects, cfg)
	cs.ModelFetch, cs.SessionCreate = fetch, create
	if err != nil {
		return nil, cs, err
	}
	eng, err := engine.New(models)
	if err != nil {
		return nil, cs, err
	}
	eng.SetMaxBatch(cfg.MaxBatch)
	if err := cfg.Routes.check(eng); err != nil {
		return nil, cs, err
	}
	if len(cfg.InputBuckets) == 0 {
		log.Warn(settings.InputBuckets.Name + " is empty: every S3 input will fail with bucket_not_allowed")
	}
	w := &Worker{
		Engine: eng, Results: aws.Results, Inputs: aws.Inputs, Outputs: aws.Outputs, DeadLetters: aws.DeadLetters,
		Config: cfg, Log: log, Notify: NewNotifications(aws.Notifier, aws.Results),
		Redeliveries: aws.Sources,
	}
	if w.Features, err = newJoiner(aws, cfg); err != nil {
		return nil, cs, err
	}
	if aws.Queue != nil {
		w.Reprocessor = &reprocess.Reprocessor{Results: aws.Results, Queue: aws.Queue, Objects: aws.Objects}
		w.Continuations = aws.Queue
	}
	cs.Total = time.Since(start)
	w.coldStart.Store(&cs)
	return w, cs, nil
}

// modelDir is where model location loc is on disk: the folder itself, or
// an s3:// prefix's copy in ModelCache.
func (c Config) modelDir(loc string) string {
	if !strings.HasPrefix(loc, "s3://") {
		return loc
	}
	sum := sha256.Sum256([]byte(loc))
	return filepath.Join(c.ModelCache, hex.EncodeToString(sum[:8]))
}

// NewIsolator runs suspects in `self isolate` (self: this binary) with
// the models of cfg, already loaded once, so the child reads them from disk.
func NewIsolator(self string, cfg Config, ms []*model.Model) *engine.Isolator {
	iso := &engine.Isolator{Dirs: map[string]string{}, Command: func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, self, "isolate")
		cmd.Stderr = os.Stderr // the child's errors join the function's log
		return cmd
	}}
	for i, m := range ms {
		iso.Dirs[m.Name()] = cfg.modelDir(cfg.Models[i])
	}
	return iso
}

// ModelSource copies s3:// model prefixes to a local folder.
type ModelSource interface {
	SyncPrefix(ctx context.Context, uri, dir string) (downloaded bool, err error)
}

// LoadModels loads every model of cfg.Models: folders directly, s3://
// prefixes through a /tmp copy kept by ETag (a folder without a manifest
// is named for the prefix's last part, not the copy's folder). It returns
// the time spent fetching and creating sessions.
func LoadModels(ctx context.Context, src ModelSource, cfg Config) (ms []*model.Model, fetch, create time.Duration, err error) {
	for _, loc := range cfg.Models {
		dir := loc
		opts := model.Options{IntraOpThreads: cfg.IntraOpThreads}
		if strings.HasPrefix(loc, "s3://") {
			opts.Name = path.Base(strings.TrimRight(loc, "/"))
			t0 := time.Now()
			dir = cfg.modelDir(loc)
			if _, err := src.SyncPrefix(ctx, loc, dir); err != nil {
				return nil, fetch, create, fmt.Errorf("%s: fetch %s: %w", settings.Models.Name, loc, err)
			}
			fetch += time.Since(t0)
		} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fetch, create, fmt.Errorf("%s: %s is not a model folder: %w", settings.Models.Name, loc, cmp.Or(err, errors.New("not a directory")))
		}
		t0 := time.Now()
		m, err := model.Load(dir, opts)
		create += time.Since(t0)
		if err != nil {
			return nil, fetch, create, fmt.Errorf("%s: load %s: %w", settings.Models.Name, loc, err)
		}
		ms = append(ms, m)
	}
	return ms, fetch, create, nil
}
