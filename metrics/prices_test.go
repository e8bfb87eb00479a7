package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBilledDurationAndGBSeconds(t *testing.T) {
	cases := []struct {
		d        time.Duration
		memoryMB int
		billed   time.Duration
		gbs      float64
	}{
		{0, 1024, 0, 0},
		{time.Nanosecond, 1024, time.Millisecond, 0.001},
		{time.Millisecond, 1024, time.Millisecond, 0.001},
		{1000100 * time.Nanosecond, 1024, 2 * time.Millisecond, 0.002}, // 1.0001 ms bills 2 ms
		{100500 * time.Microsecond, 512, 101 * time.Millisecond, 0.0505},
		{time.Second, 1769, time.Second, 1769.0 / 1024},
		{15 * time.Minute, 10240, 15 * time.Minute, 9000},
	}
	for _, c := range cases {
		if got := BilledDuration(c.d); got != c.billed {
			t.Errorf("BilledDuration(%v) = %v, want %v", c.d, got, c.billed)
		}
		if got := GBSeconds(c.memoryMB, c.d); !near(got, c.gbs) {
			t.Errorf("GBSeconds(%d, %v) = %v, want %v", c.memoryMB, c.d, got, c.gbs)
		}
	}
}

func TestCostArithmetic(t *testing.T) {
	p := DefaultPrices
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"lambda arm64 1 GB-s", p.LambdaCost(ArchARM64, 1), 0.0000133334 + 0.0000002},
		{"lambda x86_64 1 GB-s", p.LambdaCost(ArchX86_64, 1), 0.0000166667 + 0.0000002},
		{"lambda request only", p.LambdaCost(ArchARM64, 0), 0.0000002},
		{"fargate x86_64 1 vCPU 2 GB 1 h", p.ContainerCost(ArchX86_64, 1, 2048, time.Hour), 0.04048 + 2*0.004445},
		{"fargate arm64 0.5 vCPU 1 GB 1 min", p.ContainerCost(ArchARM64, 0.5, 1024, time.Minute), (0.5*0.03238 + 0.00356) / 60},
		{"a million SQS calls", p.RequestCost(Requests{SQS: 1e6}), 0.40},
		{"a million read units", p.RequestCost(Requests{DynamoDBReadUnits: 1e6}), 0.125},
		{"a million write units", p.RequestCost(Requests{DynamoDBWriteUnits: 1e6}), 0.625},
		{"half read units", p.RequestCost(Requests{DynamoDBReadUnits: 0.5}), 0.0625e-6},
		{"a thousand S3 GETs", p.RequestCost(Requests{S3Get: 1000}), 0.0004},
		{"a thousand S3 PUTs", p.RequestCost(Requests{S3Put: 1000}), 0.005},
		{"a million SNS publishes", p.RequestCost(Requests{SNS: 1e6}), 0.50},
		{"a million events", p.RequestCost(Requests{EventBridge: 1e6}), 1.00},
		{"one of each", p.RequestCost(Requests{1, 1, 1, 1, 1, 1, 1}), (0.40 + 0.125 + 0.625 + 0.40 + 5 + 0.5 + 1) / 1e6},
	}
	for _, c := range cases {
		if !near(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if DefaultPrices.Date == "" || DefaultPrices.Region == "" {
		t.Fatal("the price table has no date or region")
	}
	if DefaultPrices.LambdaGBSecondARM64 >= DefaultPrices.LambdaGBSecondX86_64 || DefaultPrices.ContainerVCPUHourARM64 >= DefaultPrices.ContainerVCPUHourX86_64 {
		t.Fatal("arm64 rates should be below x86_64's")
	}
}

func TestLoadPrices(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name  string
		env   map[string]string
		check func(Prices) bool
		err   string
	}{
		{"defaults", nil, func(p Prices) bool { return p == DefaultPrices }, ""},
		{"one variable", map[string]string{"BATCHINFER_PRICE_LAMBDA_GB_SECOND_ARM64": "0.00001"},
			func(p Prices) bool { return p.LambdaGBSecondARM64 == 0.00001 && p.S3Put == DefaultPrices.S3Put }, ""},
		{"a file, then a variable over it", map[string]string{
			"BATCHINFER_PRICES_FILE":  `{"date":"2027-01-01","region":"eu-west-1","s3_put":0.0000054,"sqs_request":1e-6}`,
			"BATCHINFER_PRICE_S3_PUT": "0.000006"},
			func(p Prices) bool {
				return p.Region == "eu-west-1" && p.Date == "2027-01-01" && p.SQSRequest == 1e-6 && p.S3Put == 0.000006 && p.S3Get == DefaultPrices.S3Get
			}, ""},
		{"a misspelt rate in the file", map[string]string{"BATCHINFER_PRICES_FILE": `{"s3_puts":1}`}, nil, "unknown field"},
		{"a negative rate in the file", map[string]string{"BATCHINFER_PRICES_FILE": `{"s3_put":-1}`}, nil, "negative"},
		{"no such file", map[string]string{"BATCHINFER_PRICES_FILE": ""}, nil, "BATCHINFER_PRICES_FILE"},
		{"not a number", map[string]string{"BATCHINFER_PRICE_SQS_REQUEST": "cheap"}, nil, "BATCHINFER_PRICE_SQS_REQUEST"},
		{"negative", map[string]string{"BATCHINFER_PRICE_SQS_REQUEST": "-1"}, nil, "BATCHINFER_PRICE_SQS_REQUEST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			if v, ok := env["BATCHINFER_PRICES_FILE"]; ok {
				if v == "" {
					env["BATCHINFER_PRICES_FILE"] = filepath.Join(dir, "missing.json")
				} else {
					env["BATCHINFER_PRICES_FILE"] = file(v)
				}
			}
			p, err := LoadPrices(func(k string) string { return env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil || !c.check(p) {
				t.Fatalf("prices %+v, %v", p, err)
			}
		})
	}
}

// A later reading less an earlier one is what was asked in between, field
// by field (the request counter's Sub of two snapshots relies on it).
func TestRequestsSub(t *testing.T) {
	later := Requests{SQS: 7, DynamoDBReadUnits: 4.5, DynamoDBWriteUnits: 3, S3Get: 9, S3Put: 5, SNS: 2, EventBridge: 6}
	earlier := Requests{SQS: 2, DynamoDBReadUnits: 0.5, DynamoDBWriteUnits: 1, S3Get: 4, S3Put: 5, SNS: 1, EventBridge: 3}
	want := Requests{SQS: 5, DynamoDBReadUnits: 4, DynamoDBWriteUnits: 2, S3Get: 5, S3Put: 0, SNS: 1, EventBridge: 3}
	if got := later.Sub(earlier); got != want {
		t.Fatalf("Sub = %+v, want %+v", got, want)
	}
	var sum Requests
	sum.add(earlier)
	sum.add(later.Sub(earlier))
	if sum != later {
		t.Fatalf("earlier + (later - earlier) = %+v, want %+v", sum, later)
	}
}
