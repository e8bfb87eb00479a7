package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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
	c := Config{
		QueueURL: getenv("BATCHINFER_QUEUE_URL"), Table: getenv("BATCHINFER_RESULTS_TABLE"),
		UploadBucket: getenv("BATCHINFER_UPLOAD_BUCKET"), UploadPrefix: getenv("BATCHINFER_UPLOAD_PREFIX"),
		UploadMax: DefaultUploadMax, UploadExpires: DefaultUploadExpires,
	}
	if needKeys {
		ks, err := ParseKeys(getenv("BATCHINFER_API_KEYS"))
		if err != nil {
			return c, err
		}
		c.Keys = ks
	}
	if c.UploadBucket == "" {
		c.UploadBucket, _, _ = strings.Cut(getenv("BATCHINFER_INPUT_BUCKETS"), ",")
		c.UploadBucket = strings.TrimSpace(c.UploadBucket)
	}
	if c.UploadPrefix == "" {
		c.UploadPrefix = DefaultUploadPrefix
	}
	var err error
	if v := getenv("BATCHINFER_API_RATE"); v != "" {
		if c.Rate, err = strconv.ParseFloat(v, 64); err != nil || c.Rate < 0 {
			return c, fmt.Errorf("BATCHINFER_API_RATE: %q is not a non-negative number of requests per second", v)
		}
	}
	if v := getenv("BATCHINFER_API_BURST"); v != "" {
		if c.Burst, err = strconv.Atoi(v); err != nil || c.Burst < 0 {
			return c, fmt.Errorf("BATCHINFER_API_BURST: %q is not a non-negative whole number", v)
		}
	}
	for _, name := range []string{"BATCHINFER_UPLOAD_MAX_BYTES", "BATCHINFER_MAX_INPUT_BYTES"} {
		if v := getenv(name); v != "" {
			if c.UploadMax, err = strconv.ParseInt(v, 10, 64); err != nil || c.UploadMax <= 0 {
				return c, fmt.Errorf("%s: %q is not a positive number of bytes", name, v)
			}
			break
		}
	}
	if v := getenv("BATCHINFER_UPLOAD_EXPIRY"); v != "" {
		if c.UploadExpires, err = time.ParseDuration(v); err != nil || c.UploadExpires <= 0 || c.UploadExpires > 7*24*time.Hour {
			return c, fmt.Errorf("BATCHINFER_UPLOAD_EXPIRY: %q is not a duration up to 168h (e.g. 5m)", v)
		}
	}
	return c, nil
}
