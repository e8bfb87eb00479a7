package model

import (
	"errors"
	"fmt"

	"github.com/batchinfer/batchinfer/document"
)

// InputError is a problem with one input's bytes: retrying cannot help. Code
// is one of the jobs taxonomy strings (empty_input, unsupported_format,
// undecodable_image, image_too_large, bad_image_dimensions,
// invalid_features, wrong_feature_count, non_finite_feature,
// input_too_large); model does not import jobs, so the worker maps
// Code with jobs.Code(e.Code).
type InputError struct {
	Code    string
	Message string
}

func (e *InputError) Error() string { return e.Code + ": " + e.Message }

// The codes this package produces; they equal the jobs.Code strings.
const (
	codeEmptyInput        = "empty_input"
	codeUnsupportedFormat = "unsupported_format"
	codeUndecodableImage  = "undecodable_image"
	codeImageTooLarge     = "image_too_large"
	codeImageDimensions   = "bad_image_dimensions"
	codeInvalidFeatures   = "invalid_features"
	codeWrongFeatureCount = "wrong_feature_count"
	codeNonFiniteFeature  = "non_finite_feature"
	codeInputTooLarge     = "input_too_large"
	codeUndecodableDoc    = document.CodeUndecodableDoc
	codeTooManyPages      = document.CodeTooManyPages
)

func inputErrorf(code, format string, a ...any) *InputError {
	return &InputError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// asInputError turns a document.Error (whose codes are the same jobs
// strings) into an *InputError; other errors pass through.
func asInputError(err error) error {
	var d *document.Error
	if errors.As(err, &d) {
		return &InputError{Code: d.Code, Message: d.Message}
	}
	return err
}

// Codes of text and tensor inputs.
const (
	codeInvalidText   = "invalid_text"
	codeInvalidTensor = "invalid_tensor"
)
