// Package enginetest holds test doubles around the inference engine.
package enginetest

import (
	"context"
	"sync/atomic"

	"github.com/batchinfer/batchinfer/engine"
)

// Counting is an engine that counts the items it is asked to run (what a
// reused result saves shows as items not run).
type Counting struct {
	*engine.Engine
	Items atomic.Int64
}

// Predict counts items, then runs them.
func (c *Counting) Predict(ctx context.Context, items []engine.Item) []engine.Prediction {
	c.Items.Add(int64(len(items)))
	return c.Engine.Predict(ctx, items)
}
