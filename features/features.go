// Package features joins the features a model's feature source holds (a
// DynamoDB table keyed by a job's entity) into its jobs' inputs: the
// entities of a whole invocation or predict request are read in batched
// BatchGetItem calls, then merged by feature name, the job's own values
// winning (model.MergeFeatures).
package features

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// Reader reads entities' stored features (store.Features).
type Reader interface {
	Get(ctx context.Context, keys []store.EntityKey, reads map[string]store.FeatureRead) (map[store.EntityKey]map[string]any, error)
}

// Joiner reads and merges features. A nil Joiner or Reader joins nothing:
// a job with an entity for a model with a feature source then fails
// not_configured.
type Joiner struct {
	Reader Reader
	// Tables overrides a model's feature_source.table, by model name
	// (BATCHINFER_FEATURE_TABLES).
	Tables map[string]string
}

// Want is one job's need: its model and its entity (nil: none).
type Want struct {
	Model  *model.Model
	Entity map[string]any
}

// Found is what the read gave one Want: its key and stored features.
type Found struct {
	Needed bool // the model has a feature source and the job an entity
	Key    store.EntityKey
	Stored map[string]any
	Exists bool  // the entity is in the table
	Err    error // the job's own permanent error (a bad entity)
}

// Read reads every want's entity in BatchGetItem calls of up to 100
// distinct keys. A failed read (throttled, 5xx) is the error, transient:
// the jobs that needed it are retried; a want without a feature source or
// an entity needs nothing.
func (j *Joiner) Read(ctx context.Context, wants []Want) ([]Found, error) {
	found := make([]Found, len(wants))
	var keys []store.EntityKey
	reads := map[string]store.FeatureRead{}
	for i, w := range wants {
		fs := w.Model.FeatureSource()
		if fs == nil || w.Entity == nil {
			continue
		}
		found[i].Needed = true
		if j == nil || j.Reader == nil {
			found[i].Err = jobs.Errorf(jobs.CodeNotConfigured, "model %s reads features but this process has no DynamoDB client for them", w.Model.Name())
			continue
		}
		k, err := j.key(w.Model, fs, w.Entity)
		if err != nil {
			found[i].Err = err
			continue
		}
		found[i].Key = k
		keys = append(keys, k)
		reads[k.Table] = store.FeatureRead{Names: fs.Features}
	}
	if len(keys) == 0 {
		return found, nil
	}
	got, err := j.Reader.Get(ctx, keys, reads)
	if err != nil {
		return found, err
	}
	for i := range found {
		if found[i].Needed && found[i].Err == nil {
			found[i].Stored, found[i].Exists = got[found[i].Key]
		}
	}
	return found, nil
}

// key is an entity's item key in m's table.
func (j *Joiner) key(m *model.Model, fs *model.FeatureSource, entity map[string]any) (store.EntityKey, error) {
	table := fs.Table
	if t, ok := j.Tables[m.Name()]; ok {
		table = t
	}
	v, ok := entity[fs.Key]
	if !ok {
		return store.EntityKey{}, jobs.Errorf(jobs.CodeFeaturesMissing, "the entity has no %q, the key of feature table %s", fs.Key, table)
	}
	val, num, ok := store.EntityValue(v)
	if !ok {
		return store.EntityKey{}, jobs.Errorf(jobs.CodeMalformedJob, "entity.%s must be a string or a number", fs.Key)
	}
	return store.EntityKey{Table: table, Attr: fs.Key, Value: val, Number: num}, nil
}

// Apply merges f into in (a tabular input's bytes) when the job needed
// features; the error is the job's, permanent.
func Apply(m *model.Model, f Found, in model.Input) (model.Input, error) {
	if !f.Needed {
		return in, nil
	}
	if f.Err != nil {
		return in, f.Err
	}
	merged, err := m.MergeFeatures(in.Data, f.Stored, f.Exists)
	var ie *model.InputError
	switch {
	case errors.As(err, &ie):
		return in, &jobs.Error{Code: jobs.Code(ie.Code), Message: ie.Message}
	case err != nil:
		return in, jobs.Wrap(jobs.CodeInvalidFeatures, err, "merge stored features")
	}
	return model.Input{Data: merged}, nil
}

// ParseTables reads BATCHINFER_FEATURE_TABLES: model=table pairs.
func ParseTables(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		m, t, ok := strings.Cut(p, "=")
		if !ok || m == "" || t == "" {
			return nil, fmt.Errorf("%s: %q is not model=table", settings.FeatureTables.Name, p)
		}
		out[strings.TrimSpace(m)] = strings.TrimSpace(t)
	}
	return out, nil
}
