package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseFindsDocumentsAmongOtherLogLines(t *testing.T) {
	inv := NewInvocation(testOptions(ModeLambda))
	inv.Job("iris-rf", Succeeded)
	inv.Error("input_missing")
	var emf bytes.Buffer
	if err := inv.Flush(&emf, time.Second); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(strings.TrimSpace(emf.String()), "\n")
	log := strings.Join([]string{
		`{"time":"2026-12-01T12:00:00Z","level":"INFO","msg":"cold start","ort_init_ms":12}`,
		"START RequestId: 8f5e Version: $LATEST",
		docs[0],
		`{"level":"INFO","msg":"job done","_aws_note":"not EMF"}`,
		"2026-12-01T12:00:01.000Z\t8f5e\tINFO\t" + docs[1], // a prefixed line, as Lambda's text format writes
		docs[2],
		"END RequestId: 8f5e",
	}, "\n")
	got, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Line != 3 || got[1].Line != 5 || got[2].Line != 6 {
		t.Fatalf("documents %+v", got)
	}
	if got[1].Dimensions[DimModel] != "iris-rf" || got[2].Dimensions[DimErrorCode] != "input_missing" || got[2].Sum("Errors") != 1 {
		t.Fatalf("documents read back wrong: %+v", got)
	}
}

func TestParseFailsOnTheFirstInvalidDocument(t *testing.T) {
	log := strings.Join([]string{
		`{"level":"INFO","msg":"fine"}`,
		`{"_aws":{"Timestamp":1764590400000,"CloudWatchMetrics":[{"Namespace":"batchinfer","Dimensions":[["function"]],"Metrics":[{"Name":"JobsFailed","Unit":"Count"}]}]},"function":"f","JobsFailed":1}`,
		`{"_aws":{"Timestamp":1764590400,"CloudWatchMetrics":[{"Namespace":"batchinfer","Dimensions":[["function"]],"Metrics":[{"Name":"JobsFailed","Unit":"Count"}]}]},"function":"f","JobsFailed":1}`,
	}, "\n")
	docs, err := Parse(strings.NewReader(log))
	if err == nil || !strings.Contains(err.Error(), "line 3") || len(docs) != 1 {
		t.Fatalf("docs %d, err %v; want the line-3 document refused", len(docs), err)
	}
}

func TestFilterPattern(t *testing.T) {
	if got, want := FilterPattern("batchinfer"), `{ $._aws.CloudWatchMetrics[0].Namespace = "batchinfer" }`; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}
