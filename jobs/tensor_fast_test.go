package jobs

import (
	"encoding/json"
	"reflect"
	"testing"
)

// fastCases are request bodies for the fast path. fast says whether it
// must take the body itself (so that it cannot silently fall out of use);
// every body is also checked against the general parser.
var fastCases = []struct {
	body string
	fast bool
}{
	{`{"inputs":[{"name":"X","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}`, true},
	{" {\n \"inputs\" : [ { \"data\" : [ 1e3 , -0 , 0.5E-2 , 3 ] , \"datatype\" : \"FP64\" , \"name\" : \"a b\" , \"shape\" : [ 2 , 2 ] } ] } \n", true},
	{`{"inputs":[{"name":"ids","shape":[1,3],"datatype":"INT64","data":[101,-7,9223372036854775807]},{"name":"mask","shape":[1,3],"datatype":"INT32","data":[1,1,0]}]}`, true},
	{`{"inputs":[{"name":"q","shape":[3],"datatype":"INT8","data":[-128,0,127]},{"name":"u","shape":[2],"datatype":"UINT8","data":[0,255]},{"name":"b","shape":[2],"datatype":"BOOL","data":[true,false]}]}`, true},
	{`{"inputs":[{"name":"e","shape":[0,4],"datatype":"FP32","data":[]},{"name":"s","shape":[],"datatype":"FP32","data":[7]}]}`, true},
	{`{"inputs":[{"name":"big","shape":[1],"datatype":"FP32","data":[3.4028235e38]}]}`, true},
	// The general parser decides these: each is refused, odd or rare.
	{`{"inputs":[{"name":"X","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1,2],"datatype":"FP32","data":[[1,2]]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1,2],"datatype":"FP32","data":[1,"NaN"]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1e39]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP16","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"INT32","data":[2147483648]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"INT64","data":[1.0]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"UINT8","data":[-0]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"UINT8","data":[256]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"BOOL","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[01],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[-1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1.5],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[01]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1.]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[.5]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[+1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1,]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]},]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1],}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]},{"name":"X","shape":[1],"datatype":"FP32","data":[2]}]}`, false},
	{`{"inputs":[{"name":"X","name":"Y","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"Name":"X","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X\u0041","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"café","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1],"parameters":{}}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":null}]}`, false},
	{`{"inputs":[]}`, false},
	{`{"id":"1","inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]}`, true},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}], "id": "req-7"}`, true},
	{`{"id":1,"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"id":"1"}`, false},
	{`{"id":"1","id":"2","inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}],"inputs":[{"name":"Y","shape":[1],"datatype":"FP32","data":[1]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}],"parameters":{}}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]} x`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1 2]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[1],"datatype":"BOOL","data":[truex]}]}`, false},
	{`{"inputs":[{"name":"X","shape":[99999999999999999999],"datatype":"FP32","data":[1]}]}`, false},
}

func TestFastTensorRequest(t *testing.T) {
	for _, c := range fastCases {
		_, ok := fastTensorRequest([]byte(c.body))
		if ok != c.fast {
			t.Errorf("fast path took %s: %v, want %v", c.body, ok, c.fast)
		}
		checkFastTensors(t, []byte(c.body))
	}
}

// FuzzFastTensorRequest checks that whatever the fast paths take, the
// general parser takes too, with the same tensors.
func FuzzFastTensorRequest(f *testing.F) {
	for _, c := range fastCases {
		f.Add(c.body)
	}
	f.Fuzz(func(t *testing.T, body string) { checkFastTensors(t, []byte(body)) })
}

func checkFastTensors(t *testing.T, body []byte) {
	t.Helper()
	if got, ok := fastTensorRequest(body); ok {
		var req map[string]json.RawMessage
		var id *string
		if err := json.Unmarshal(body, &req); err != nil || req["inputs"] == nil || len(req) > 2 || (len(req) == 2 && json.Unmarshal(req["id"], &id) != nil) {
			t.Fatalf("fast path took %s, which is not {\"inputs\": [...], \"id\"?: \"...\"} (%v)", body, err)
		}
		if (id == nil && got.ID != "") || (id != nil && got.ID != *id) {
			t.Fatalf("fast path read the id of %s as %q", body, got.ID)
		}
		sameAsSlow(t, body, got.Inputs, req["inputs"])
	}
	var req map[string]json.RawMessage
	if json.Unmarshal(body, &req) != nil || req["inputs"] == nil {
		return
	}
	if got, ok := fastTensorArray(req["inputs"]); ok {
		sameAsSlow(t, body, got, req["inputs"])
	}
}

func sameAsSlow(t *testing.T, body []byte, got []Tensor, inputs json.RawMessage) {
	t.Helper()
	want, err := decodeTensorsSlow(inputs, "inputs")
	if err != nil {
		t.Fatalf("fast path took %s, which the general parser refuses: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path read %s as %#v, the general parser as %#v", body, got, want)
	}
}

// TestTensorRequestID checks the id ParseTensorRequest returns, which the
// infer route echoes, on both paths: the fast one (a plain id) and the
// general one (escapes, other members, an id that is no string).
func TestTensorRequestID(t *testing.T) {
	const inputs = `"inputs":[{"name":"X","shape":[1],"datatype":"FP32","data":[1]}]`
	for _, c := range []struct{ body, id string }{
		{`{` + inputs + `}`, ""},
		{`{"id":"req-1",` + inputs + `}`, "req-1"},
		{`{` + inputs + `,"id":"req-2"}`, "req-2"},
		{"\xef\xbb\xbf{\"id\":\"bom\"," + inputs + `}`, "bom"},
		{`{"id":"a\"b\u00e9",` + inputs + `}`, "a\"bé"},
		{`{"id":"req-3","parameters":{"x":1},` + inputs + `}`, "req-3"},
		{`{"id":7,` + inputs + `}`, ""},
		{`{"id":null,` + inputs + `}`, ""},
	} {
		r, err := ParseTensorRequest([]byte(c.body))
		if err != nil || r.ID != c.id || len(r.Inputs) != 1 {
			t.Errorf("ParseTensorRequest(%s) = id %q, %d inputs, %v; want id %q", c.body, r.ID, len(r.Inputs), err, c.id)
		}
	}
}

// TestDatatypesHaveElems checks that the datatypes the errors list are
// the ones the decoder has element code for.
func TestDatatypesHaveElems(t *testing.T) {
	if len(datatypeElems) != len(Datatypes) {
		t.Fatalf("%d datatypes with element code, %d listed", len(datatypeElems), len(Datatypes))
	}
	for _, d := range Datatypes {
		if datatypeElems[d] == nil {
			t.Fatalf("%s has no element code", d)
		}
	}
}
