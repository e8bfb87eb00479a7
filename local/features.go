package local

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/jobs"

	"github.com/batchinfer/batchinfer/store"
)

// FeatureTable is the example feature table `local up` creates: the
// petal measurements of a few of Fisher's flowers, keyed by flower_id,
// which models/iris-feat's feature_source names.
const FeatureTable = "batchinfer-flowers"

// exampleFlowers are rows 1, 51 and 101 of Fisher's iris data (a setosa,
// a versicolor, a virginica): their petals stored, their sepals left to
// the job.
var exampleFlowers = []map[string]any{
	{"flower_id": "f-1", "petal_length": 1.4, "petal_width": 0.2},
	{"flower_id": "f-51", "petal_length": 4.7, "petal_width": 1.4},
	{"flower_id": "f-101", "petal_length": 6.0, "petal_width": 2.5},
}

// ProvisionFeatures creates the example feature table and its flowers.
func ProvisionFeatures(ctx context.Context, cfg aws.Config) (string, error) {
	db := dynamodb.NewFromConfig(cfg)
	if err := store.EnsureFeatureTable(ctx, db, FeatureTable, "flower_id"); err != nil {
		return "", fmt.Errorf("example feature table: %w", err)
	}
	if err := store.PutEntities(ctx, db, FeatureTable, exampleFlowers); err != nil {
		return "", fmt.Errorf("example feature table: %w", err)
	}
	return FeatureTable, nil
}

// sendFeatureJob enqueues one
// iris-feat job that names flower f-101: its sepals are in the job, its
// petals in the table, and together they make a virginica.
func sendFeatureJob(ctx context.Context, sqsc *sqs.Client, queueURL string) (demoJob, error) {
	const id = "iris-feat-f-101"
	body, err := jobs.InlineJob{JobID: id, Model: "iris-feat", Features: mustJSON(map[string]float64{"sepal_length": 6.3, "sepal_width": 3.3}),
		Entity: mustJSON(map[string]string{"flower_id": "f-101"})}.Body()
	if err != nil {
		return demoJob{}, err
	}
	if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &queueURL, MessageBody: &body}); err != nil {
		return demoJob{}, fmt.Errorf("enqueue %s: %w", id, err)
	}
	return demoJob{id: id, input: "inline", want: "virginica"}, nil
}
