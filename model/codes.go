package model

// InputCodes are every InputError.Code this package produces, for the
// worker's test that each is a permanent code of the jobs taxonomy.
var InputCodes = []string{
	codeEmptyInput, codeUnsupportedFormat, codeUndecodableImage, codeImageTooLarge, codeImageDimensions,
	codeInvalidFeatures, codeWrongFeatureCount, codeNonFiniteFeature, codeInputTooLarge,
	codeUndecodableDoc, codeTooManyPages,
	codeInvalidText, codeInvalidTensor,
}
