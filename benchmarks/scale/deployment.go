package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/batchinfer/batchinfer/store"
)

// Deployment is what the stack was told (CDK context, the keys of
// infra/stack/context.go, with the stack's defaults from
// infra/stack/config.go) plus the few facts about the jobs the stack
// cannot know (output size, record-file share, notifications).
type Deployment struct {
	BatchSize                int     `json:"batchSize"`
	MaxBatchingWindowSeconds float64 `json:"maxBatchingWindowSeconds"`
	MaxConcurrency           int     `json:"maxConcurrency"`
	ReservedConcurrency      int     `json:"reservedConcurrency"`
	MemoryMiB                int     `json:"memoryMiB"`
	Architecture             string  `json:"architecture"`
	FIFO                     bool    `json:"fifo"`
	ESMMinPollers            int     `json:"esmMinPollers"` // provisioned mode when > 0
	ESMMaxPollers            int     `json:"esmMaxPollers"`

	Poller         string  `json:"poller"`         // "", "fargate" or "ec2": an ECS service polls instead of Lambda
	PollerMinTasks int     `json:"pollerMinTasks"` // the service's floor (0 allowed)
	PollerMaxTasks int     `json:"pollerMaxTasks"` // the service's ceiling
	PollerCPU      float64 `json:"pollerCpu"`      // vCPUs per task (the stack's pollerCpu is in CPU units: 1024 = 1 vCPU)
	PollerMemory   int     `json:"pollerMemoryMiB"`

	// StatusShards is the number of write shards of the status index
	// (status_shard = STATUS#n; the stack's is store.StatusShards); 0
	// models the old `status-updated_at` index alone (partition key
	// `status`, projection ALL).
	StatusShards int `json:"statusShards"`
	// LegacyStatusIndex: the old index is kept beside the sharded one
	// (context legacyStatusIndex, the first step of a stack's move), so
	// every write lands in both.
	LegacyStatusIndex bool `json:"legacyStatusIndex"`
	// WarmWritesPerSecond: the table and index pre-warmed (context
	// warmWritesPerSecond); 0 = a new table's 4,000.
	WarmWritesPerSecond float64 `json:"warmWritesPerSecond"`

	// The jobs, not the stack:
	OutputBytes     int     `json:"outputBytes"`     // mean output JSON per job
	RecordFileShare float64 `json:"recordFileShare"` // share of jobs that are record files
	RecordsPerFile  int     `json:"recordsPerFile"`  // rows per record file
	Notify          string  `json:"notify"`          // "sns" (the stack's topic), "eventbridge" or "none"
	ProducerBatch   int     `json:"producerBatch"`   // messages per SendMessageBatch of inline jobs (1..10)
}

// DefaultDeployment is the stack deployed without context.
func DefaultDeployment() Deployment {
	return Deployment{
		BatchSize: 100, MaxBatchingWindowSeconds: 5, MaxConcurrency: 10, MemoryMiB: 1769,
		Architecture: "x86_64", PollerCPU: 2, PollerMemory: 4096, PollerMaxTasks: 10, StatusShards: store.StatusShards,
		OutputBytes: 200, RecordsPerFile: 1000, Notify: "sns", ProducerBatch: 10,
	}
}

// ReadContext lays CDK context over d: cdk.json's "context" object (when
// path is not empty), then CDK_CONTEXT_JSON, then -c key=value pairs, as
// the CDK CLI does. Values may be JSON numbers or strings.
func ReadContext(d Deployment, cdkJSON, envJSON string, pairs map[string]string) (Deployment, error) {
	layers := []map[string]any{}
	if cdkJSON != "" {
		raw, err := os.ReadFile(cdkJSON)
		if err != nil {
			return d, fmt.Errorf("reading CDK context: %w", err)
		}
		var f struct {
			Context map[string]any `json:"context"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return d, fmt.Errorf("reading %s: %w", cdkJSON, err)
		}
		layers = append(layers, f.Context)
	}
	if envJSON != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(envJSON), &m); err != nil {
			return d, fmt.Errorf("CDK_CONTEXT_JSON: %w", err)
		}
		layers = append(layers, m)
	}
	p := map[string]any{}
	for k, v := range pairs {
		p[k] = v
	}
	layers = append(layers, p)
	for _, l := range layers {
		if err := d.apply(l); err != nil {
			return d, err
		}
	}
	return d, nil
}

// apply decodes the known keys of m into d, turning the CLI's strings into
// the JSON types the fields want; unknown keys (variant, models...) are
// the stack's business, not the model's.
func (d *Deployment) apply(m map[string]any) error {
	var typed map[string]json.RawMessage
	raw, _ := json.Marshal(d)
	if err := json.Unmarshal(raw, &typed); err != nil {
		return err
	}
	for k, v := range m {
		cur, known := typed[k]
		if !known {
			continue
		}
		s, isString := v.(string)
		if isString && len(cur) > 0 && cur[0] != '"' { // a number or bool given as text
			if _, err := strconv.ParseFloat(s, 64); err != nil && s != "true" && s != "false" {
				return fmt.Errorf("context %q: %q is not a number", k, s)
			}
			typed[k] = json.RawMessage(s)
			continue
		}
		b, _ := json.Marshal(v)
		typed[k] = b
	}
	out, _ := json.Marshal(typed)
	if err := json.Unmarshal(out, d); err != nil {
		return fmt.Errorf("CDK context: %w", err)
	}
	return nil
}

// VCPU is the function's CPU share: Lambda allocates CPU in proportion to
// memory, one vCPU at 1,769 MB, at most six.
func (d Deployment) VCPU() float64 {
	v := float64(d.MemoryMiB) / LambdaMiBPerVCPU
	return min(v, LambdaMaxVCPU)
}

// Provisioned reports whether the event source runs in provisioned mode.
func (d Deployment) Provisioned() bool { return d.ESMMinPollers > 0 || d.ESMMaxPollers > 0 }

// OnECS reports whether an ECS service polls the queue instead of Lambda.
func (d Deployment) OnECS() bool { return d.Poller == "fargate" || d.Poller == "ec2" }
