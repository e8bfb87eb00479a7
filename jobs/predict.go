package jobs

import (
	"encoding/json"
)

// DecodeInstance decodes one instance of a predict request (POST
// /v1/predict): an inline job's input, with its own optional "entity"
// beside the input's fields, for the named model ("" is the default).
// It accepts exactly what an inline job's "input" accepts, so a predict
// call and a queued job of the same input run the same way; the Job's
// PayloadHash is the inline job's hash of that input.
func DecodeInstance(model string, raw json.RawMessage) (Job, error) {
	if firstByte(raw) != '{' {
		return Job{}, Errorf(CodeMalformedJob, `an instance must be an object: %s, with an optional "entity"`, inputKinds)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "instance")
	}
	j := Job{Model: model}
	if ent, ok := fields["entity"]; ok {
		delete(fields, "entity")
		var err error
		if j.Entity, err = decodeEntity(ent, ""); err != nil {
			return Job{}, err
		}
		if raw, err = json.Marshal(fields); err != nil {
			return Job{}, Wrap(CodeMalformedJob, err, "instance")
		}
	}
	in, err := decodeInput(raw)
	if err != nil {
		return Job{}, err
	}
	j.Input = in
	if j.PayloadHash, err = payloadHash(&j); err != nil {
		return Job{}, Wrap(CodeMalformedJob, err, "instance")
	}
	return j, nil
}

// CheckModelName validates a model name given outside a job body (a
// predict request's "model", the {model} of /v2/models/{model}/infer).
func CheckModelName(name string) error { return checkName("model", name, MaxModelNameLen) }
