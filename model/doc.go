// Package model owns ONNX Runtime for batchinfer: the process-wide
// environment, one session per model folder, the model manifest and the
// folders that need none, and the codecs that turn inputs into tensor rows
// and a row's outputs into JSON-ready results.
//
// # Folders
//
// Inspect reads a folder without creating its session: a manifest.json
// with inputs (or a pipeline) describes the model completely; otherwise
// the folder is a Hugging Face / Optimum export (Spec.HF: config.json,
// tokenizer.json and the rest; the task, labels, activation, pooling and
// maximum length derived from them), an Ultralytics export
// (Spec.Ultralytics: names, imgsz, stride and task from the .onnx
// metadata) or a bare .onnx, a tensor model. A manifest.json beside those
// files overrides any key it sets. The name is the manifest's, else
// Options.Name, else the folder's; the version the manifest's, else
// the hash of the .onnx (and its external data). Load is Inspect, the session (checked against
// the manifest) and the codec.
//
// # Codecs
//
// A manifest's task picks the codec registered for it (RegisterCodec, from
// the codec file's init; the factory gets the Spec). A Codec turns one
// Input (bytes, a Text, or tensors) into a Row: one tensor per model input
// in the manifest's order, without the batch dim, of the input's dtype,
// and State for its postprocessing (a text's offsets); Postprocess turns
// that row's outputs, in their own dtypes, into the result. A codec that
// pads inputs with values of its own implements PadValuer; one that makes
// several rows of an input (pages, windows) implements RowsCodec. Without
// a task, preprocess.kind and postprocess.kind pick the image, text-line,
// tabular, classification and CTC codecs; a pipeline (page OCR) runs its
// stages through Start and Flow instead.
//
// Every model with a session also takes an Open Inference Protocol
// request's tensors (Input.Tensors): PreprocessInput checks them against
// the model's inputs (invalid_tensor names what is wrong) and cuts them
// into one row per batch index; PostprocessRows answers
// {"outputs": [{"name", "shape", "datatype", "data"}]} from the rows'
// outputs, skipping the codec.
//
// It knows nothing about queues, tables or batching policy: callers pack
// rows (package batching, each input padded with PadValues), call
// RunInputs once per pack and hand each row its outputs back.
package model
