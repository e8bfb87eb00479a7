package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/jobs"
)

// faultServer answers every request with status, headers and body, after
// an optional stall: it plays an AWS service having a bad moment.
func faultServer(t *testing.T, status int, contentType, body string, stall time.Duration) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stall > 0 {
			select {
			case <-time.After(stall):
			case <-r.Context().Done():
				return
			case <-stop:
				return
			}
		}
		w.Header().Set("Content-Type", contentType)
		if contentType == "application/x-amz-json-1.0" && status >= 400 {
			w.Header().Set("X-Amzn-Query-Error", "")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: a stalled handler must not hold Close
	return srv.URL
}

// cutServer answers 200 and half its promised body, then drops the
// connection: the service did the call, its answer was lost on the way.
func cutServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("Content-Length", "200")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"Item": {"job_id": {"S": "j"}, "st`)
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func dynamoAt(url string, timeout time.Duration) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(url)
		if timeout > 0 {
			// A transport timeout, as a production client would set
			// one: net/http's Client.Timeout sometimes surfaces as the
			// bare context.DeadlineExceeded, indistinguishable from the
			// caller's own deadline (and classified as such).
			o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
				tr.ResponseHeaderTimeout = timeout
			})
		}
	})
}

func getItem(ctx context.Context, c *dynamodb.Client, table string) error {
	r := &Results{Client: c, Table: table}
	_, err := r.Get(ctx, "j")
	return err
}

// TestClassifyRealSDKErrors produces each kind of failure with the real
// SDK clients (the emulators, fault servers, a dead port, a deadline) and
// checks the code Classify gives it.
func TestClassifyRealSDKErrors(t *testing.T) {
	const ddbThrottle = `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`
	const ddbThroughput = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`
	const ddb500 = `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`
	const s3SlowDown = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`
	const s3Internal = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`
	const s3AccessDenied = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
	const sqsThrottle = `{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}`

	tests := []struct {
		name string
		call func(t *testing.T) error
		want jobs.Code
	}{
		{"dynamodb ThrottlingException", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(faultServer(t, 400, "application/x-amz-json-1.0", ddbThrottle, 0), 0), "t")
		}, jobs.CodeThrottled},
		{"dynamodb ProvisionedThroughputExceeded", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(faultServer(t, 400, "application/x-amz-json-1.0", ddbThroughput, 0), 0), "t")
		}, jobs.CodeThrottled},
		{"dynamodb 500", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(faultServer(t, 500, "application/x-amz-json-1.0", ddb500, 0), 0), "t")
		}, jobs.CodeServiceError},
		{"s3 SlowDown 503", func(t *testing.T) error { return putOutput(t, 503, s3SlowDown) }, jobs.CodeThrottled},
		{"s3 InternalError 500", func(t *testing.T) error {
			_, err := (&Inputs{Client: faultS3(faultServer(t, 500, "application/xml", s3Internal, 0))}).Fetch(context.Background(), jobs.S3Object{Bucket: "b", Key: "k"})
			return err
		}, jobs.CodeServiceError},
		{"s3 bare 429", func(t *testing.T) error {
			_, err := (&Inputs{Client: faultS3(faultServer(t, 429, "text/plain", "too many", 0))}).Fetch(context.Background(), jobs.S3Object{Bucket: "b", Key: "k"})
			return err
		}, jobs.CodeThrottled},
		{"sqs RequestThrottled", func(t *testing.T) error {
			c := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
				o.BaseEndpoint = aws.String(faultServer(t, 400, "application/x-amz-json-1.0", sqsThrottle, 0))
			})
			return (&DeadLetters{Client: c, QueueURL: "http://q/000000000000/dlq"}).Send(context.Background(), DeadLetter{Body: "x", Code: "c"})
		}, jobs.CodeThrottled},
		{"answer cut mid-body", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(cutServer(t), 0), "t")
		}, jobs.CodeNetwork},
		{"connection refused", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(closedPort(t), 0), "t")
		}, jobs.CodeNetwork},
		{"response header timeout", func(t *testing.T) error {
			return getItem(context.Background(), dynamoAt(faultServer(t, 200, "application/x-amz-json-1.0", "{}", 5*time.Second), 100*time.Millisecond), "t")
		}, jobs.CodeTimeout},
		{"context deadline", func(t *testing.T) error {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			return getItem(ctx, dynamoAt(faultServer(t, 200, "application/x-amz-json-1.0", "{}", 5*time.Second), 0), "t")
		}, jobs.CodeDeadline},
		{"dynalite: table does not exist", func(t *testing.T) error {
			return getItem(context.Background(), dynamodb.NewFromConfig(cfg), name("missing"))
		}, jobs.CodeInternal},
		{"s3 AccessDenied 403", func(t *testing.T) error { return putOutput(t, 403, s3AccessDenied) }, jobs.CodeInternal},
		{"fauxqs: queue does not exist", func(t *testing.T) error {
			return (&DeadLetters{Client: sqs.NewFromConfig(cfg), QueueURL: emu.SQSURL + "/000000000000/" + name("nope")}).Send(context.Background(), DeadLetter{Body: "x"})
		}, jobs.CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t)
			var coded *jobs.Error
			if !errors.As(err, &coded) {
				t.Fatalf("error %v (%T) carries no code", err, err)
			}
			if coded.Code != tc.want {
				t.Fatalf("code %s, want %s: %v", coded.Code, tc.want, err)
			}
			if coded.Err == nil {
				t.Errorf("cause dropped: %v", err)
			}
			if jobs.IsPermanent(err) {
				t.Errorf("%s classified permanent", tc.want)
			}
		})
	}
}

// putOutput puts an output through a server that answers status and body.
func putOutput(t *testing.T, status int, body string) error {
	_, err := (&Outputs{Client: faultS3(faultServer(t, status, "application/xml", body, 0)), Bucket: "b"}).Put(context.Background(), "j", []byte("{}"))
	return err
}

func TestClassifyKeepsCodesAndNil(t *testing.T) {
	if Classify(nil, "x") != nil {
		t.Fatal("Classify(nil) != nil")
	}
	coded := jobs.Errorf(jobs.CodeInputMissing, "gone")
	if got := Classify(fmt.Errorf("wrapped: %w", coded), "get"); jobs.CodeOf(got) != jobs.CodeInputMissing {
		t.Fatalf("existing code lost: %v", got)
	}
	plain := errors.New("boom")
	got := Classify(plain, "doing a thing")
	if jobs.CodeOf(got) != jobs.CodeInternal || !errors.Is(got, plain) || got.Error() != "internal: doing a thing: boom" {
		t.Fatalf("Classify(plain) = %v", got)
	}
}

// TestNewS3ClientPathStyle: with an endpoint override (the emulators) the
// client must address buckets by path, without one it must not.
func TestNewS3ClientPathStyle(t *testing.T) {
	if !NewS3Client(cfg).Options().UsePathStyle {
		t.Error("no path style with AWS_ENDPOINT_URL_S3 set")
	}
	if NewS3Client(aws.Config{Region: "eu-west-1"}).Options().UsePathStyle {
		t.Error("path style without an endpoint override")
	}
	if !NewS3Client(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:1")}).Options().UsePathStyle {
		t.Error("no path style with a global endpoint override")
	}
	if _, err := NewS3Client(cfg).ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets on the emulator: %v", err)
	}
}
