package worker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/batchinfer/batchinfer/settings"
)

// Route sends S3 inputs under a key prefix to a model.
type Route struct {
	Prefix string
	Model  string
}

// Routes pick the model of an S3 input whose job names none: the longest
// matching key prefix wins, and no match means the default model.
type Routes []Route

// ParseRoutes reads BATCHINFER_ROUTES: "prefix=model,prefix=model".
func ParseRoutes(s string) (Routes, error) {
	var rs Routes
	seen := map[string]bool{}
	for _, f := range settings.SplitList(s) {
		prefix, model, ok := strings.Cut(f, "=")
		prefix, model = strings.TrimSpace(prefix), strings.TrimSpace(model)
		if !ok || model == "" {
			return nil, fmt.Errorf("%q is not prefix=model", f)
		}
		if seen[prefix] {
			return nil, fmt.Errorf("prefix %q is routed twice", prefix)
		}
		seen[prefix] = true
		rs = append(rs, Route{Prefix: prefix, Model: model})
	}
	// Longest prefix first, so the first match is the longest.
	sort.SliceStable(rs, func(i, j int) bool { return len(rs[i].Prefix) > len(rs[j].Prefix) })
	return rs, nil
}

// Model is the routed model of an object key, "" for the default.
func (rs Routes) Model(key string) string {
	for _, r := range rs {
		if strings.HasPrefix(key, r.Prefix) {
			return r.Model
		}
	}
	return ""
}

// check refuses routes naming a model the engine does not serve: every
// object under the prefix would fail unknown_model, so the function stops
// at start-up instead, naming the models it serves.
func (rs Routes) check(e Predictor) error {
	for _, r := range rs {
		if _, err := e.Model(r.Model); err != nil {
			return fmt.Errorf("%s: %s=%s names model %q, which is not served (served: %s; %s sets them)",
				settings.Routes.Name, r.Prefix, r.Model, r.Model, modelList(e.Models()), settings.Models.Name)
		}
	}
	return nil
}

// ClaimPolicy says which single jobs take an IN_PROGRESS claim before
// their work (record files always do): see docs/idempotency.md.
type ClaimPolicy struct {
	All    bool            // BATCHINFER_CLAIM=always
	Models map[string]bool // BATCHINFER_CLAIM_MODELS
}

// ParseClaimPolicy reads BATCHINFER_CLAIM (auto, the default, or always)
// and BATCHINFER_CLAIM_MODELS (models claimed under auto).
func ParseClaimPolicy(mode string, models []string) (ClaimPolicy, error) {
	p := ClaimPolicy{Models: map[string]bool{}}
	switch strings.TrimSpace(mode) {
	case "", "auto":
	case "always":
		p.All = true
	default:
		return p, fmt.Errorf("%q is not auto or always", mode)
	}
	for _, m := range models {
		p.Models[m] = true
	}
	return p, nil
}

func (p ClaimPolicy) claims(model string) bool { return p.All || p.Models[model] }
