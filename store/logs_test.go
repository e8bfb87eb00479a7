package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/batchinfer/batchinfer/internal/fakelogs"
)

func TestLogEventsCopiesEveryPage(t *testing.T) {
	msgs := []string{`{"a":1}`, "second\n", `{"c":3}`, "fourth", "fifth"}
	srv := fakelogs.Start("/aws/lambda/worker", msgs, 2)
	defer srv.Close()
	client := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	logs := &LogEvents{Client: client}
	start, end := time.UnixMilli(1764590400000), time.UnixMilli(1764594000000)

	var out bytes.Buffer
	n, err := logs.Copy(context.Background(), "/aws/lambda/worker", `{ $.x = 1 }`, start, end, &out)
	if err != nil || n != 5 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if want := `{"a":1}` + "\nsecond\n" + `{"c":3}` + "\nfourth\nfifth\n"; out.String() != want {
		t.Fatalf("copied %q, want %q", out.String(), want)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[1].NextToken != "2" || reqs[2].NextToken != "4" {
		t.Fatalf("pages asked for: %+v", reqs)
	}
	if r := reqs[0]; r.FilterPattern != `{ $.x = 1 }` || r.StartTime != start.UnixMilli() || r.EndTime != end.UnixMilli() {
		t.Fatalf("first request %+v", r)
	}

	_, err = logs.Copy(context.Background(), "/aws/lambda/missing", "", start, end, &out)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "/aws/lambda/missing") {
		t.Fatalf("a missing group: %v", err)
	}
}
