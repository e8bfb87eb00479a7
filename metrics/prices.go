package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/batchinfer/batchinfer/settings"
)

// Prices is the price table cost figures are worked out from, in USD per
// unit (one GB-second, one request, one read unit...). On-demand list
// prices, no free tier, no savings plan: the figure is what the next
// invocation costs at the margin, which is what a cost comparison needs.
type Prices struct {
	Date   string `json:"date"`   // when the table was taken from the public price pages
	Region string `json:"region"` // the region whose prices these are

	LambdaGBSecondARM64  float64 `json:"lambda_gb_second_arm64"`
	LambdaGBSecondX86_64 float64 `json:"lambda_gb_second_x86_64"`
	LambdaRequest        float64 `json:"lambda_request"`

	// Poll mode runs in a container: Fargate's per-second vCPU and memory rates.
	ContainerVCPUHourARM64  float64 `json:"container_vcpu_hour_arm64"`
	ContainerVCPUHourX86_64 float64 `json:"container_vcpu_hour_x86_64"`
	ContainerGBHourARM64    float64 `json:"container_gb_hour_arm64"`
	ContainerGBHourX86_64   float64 `json:"container_gb_hour_x86_64"`

	SQSRequest        float64 `json:"sqs_request"`         // standard queue, per API call (64 KB chunk)
	DynamoDBReadUnit  float64 `json:"dynamodb_read_unit"`  // on-demand read request unit
	DynamoDBWriteUnit float64 `json:"dynamodb_write_unit"` // on-demand write request unit
	S3Get             float64 `json:"s3_get"`              // S3 Standard GET, HEAD and other read requests
	S3Put             float64 `json:"s3_put"`              // S3 Standard PUT, COPY, POST, LIST requests
	SNSPublish        float64 `json:"sns_publish"`         // per 64 KB publish
	EventBridgeEvent  float64 `json:"eventbridge_event"`   // custom event put
}

// DefaultPrices is us-east-1 on-demand, as the public price pages list it.
// Lambda: $0.0000133334 (arm64) and $0.0000166667 (x86_64) per GB-s, $0.20
// per 1M requests. Fargate Linux: $0.03238/$0.04048 per vCPU-hour,
// $0.00356/$0.004445 per GB-hour. SQS $0.40, DynamoDB on-demand $0.125
// (read) and $0.625 (write, since the November 2024 cut), S3 GET $0.40 and
// PUT $5.00, SNS $0.50, EventBridge $1.00, all per million.
var DefaultPrices = Prices{
	Date:   "2026-12-01",
	Region: "us-east-1",

	LambdaGBSecondARM64:  0.0000133334,
	LambdaGBSecondX86_64: 0.0000166667,
	LambdaRequest:        0.20 / 1e6,

	ContainerVCPUHourARM64:  0.03238,
	ContainerVCPUHourX86_64: 0.04048,
	ContainerGBHourARM64:    0.00356,
	ContainerGBHourX86_64:   0.004445,

	SQSRequest:        0.40 / 1e6,
	DynamoDBReadUnit:  0.125 / 1e6,
	DynamoDBWriteUnit: 0.625 / 1e6,
	S3Get:             0.40 / 1e6,
	S3Put:             5.00 / 1e6,
	SNSPublish:        0.50 / 1e6,
	EventBridgeEvent:  1.00 / 1e6,
}

// rates lists the table's rates by JSON name, for the overrides.
func (p *Prices) rates() map[string]*float64 {
	return map[string]*float64{
		"lambda_gb_second_arm64": &p.LambdaGBSecondARM64, "lambda_gb_second_x86_64": &p.LambdaGBSecondX86_64,
		"lambda_request":            &p.LambdaRequest,
		"container_vcpu_hour_arm64": &p.ContainerVCPUHourARM64, "container_vcpu_hour_x86_64": &p.ContainerVCPUHourX86_64,
		"container_gb_hour_arm64": &p.ContainerGBHourARM64, "container_gb_hour_x86_64": &p.ContainerGBHourX86_64,
		"sqs_request": &p.SQSRequest, "dynamodb_read_unit": &p.DynamoDBReadUnit, "dynamodb_write_unit": &p.DynamoDBWriteUnit,
		"s3_get": &p.S3Get, "s3_put": &p.S3Put, "sns_publish": &p.SNSPublish, "eventbridge_event": &p.EventBridgeEvent,
	}
}

// LoadPrices starts from DefaultPrices, lays the JSON file named by
// BATCHINFER_PRICES_FILE over it (only the members it has), then each
// BATCHINFER_PRICE_<NAME> variable (NAME the JSON member in capitals, e.g.
// BATCHINFER_PRICE_LAMBDA_GB_SECOND_ARM64), so one rate can change without
// a file.
func LoadPrices(getenv func(string) string) (Prices, error) {
	p := DefaultPrices
	e := settings.From(getenv)
	if path := e.Text(settings.PricesFile); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Prices{}, fmt.Errorf("%s: %w", settings.PricesFile.Name, err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields() // a misspelt rate must not be silently ignored
		if err := dec.Decode(&p); err != nil {
			return Prices{}, fmt.Errorf("%s %s: %w", settings.PricesFile.Name, path, err)
		}
	}
	for name, rate := range p.rates() {
		if v := settings.Price.Member(name); e.Set(v) {
			*rate = e.Float(v)
		}
	}
	if err := e.Err(); err != nil {
		return Prices{}, err
	}
	for name, rate := range p.rates() {
		if *rate < 0 {
			return Prices{}, fmt.Errorf("prices: %s is negative", name)
		}
	}
	return p, nil
}

// Requests is what an invocation asked of AWS besides Lambda itself, in the
// units each service bills (store counts them as its Billed).
type Requests struct {
	SQS                int64   // SQS API calls
	DynamoDBReadUnits  float64 // consumed read (request) units
	DynamoDBWriteUnits float64 // consumed write (request) units
	S3Get              int64   // GET-class calls: GetObject, HeadObject...
	S3Put              int64   // PUT-class calls: PutObject, UploadPart, CompleteMultipartUpload, List...
	SNS                int64   // Publish calls
	EventBridge        int64   // PutEvents entries
}

func (r *Requests) add(o Requests) {
	r.SQS += o.SQS
	r.DynamoDBReadUnits += o.DynamoDBReadUnits
	r.DynamoDBWriteUnits += o.DynamoDBWriteUnits
	r.S3Get += o.S3Get
	r.S3Put += o.S3Put
	r.SNS += o.SNS
	r.EventBridge += o.EventBridge
}

// Sub is what r counted beyond an earlier reading o.
func (r Requests) Sub(o Requests) Requests {
	return Requests{
		SQS: r.SQS - o.SQS, DynamoDBReadUnits: r.DynamoDBReadUnits - o.DynamoDBReadUnits,
		DynamoDBWriteUnits: r.DynamoDBWriteUnits - o.DynamoDBWriteUnits,
		S3Get:              r.S3Get - o.S3Get, S3Put: r.S3Put - o.S3Put, SNS: r.SNS - o.SNS, EventBridge: r.EventBridge - o.EventBridge,
	}
}

// RequestCost is what the requests cost.
func (p Prices) RequestCost(r Requests) float64 {
	return float64(r.SQS)*p.SQSRequest +
		r.DynamoDBReadUnits*p.DynamoDBReadUnit + r.DynamoDBWriteUnits*p.DynamoDBWriteUnit +
		float64(r.S3Get)*p.S3Get + float64(r.S3Put)*p.S3Put +
		float64(r.SNS)*p.SNSPublish + float64(r.EventBridge)*p.EventBridgeEvent
}

// BilledDuration rounds d up to a whole millisecond, as Lambda bills
// duration (1 ms granularity since December 2020).
func BilledDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Millisecond - 1) / time.Millisecond * time.Millisecond
}

// GBSeconds is configured memory (MB / 1024, as Lambda counts a GB) times
// the billed duration.
func GBSeconds(memoryMB int, d time.Duration) float64 {
	return float64(memoryMB) / 1024 * BilledDuration(d).Seconds()
}

// LambdaCost is one invocation's compute: GB-seconds at the architecture's
// rate plus the request fee.
func (p Prices) LambdaCost(arch string, gbSeconds float64) float64 {
	rate := p.LambdaGBSecondX86_64
	if arch == ArchARM64 {
		rate = p.LambdaGBSecondARM64
	}
	return gbSeconds*rate + p.LambdaRequest
}

// ContainerCost is d of a container with vcpu vCPUs and memoryMB of memory
// at Fargate's per-second rates (GB = 1024 MB, as Fargate sizes tasks).
func (p Prices) ContainerCost(arch string, vcpu float64, memoryMB int, d time.Duration) float64 {
	cpuRate, memRate := p.ContainerVCPUHourX86_64, p.ContainerGBHourX86_64
	if arch == ArchARM64 {
		cpuRate, memRate = p.ContainerVCPUHourARM64, p.ContainerGBHourARM64
	}
	hours := d.Hours()
	return hours * (vcpu*cpuRate + float64(memoryMB)/1024*memRate)
}
