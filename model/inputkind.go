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

// taskKinds maps a manifest's task (a folder's, as Inspect reads it) to
// the input kind its codec decodes; a task missing here is its own kind.
var taskKinds = map[string]string{
	TaskTextClassification:  InputText,
	TaskTokenClassification: InputText,
	TaskFeatureExtraction:   InputText,
	TaskObjectDetection:     InputImage,
	TaskImageClassification: InputImage,
}

// InputKind is the kind of input the model takes (InputFeatures,
// InputImage, InputText, or its task's or preprocess kind's own name).
func (m *Model) InputKind() string {
	if t := m.manifest.Task; t != "" {
		if ik, ok := taskKinds[t]; ok {
			return ik
		}
		return t
	}
	k := m.manifest.Preprocess.Kind
	if ik, ok := inputKinds[k]; ok {
		return ik
	}
	return k
}
