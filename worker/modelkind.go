package worker

import (
	"bytes"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/settings"
)

// A job that names no model (and whose key no route matches) goes to the
// served model that takes its kind of input: features to a tabular model,
// an image to the default image model, text to a text model. The kinds are
// the models' own (model.InputKind), so a new kind of model needs no change
// here.

// objectKinds is the input kind of an S3 object by its extension.
var objectKinds = map[string]string{
	".json": model.InputFeatures,
	".png":  model.InputImage, ".jpg": model.InputImage, ".jpeg": model.InputImage, ".webp": model.InputImage,
	".tif": model.InputImage, ".tiff": model.InputImage, ".bmp": model.InputImage, ".gif": model.InputImage,
	".pdf": model.InputImage,
	".txt": model.InputText,
}

// jobInputKind is the kind of input a job carries, "" when nothing short of
// running a model tells (then the default model takes it, as before).
func jobInputKind(in jobs.Input) string {
	switch {
	case in.Text != nil:
		return model.InputText
	case in.Tensors != nil:
		return "" // raw tensors skip the codecs: any model takes them
	case in.Features != nil:
		return model.InputFeatures
	case in.S3 != nil:
		if f, _, ok := jobs.RecordFileFormat(in.S3.Key); ok {
			if f == jobs.FormatCSV { // a CSV's columns are features
				return model.InputFeatures
			}
			return "" // JSON lines may hold any input
		}
		return objectKinds[strings.ToLower(path.Ext(in.S3.Key))]
	case in.Data != nil:
		return sniffKind(in.Data)
	}
	return ""
}

// sniffKind reads inline bytes' kind from their first bytes.
func sniffKind(b []byte) string {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return model.InputFeatures
	}
	ct := http.DetectContentType(b)
	switch {
	case strings.HasPrefix(ct, "image/"), ct == "application/pdf":
		return model.InputImage
	case strings.HasPrefix(ct, "text/plain"):
		return model.InputText
	}
	return ""
}

// modelForKind picks the model of a job that names none from the served
// models (the configured default first): the default when it takes the
// kind (or either kind is unknown), else the only one that does. Several
// candidates and no default among them is unknown_model naming them; no
// candidate leaves the job to the default, whose own checks say what is
// wrong with the input (invalid_text, unsupported_format, ...). A model
// with a feature source completes its features from the job's entity, so
// among several candidates a job with an entity goes to those and a job
// without one to the others.
func modelForKind(served []*model.Model, kind string, entity bool) (*model.Model, error) {
	def := served[0]
	if kind == "" || def.InputKind() == kind || def.InputKind() == "" {
		return def, nil
	}
	var fit []*model.Model
	for _, m := range served {
		if m.InputKind() == kind {
			fit = append(fit, m)
		}
	}
	if len(fit) > 1 {
		if narrowed := slices.DeleteFunc(slices.Clone(fit), func(m *model.Model) bool {
			return (m.FeatureSource() != nil) != entity
		}); len(narrowed) > 0 {
			fit = narrowed
		}
	}
	switch len(fit) {
	case 1:
		return fit[0], nil
	case 0:
		return def, nil
	}
	return nil, jobs.Errorf(jobs.CodeUnknownModel, "the job names no model and %d served models take %s input (%s), none of them the default (%s); name one in the job's model or route its key (%s)",
		len(fit), kind, modelList(fit), def.Name(), settings.Routes.Name)
}

func modelList(ms []*model.Model) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name()
	}
	return strings.Join(names, ", ")
}
