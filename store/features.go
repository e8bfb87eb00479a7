package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EntityKey names one item of a feature table: the table, its key
// attribute and the value (a string, or a number as written).
type EntityKey struct {
	Table, Attr string
	Value       string
	Number      bool // Value is a number (DynamoDB N), not a string (S)
}

// FeatureRead is what to read of one table: the feature attributes.
type FeatureRead struct {
	Names []string
}

// Features reads entities' stored features from DynamoDB tables.
type Features struct {
	Client *dynamodb.Client
}

// Get reads every distinct key with BatchGetItem calls of up to 100 keys
// (across tables), each projecting the table's feature names. An entity
// not in its table is absent from the answer; unprocessed keys (the
// table's throughput exceeded) are asked again with backoff until ctx
// ends; a failed call is classified (throttled, service error: transient).
func (f *Features) Get(ctx context.Context, keys []EntityKey, reads map[string]FeatureRead) (map[EntityKey]map[string]any, error) {
	found := map[EntityKey]map[string]any{}
	seen := map[EntityKey]bool{}
	var uniq []EntityKey
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	for start := 0; start < len(uniq); start += maxBatchGet {
		if err := f.getChunk(ctx, uniq[start:min(start+maxBatchGet, len(uniq))], reads, found); err != nil {
			return found, err
		}
	}
	return found, nil
}

func (k EntityKey) attr() types.AttributeValue {
	if k.Number {
		return &types.AttributeValueMemberN{Value: k.Value}
	}
	return &types.AttributeValueMemberS{Value: k.Value}
}

// entityOf finds the key an item answers for.
func entityOf(table, attr string, item map[string]types.AttributeValue) (EntityKey, bool) {
	switch v := item[attr].(type) {
	case *types.AttributeValueMemberS:
		return EntityKey{Table: table, Attr: attr, Value: v.Value}, true
	case *types.AttributeValueMemberN:
		return EntityKey{Table: table, Attr: attr, Value: v.Value, Number: true}, true
	}
	return EntityKey{}, false
}

func (f *Features) getChunk(ctx context.Context, keys []EntityKey, reads map[string]FeatureRead, found map[EntityKey]map[string]any) error {
	req := map[string]types.KeysAndAttributes{}
	attrOf := map[string]string{}
	for _, k := range keys {
		ka := req[k.Table]
		if ka.Keys == nil {
			ka.ProjectionExpression, ka.ExpressionAttributeNames = projection(k.Attr, reads[k.Table].Names)
		}
		ka.Keys = append(ka.Keys, map[string]types.AttributeValue{k.Attr: k.attr()})
		req[k.Table], attrOf[k.Table] = ka, k.Attr
	}
	return untilProcessed(ctx, "read features", func() (int, error) {
		out, err := f.Client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return 0, Classify(err, fmt.Sprintf("read the features of %d entities", len(keys)))
		}
		for table, items := range out.Responses {
			for _, item := range items {
				k, ok := entityOf(table, attrOf[table], item)
				if !ok {
					continue
				}
				var m map[string]any
				if err := attributevalue.UnmarshalMap(item, &m); err != nil {
					return 0, fmt.Errorf("read features: decode %s's item: %w", table, err)
				}
				delete(m, k.Attr)
				found[k] = m
			}
		}
		req = out.UnprocessedKeys
		return len(req), nil
	})
}

// projection reads the key and the named features only (names through
// placeholders: a feature may be called like a reserved word).
func projection(key string, names []string) (*string, map[string]string) {
	all := append([]string{key}, names...)
	sort.Strings(all[1:])
	ph := map[string]string{}
	expr := ""
	for i, n := range all {
		p := "#f" + strconv.Itoa(i)
		ph[p] = n
		if i > 0 {
			expr += ", "
		}
		expr += p
	}
	return aws.String(expr), ph
}

// EntityValue is an entity attribute's value as a key: a string, or a
// number as written (json.Number).
func EntityValue(v any) (value string, number bool, ok bool) {
	switch x := v.(type) {
	case string:
		return x, false, true
	case json.Number:
		return x.String(), true, true
	}
	return "", false, false
}
