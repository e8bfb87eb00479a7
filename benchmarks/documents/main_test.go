// Package documents benchmarks documents and detection side by side: the
// pages of a scanned PDF against the same pages as PNG files through page
// OCR, and a detector's letterbox and postprocess against its run.
package documents

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/model"
)

var loaded []*model.Model

func TestMain(m *testing.M) {
	testenv.Main(m, modelenv.Load(&loaded, model.Options{}, "ppocr-page"))
}
