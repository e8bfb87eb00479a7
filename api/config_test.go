package api

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"BATCHINFER_API_KEYS": "a", "BATCHINFER_INPUT_BUCKETS": "inbox,other", "BATCHINFER_API_RATE": "2.5", "BATCHINFER_MAX_INPUT_BYTES": "1000"}
	c, err := LoadConfig(func(k string) string { return env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.UploadBucket != "inbox" || c.Rate != 2.5 || c.UploadMax != 1000 || c.UploadPrefix != DefaultUploadPrefix || c.UploadExpires != 5*time.Minute {
		t.Errorf("config = %+v", c)
	}
	for name, val := range map[string]string{
		"BATCHINFER_API_KEYS": "", "BATCHINFER_API_RATE": "-1", "BATCHINFER_API_BURST": "x",
		"BATCHINFER_UPLOAD_MAX_BYTES": "0", "BATCHINFER_UPLOAD_EXPIRY": "9999h",
	} {
		bad := map[string]string{"BATCHINFER_API_KEYS": "a"}
		bad[name] = val
		if _, err := LoadConfig(func(k string) string { return bad[k] }, true); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, val, err)
		}
	}
	if _, err := LoadConfig(func(string) string { return "" }, false); err != nil {
		t.Errorf("the uploads function needs no keys: %v", err)
	}
}
