package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// LoadAWSConfig loads the SDK's default configuration (environment, shared
// files, the Lambda role) with the SDK's own retries turned off: the worker
// retries with backoff itself, bounded by the invocation deadline, so there
// is exactly one retry policy and one place that counts attempts.
func LoadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1), config.WithHTTPClient(NewHTTPClient()))
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("load AWS config: no region: set AWS_REGION")
	}
	return cfg, nil
}

// NewHTTPClient is the HTTP client every AWS client of ours uses.
//
// An invocation makes up to a batch's worth of calls at once; the SDK's
// default of 10 idle connections per host would close and re-dial (TLS
// included) most of them every round.
//
// Idle connections are closed after IdleConnTimeout, which must stay below
// the servers' own keep-alive timeouts: a server that drops an idle
// connection just as the client reuses it turns a call into an EOF or a
// reset, after the server may already have acted on it (a ReceiveMessage
// whose messages are hidden, their answer lost). dynalite (Node's default)
// drops idle connections after 5 s, fauxqs (Fastify) after 72 s; Go's
// default is 90 s.
func NewHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = maxConnsPerHost * 4
		t.MaxIdleConnsPerHost = maxConnsPerHost
		t.IdleConnTimeout = IdleConnTimeout
	})
}

// IdleConnTimeout is how long an idle keep-alive connection is kept: below
// every server's (see NewHTTPClient), with a margin for a request already
// on its way when the server's timer fires.
const IdleConnTimeout = 3 * time.Second

// maxConnsPerHost bounds the idle connections kept per AWS endpoint: the
// most concurrent calls an invocation makes (MaxAWSConcurrency).
const maxConnsPerHost = 256

// NewS3Client builds an S3 client from cfg. When an S3 endpoint override
// is configured (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or an equivalent
// configuration source) it uses path-style addressing: emulators listen on
// an IP address, where virtual-hosted bucket names cannot resolve.
func NewS3Client(cfg aws.Config) *s3.Client {
	override := hasEndpointOverride(cfg, "S3")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Objects uploaded without a checksum (most producers, and every
		// object on the emulators) would log one line per GetObject.
		o.DisableLogOutputChecksumValidationSkipped = true
		if override {
			o.UsePathStyle = true
		}
	})
}

// serviceEndpointSource is the SDK's (internal) ServiceBaseEndpointProvider:
// the environment, shared config and load options implement it.
type serviceEndpointSource interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

// hasEndpointOverride reports whether the service's base endpoint is
// overridden, resolving sources the way the service clients do.
func hasEndpointOverride(cfg aws.Config, sdkID string) bool {
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return true
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpointSource); ok {
			if u, found, err := p.GetServiceBaseEndpoint(context.Background(), sdkID); err == nil && found && u != "" {
				return true
			}
		}
	}
	return false
}
