package engine

import (
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/tensor"
)

// InputOf is what the model takes of a job's input: its text, its tensor
// request, or bytes (inline data, tabular features, or an S3 object's
// content, given as data). An S3 object's key says what its bytes are
// (jobs.ObjectInputKind): a .txt object is a text, a .json object holding
// {"inputs": [...]} a tensor request. A .txt that is not UTF-8 or a
// request the protocol refuses is the job's permanent error.
func InputOf(in jobs.Input, data []byte) (model.Input, error) {
	switch {
	case in.Text != nil:
		return model.Input{Text: &model.Text{Text: in.Text.Text, Pair: in.Text.Pair}}, nil
	case in.Tensors != nil:
		return model.Input{Tensors: tensorsOf(in.Tensors)}, nil
	case in.S3 != nil:
		return FileInput(in.S3.Key, data)
	case in.Features != nil:
		return model.Input{Data: in.Features}, nil
	}
	return model.Input{Data: in.Data}, nil
}

// FileInput is what the model takes of a file's or object's bytes, by its
// name: see InputOf.
func FileInput(name string, data []byte) (model.Input, error) {
	switch jobs.ObjectInputKind(name, data) {
	case "text":
		in, err := jobs.TextObject(data)
		if err != nil {
			return model.Input{}, err
		}
		return InputOf(in, nil)
	case "inputs":
		r, err := jobs.ParseTensorRequest(data)
		if err != nil {
			return model.Input{}, err
		}
		return model.Input{Tensors: tensorsOf(r.Inputs)}, nil
	}
	return model.Input{Data: data}, nil
}

// tensorsOf views a request's tensors as the model's: jobs decodes each
// datatype into the very slice type the tensor package holds, so no data
// is copied.
func tensorsOf(ts []jobs.Tensor) []tensor.Named {
	out := make([]tensor.Named, len(ts))
	for i, t := range ts {
		out[i] = tensor.Named{Name: t.Name, Tensor: tensor.Tensor{Shape: t.Shape, Data: t.Data}}
	}
	return out
}
