package jobs

import (
	"errors"
	"fmt"
	"testing"
)

// The code is said once: MessageOf drops it from the text wherever the
// chain carries it, and leaves other errors as they are.
func TestMessageOfSaysTheCodeOnce(t *testing.T) {
	cause := errors.New("EOF")
	cases := []struct {
		err  error
		want string
	}{
		{Errorf(CodeUnknownModel, "model %q is not served", "x"), `model "x" is not served`},
		{Wrap(CodeUndecodableImage, cause, "decode png"), "decode png: EOF"},
		{fmt.Errorf("job 3: %w", Errorf(CodeMalformedJob, "no input")), "job 3: no input"},
		{Wrap(CodeInputMissing, Errorf(CodeInputMissing, "gone"), "fetch s3://b/k"), "fetch s3://b/k: gone"},
		{cause, "EOF"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := MessageOf(c.err); got != c.want {
			t.Errorf("MessageOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
