package metrics

import (
	"bytes"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// specSchema compiles testdata/emf-schema.json, the specification's
// schema, once per test binary.
var specSchema = testenv.Shared("compile the EMF schema", func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/emf-schema.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("emf-schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("emf-schema.json")
})

// schemaCheck validates one JSON document against the spec's schema.
func schemaCheck(t *testing.T, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return specSchema(t).Validate(inst)
}

// conforms fails the test unless every line of out passes both the
// schema and Validate.
func conforms(t *testing.T, out []byte) [][]byte {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i, l := range lines {
		if err := schemaCheck(t, l); err != nil {
			t.Fatalf("document %d fails the spec's schema: %v\n%s", i, err, l)
		}
		if err := Validate(l); err != nil {
			t.Fatalf("document %d fails Validate: %v\n%s", i, err, l)
		}
	}
	return lines
}

func TestSchemaAcceptsTheSpecificationsExample(t *testing.T) {
	example := []byte(`{"_aws":{"Timestamp":1574109732004,"CloudWatchMetrics":[{"Namespace":"lambda-function-metrics",
		"Dimensions":[["functionVersion"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"}]}]},
		"functionVersion":"$LATEST","time":100,"requestId":"989ffbf8-9ace-4817-a57c-e4dd734019ee"}`)
	if err := schemaCheck(t, example); err != nil {
		t.Fatalf("schema: %v", err)
	}
	if err := Validate(example); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}
