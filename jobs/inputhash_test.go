package jobs

import (
	"encoding/json"
	"testing"
)

func TestInputHashIsTheInputsContentOnly(t *testing.T) {
	hash := func(in Input) string {
		t.Helper()
		h, err := InputHash(in)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := hash(Input{Features: json.RawMessage(`{"features": {"a": 1.50, "b": 2}}`)})
	b := hash(Input{Features: json.RawMessage(`{"features":{"b":2,"a":1.50}}`)})
	c := hash(Input{Features: json.RawMessage(`{"features":{"b":2,"a":1.5}}`)})
	if a == "" || a != b {
		t.Errorf("key order and spacing changed the hash: %q vs %q", a, b)
	}
	if a == c {
		t.Error("a number written differently hashed the same (the canonical JSON keeps numbers as written)")
	}
	if hash(Input{Data: []byte("x")}) == hash(Input{Data: []byte("y")}) {
		t.Error("different bytes hashed the same")
	}
	if h := hash(Input{S3: &S3Object{Bucket: "b", Key: "k"}}); h != "" {
		t.Errorf("an S3 input hashed to %q before its content was fetched", h)
	}
}
