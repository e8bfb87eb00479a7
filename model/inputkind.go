package model

// Input kinds name what a job carries, so that a job naming no model can go
// to a served model that takes it. They are the vocabulary shared by the
// worker's routing and the manifests: a model's kind follows from its
// preprocess kind.
const (
	InputFeatures = "features" // a JSON {"features": ...} row
	InputImage    = "image"    // an image or a document page
	InputText     = "text"     // UTF-8 text
)

// inputKinds maps preprocess kinds to the input kind they decode. A
// preprocess kind missing here is its own input kind, so a new codec (a
// tokenizer's "text", a raw "tensor") routes its jobs without a change here.
var inputKinds = map[string]string{
	"tabular":   InputFeatures,
	"image":     InputImage,
	"text_line": InputImage,
	"page":      InputImage,
}

// InputKind is the kind of input the model takes (InputFeatures,
// InputImage, InputText, or its preprocess kind).
func (m *Model) InputKind() string {
	k := m.manifest.Preprocess.Kind
	if ik, ok := inputKinds[k]; ok {
		return ik
	}
	return k
}
