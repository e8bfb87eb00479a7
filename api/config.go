package api

import (
	"time"

	"github.com/batchinfer/batchinfer/settings"
)

// Config is the front door's environment (every variable BATCHINFER_).
type Config struct {
	Keys          KeySet        // BATCHINFER_API_KEYS
	Rate          float64       // BATCHINFER_API_RATE: requests per second per key; 0 = unlimited
	Burst         int           // BATCHINFER_API_BURST: default the rate rounded up
	QueueURL      string        // BATCHINFER_QUEUE_URL
	Table         string        // BATCHINFER_RESULTS_TABLE
	UploadBucket  string        // BATCHINFER_UPLOAD_BUCKET, default the first BATCHINFER_INPUT_BUCKETS
	UploadPrefix  string        // BATCHINFER_UPLOAD_PREFIX, default uploads/
	UploadMax     int64         // BATCHINFER_UPLOAD_MAX_BYTES, default BATCHINFER_MAX_INPUT_BYTES or 10 MiB
	UploadExpires time.Duration // BATCHINFER_UPLOAD_EXPIRY, default 5m
}

// Defaults shared with the stack (infra/stack sets the same).
const (
	DefaultUploadPrefix  = "uploads/"
	DefaultUploadMax     = 10 << 20
	DefaultUploadExpires = 5 * time.Minute
)

// LoadConfig reads and validates the variables; an error names the one at
// fault. needKeys is false for the uploads function behind API Gateway,
// which checks keys itself.
func LoadConfig(getenv func(string) string, needKeys bool) (Config, error) {
	e := settings.From(getenv)
	c := Config{
		QueueURL: e.Text(settings.QueueURL), Table: e.Text(settings.ResultsTable),
		UploadBucket: e.Text(settings.UploadBucket), UploadPrefix: e.Text(settings.UploadPrefix),
		Rate: e.Float(settings.APIRate), Burst: int(e.Int(settings.APIBurst, 0)),
		UploadMax: DefaultUploadMax, UploadExpires: e.Duration(settings.UploadExpiry),
	}
	if needKeys && e.Err() == nil {
		ks, err := ParseKeys(e.Text(settings.APIKeys))
		if err != nil {
			return c, err
		}
		c.Keys = ks
	}
	if c.UploadBucket == "" {
		if inputs := e.List(settings.InputBuckets); len(inputs) > 0 {
			c.UploadBucket = inputs[0]
		}
	}
	for _, v := range []*settings.Var{settings.UploadMaxBytes, settings.MaxInputBytes} {
		if e.Set(v) {
			c.UploadMax = e.Int(v, 1)
			break
		}
	}
	if c.UploadExpires <= 0 || c.UploadExpires > 7*24*time.Hour {
		e.Fail(settings.UploadExpiry, "%s is not a duration up to 168h (e.g. 5m)", c.UploadExpires)
	}
	return c, e.Err()
}
