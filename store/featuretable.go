package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EnsureFeatureTable creates a feature table (string partition key key),
// for `local up`'s example and tests; an existing table is kept.
func EnsureFeatureTable(ctx context.Context, c *dynamodb.Client, table, key string) error {
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String(key), KeyType: dbtypes.KeyTypeHash}},
	})
	var inUse *dbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return Classify(err, "create feature table "+table)
	}
	return waitTableActive(ctx, c, table)
}

// PutEntities writes items (attribute name → value) with BatchWriteItem
// calls of up to 25, retrying unprocessed items.
func PutEntities(ctx context.Context, c *dynamodb.Client, table string, items []map[string]any) error {
	for start := 0; start < len(items); start += 25 {
		var reqs []dbtypes.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				return fmt.Errorf("encode an entity of %s: %w", table, err)
			}
			reqs = append(reqs, dbtypes.WriteRequest{PutRequest: &dbtypes.PutRequest{Item: av}})
		}
		err := Retry(ctx, func(ctx context.Context) error {
			out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]dbtypes.WriteRequest{table: reqs}})
			if err != nil {
				return Classify(err, "write entities to "+table)
			}
			if reqs = out.UnprocessedItems[table]; len(reqs) > 0 {
				return Classify(errors.New("unprocessed items"), "write entities to "+table)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
