package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/batchinfer/batchinfer/metrics"
)

// Billed is what AWS requests cost in the units each service bills: the
// metrics package's Requests, which prices them.
type Billed = metrics.Requests

// RequestCounts is a RequestCounter's reading: the billed units and every
// call sent, by "Service.Operation" (retried attempts count each).
type RequestCounts struct {
	Billed
	Calls map[string]int64
}

// Total is every call sent.
func (c RequestCounts) Total() int64 {
	var n int64
	for _, v := range c.Calls {
		n += v
	}
	return n
}

// Sub is what c counted since prev.
func (c RequestCounts) Sub(prev RequestCounts) RequestCounts {
	d := RequestCounts{Calls: map[string]int64{}}
	d.Billed = c.Billed.Sub(prev.Billed)
	for op, n := range c.Calls {
		if n -= prev.Calls[op]; n != 0 {
			d.Calls[op] = n
		}
	}
	return d
}

// RequestCounter counts the AWS requests of every client built from the
// configuration it was added to (CountRequests). Safe for concurrent use.
type RequestCounter struct {
	id string
	mu sync.Mutex
	c  RequestCounts
}

var counterSeq atomic.Int64

// CountRequests adds request counting to cfg: every client built from it
// afterwards (S3, DynamoDB, SQS, SNS...) counts each call it sends, and
// DynamoDB calls ask for ReturnConsumedCapacity TOTAL (unless the caller
// chose a value) so the units are DynamoDB's own, not estimates.
func CountRequests(cfg *aws.Config) *RequestCounter {
	rc := &RequestCounter{id: fmt.Sprintf("batchinfer.CountRequests.%d", counterSeq.Add(1)), c: RequestCounts{Calls: map[string]int64{}}}
	cfg.APIOptions = append(cfg.APIOptions, rc.install)
	return rc
}

// Snapshot is the counts so far.
func (rc *RequestCounter) Snapshot() RequestCounts {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	s := rc.c
	s.Calls = maps.Clone(rc.c.Calls)
	return s
}

// Since is what was counted after prev (an earlier Snapshot): one
// invocation's requests, when invocations do not overlap.
func (rc *RequestCounter) Since(prev RequestCounts) RequestCounts {
	return rc.Snapshot().Sub(prev)
}

type scopeKey struct{}

// WithRequestScope returns a context whose calls are also counted in a
// counter of their own, for work that overlaps other work on the same
// clients (poll batches in flight together), where Since would mix them.
func WithRequestScope(ctx context.Context) (context.Context, *RequestCounter) {
	rc := &RequestCounter{c: RequestCounts{Calls: map[string]int64{}}}
	return context.WithValue(ctx, scopeKey{}, rc), rc
}

// install adds two middlewares: one in the initialize step (it sees the
// typed input and output: DynamoDB capacity), one in the finalize step
// after the retry middleware (it sees every attempt sent: calls).
func (rc *RequestCounter) install(stack *middleware.Stack) error {
	capacity := middleware.InitializeMiddlewareFunc(rc.id+".capacity", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		ctx = middleware.WithStackValue(ctx, paramsKey{}, in.Parameters)
		if awsmiddleware.GetServiceID(ctx) != "DynamoDB" {
			return next.HandleInitialize(ctx, in)
		}
		in.Parameters = withConsumedCapacity(in.Parameters)
		out, md, err := next.HandleInitialize(ctx, in)
		read, write := consumedUnits(awsmiddleware.GetOperationName(ctx), out.Result, err)
		rc.record(ctx, func(c *RequestCounts) {
			c.DynamoDBReadUnits += read
			c.DynamoDBWriteUnits += write
		})
		return out, md, err
	})
	calls := middleware.FinalizeMiddlewareFunc(rc.id+".calls", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
		params := middleware.GetStackValue(ctx, paramsKey{})
		rc.record(ctx, func(c *RequestCounts) {
			c.Calls[service+"."+op]++
			bill(&c.Billed, service, op, params)
		})
		return next.HandleFinalize(ctx, in)
	})
	if err := stack.Initialize.Add(capacity, middleware.After); err != nil {
		return err
	}
	return stack.Finalize.Add(calls, middleware.After)
}

// paramsKey carries the operation's input to the finalize step, where
// SNS and EventBridge batches are billed per entry.
type paramsKey struct{}

func (rc *RequestCounter) record(ctx context.Context, fn func(*RequestCounts)) {
	rc.mu.Lock()
	fn(&rc.c)
	rc.mu.Unlock()
	if scope, ok := ctx.Value(scopeKey{}).(*RequestCounter); ok && scope != rc {
		scope.mu.Lock()
		fn(&scope.c)
		scope.mu.Unlock()
	}
}

// bill adds one sent call in its service's billing unit.
func bill(b *Billed, service, op string, params any) {
	switch service {
	case "SQS":
		b.SQS++
	case "S3":
		switch {
		case strings.HasPrefix(op, "Delete"), op == "AbortMultipartUpload":
			// DELETE and CANCEL requests are free.
		case strings.HasPrefix(op, "Put"), strings.HasPrefix(op, "Copy"), strings.HasPrefix(op, "Upload"),
			strings.HasPrefix(op, "Create"), strings.HasPrefix(op, "Complete"), strings.HasPrefix(op, "List"):
			b.S3Put++
		default:
			b.S3Get++
		}
	case "SNS":
		b.SNS += entries(params, "PublishBatchRequestEntries")
	case "EventBridge":
		b.EventBridge += entries(params, "Entries")
	}
}

// entries is the length of a batch input's entry list, 1 for a single
// request (Publish); read by reflection so store needs no SNS or
// EventBridge package to bill them.
func entries(params any, field string) int64 {
	v := reflect.ValueOf(params)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		if f := v.Elem().FieldByName(field); f.IsValid() && f.Kind() == reflect.Slice {
			return int64(f.Len())
		}
	}
	return 1
}

// withConsumedCapacity returns a copy of a DynamoDB input asking for the
// consumed capacity, the caller's struct untouched (it may be reused).
func withConsumedCapacity(params any) any {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return params
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if !f.IsValid() || f.Kind() != reflect.String || f.String() != "" {
		return params
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	cp.Elem().FieldByName("ReturnConsumedCapacity").SetString(string(dbtypes.ReturnConsumedCapacityTotal))
	return cp.Interface()
}

// consumedUnits reads the units a DynamoDB call consumed from its output.
// A write refused by its condition consumes write capacity too but
// returns no output: it counts the one unit an item under 1 KB costs.
func consumedUnits(op string, result any, err error) (read, write float64) {
	var ccf *dbtypes.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return 0, 1
	}
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0
	}
	f := v.Elem().FieldByName("ConsumedCapacity")
	if !f.IsValid() {
		return 0, 0
	}
	var ccs []dbtypes.ConsumedCapacity
	switch c := f.Interface().(type) {
	case *dbtypes.ConsumedCapacity:
		if c != nil {
			ccs = []dbtypes.ConsumedCapacity{*c}
		}
	case []dbtypes.ConsumedCapacity:
		ccs = c
	}
	isRead := strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "BatchGet") || op == "Query" || op == "Scan" || op == "TransactGetItems"
	for _, c := range ccs {
		switch {
		case c.ReadCapacityUnits != nil || c.WriteCapacityUnits != nil:
			read += aws.ToFloat64(c.ReadCapacityUnits)
			write += aws.ToFloat64(c.WriteCapacityUnits)
		case isRead:
			read += aws.ToFloat64(c.CapacityUnits)
		default:
			write += aws.ToFloat64(c.CapacityUnits)
		}
	}
	return read, write
}
