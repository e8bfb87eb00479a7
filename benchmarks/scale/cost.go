package main

import (
	"math"
	"time"

	"github.com/batchinfer/batchinfer/metrics"
)

// Cost is the bill for one million jobs at one rate, in USD, every request
// counted (metrics.DefaultPrices, the worker's own price table).
type Cost struct {
	Compute    float64 // Lambda GB-seconds and requests, or ECS task time
	SQS        float64 // producers' sends, receives, deletes
	DynamoDB   float64 // table and index writes, reads
	IndexShare float64 // of DynamoDB: the status index's writes
	S3         float64 // inputs' GETs, results' PUTs
	Producers  float64 // producers' own uploads to the inbox
	Notify     float64 // SNS publishes or EventBridge entries
	Logs       float64 // CloudWatch Logs ingestion (EMF lines and logs)
	Total      float64
}

// Log volume per job and per invocation (EMF document + start/end lines),
// from docs/deploy.md's estimate (~1 GB per 1M OCR jobs in batches of 100).
const (
	logBytesPerJob        = 200
	logBytesPerInvocation = 2048
)

const million = 1e6

func costPerMillion(d Deployment, p Profile, w Writes, rate float64) Cost {
	pr := metrics.DefaultPrices
	var c Cost
	b := effectiveBatch(d, rate)
	invocations := million / b
	if d.OnECS() {
		per := taskJobsPerSec(d, p)
		served := math.Min(rate, float64(d.PollerMaxTasks)*per)
		tasks := math.Max(float64(d.PollerMinTasks), math.Ceil(served/per))
		hours := million / served / 3600
		// EC2 instance prices are not in the table: Fargate's rates stand in.
		c.Compute = tasks * pr.ContainerCost(arch(d), d.PollerCPU, d.PollerMemory, time.Duration(hours*float64(time.Hour)))
		invocations = million / d.batch()
	} else {
		sec := invocationMs(d, p, b, d.VCPU()) / 1000
		gbs := invocations * sec * float64(d.MemoryMiB) / 1024
		c.Compute = invocations * pr.LambdaCost(arch(d), gbs/invocations)
	}
	s3in := s3InputShare(d, p)
	perReceive := math.Min(b, SQSReceiveMaxMessages)
	sends := s3in + (1-s3in)/float64(max(d.ProducerBatch, 1))
	req := metrics.Requests{
		SQS:                int64(math.Round(million * (sends + 2/perReceive))),
		DynamoDBReadUnits:  million * w.Reads,
		DynamoDBWriteUnits: million * (w.Table + w.Index + w.Legacy),
		S3Get:              int64(math.Round(million * s3in)),
		S3Put:              int64(math.Round(million * resultsPuts(d))),
	}
	switch d.Notify {
	case "sns":
		req.SNS = million
	case "eventbridge":
		req.EventBridge = million
	}
	c.SQS = pr.RequestCost(metrics.Requests{SQS: req.SQS})
	c.DynamoDB = pr.RequestCost(metrics.Requests{DynamoDBReadUnits: req.DynamoDBReadUnits, DynamoDBWriteUnits: req.DynamoDBWriteUnits})
	c.IndexShare = million * (w.Index + w.Legacy) * pr.DynamoDBWriteUnit
	c.S3 = pr.RequestCost(metrics.Requests{S3Get: req.S3Get, S3Put: req.S3Put})
	c.Producers = float64(int64(math.Round(million*s3in))) * pr.S3Put
	c.Notify = pr.RequestCost(metrics.Requests{SNS: req.SNS, EventBridge: req.EventBridge})
	c.Logs = (million*logBytesPerJob + invocations*logBytesPerInvocation) / 1e9 * LogsPerGB
	c.Total = c.Compute + c.SQS + c.DynamoDB + c.S3 + c.Producers + c.Notify + c.Logs
	return c
}

func arch(d Deployment) string {
	if d.Architecture == "arm64" {
		return metrics.ArchARM64
	}
	return metrics.ArchX86_64
}
