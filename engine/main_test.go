package engine

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/model"
)

// models are the real models the package's tests run, loaded once.
var models []*model.Model

func TestMain(m *testing.M) {
	testenv.Main(m, modelenv.Load(&models, model.Options{IntraOpThreads: 1}, "iris-rf", "ppocr-rec"))
}

// bytesItem is an item of bytes for m, as an image or a tabular row is.
func bytesItem(m *model.Model, data []byte) Item {
	return Item{Model: m, Input: model.Input{Data: data}}
}

// newEngine is an engine serving models.
func newEngine(t *testing.T, models ...*model.Model) *Engine {
	t.Helper()
	eng, err := New(models)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}
