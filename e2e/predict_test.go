package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/store"
)

const setosaRow = `{"features": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}}`

// outputsOf reads a predict answer's outputs.
func outputsOf(t *testing.T, v map[string]any) []map[string]any {
	t.Helper()
	raw, _ := v["outputs"].([]any)
	out := make([]map[string]any, len(raw))
	for i, o := range raw {
		out[i], _ = o.(map[string]any)
	}
	return out
}

// The real binary's `batchinfer api` answers predictions over real HTTP:
// a tabular row, a text line rendered as a PNG (inline and from the input
// bucket), an error entry beside them, and nothing written to the table.
func TestPredictFromTheAPIBinary(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"iris-rf", "ppocr-rec"}, NoFunction: true})
	base := s.startAPI("BATCHINFER_API_KEYS=k-predict", "ONNXRUNTIME_LIB="+testenv.ORTLib(t),
		"BATCHINFER_MODELS="+testenv.ModelDir(t, "iris-rf")+","+testenv.ModelDir(t, "ppocr-rec"))

	status, v := httpJSON(t, "POST", base+"/v1/predict", "k-predict", `{"input": `+setosaRow+`}`)
	outs := outputsOf(t, v)
	if status != 200 || v["model"] != "iris-rf" || len(outs) != 1 || outs[0]["output"].(map[string]any)["label"] != "setosa" {
		t.Fatalf("iris: %d %v", status, v)
	}

	const text = "predict 42 now"
	line := textimg.PNG(text, textimg.Options{})
	s.putObject(s.spec.InputBucket, "lines/one.png", line)
	body := `{"model": "ppocr-rec", "instances": [{"data_base64": "` + base64.StdEncoding.EncodeToString(line) + `"}, {"data_base64": "bm90IGFuIGltYWdl"}, {"s3": "s3://` + s.spec.InputBucket + `/lines/one.png"}]}`
	status, v = httpJSON(t, "POST", base+"/v1/predict", "k-predict", body)
	outs = outputsOf(t, v)
	if status != 200 || len(outs) != 3 {
		t.Fatalf("OCR: %d %v", status, v)
	}
	for _, i := range []int{0, 2} {
		if out, _ := outs[i]["output"].(map[string]any); out == nil || out["text"] != text {
			t.Errorf("OCR instance %d read %v, want %q", i, outs[i], text)
		}
	}
	if e, _ := outs[1]["error"].(map[string]any); e == nil || e["code"] == "" {
		t.Errorf("a non-image got %v, want an error entry", outs[1])
	}

	if status, v := httpJSON(t, "POST", base+"/v1/predict", "", `{"input": `+setosaRow+`}`); status != 403 || v["message"] != "Forbidden" {
		t.Errorf("no key: %d %v", status, v)
	}
	if status, v := httpJSON(t, "POST", base+"/v1/predict", "k-predict", `{"inputs": []}`); status != 400 || v["code"] != "malformed_job" {
		t.Errorf("not a predict request: %d %v", status, v)
	}
	status, v = httpJSON(t, "POST", base+"/v2/models/iris-rf/infer", "k-predict",
		`{"inputs": [{"name": "X", "shape": [1, 4], "datatype": "FP32", "data": [6.3, 3.3, 6.0, 2.5]}]}`)
	if status != 200 || v["model_name"] != "iris-rf" || len(v["outputs"].([]any)) == 0 {
		t.Errorf("v2 infer: %d %v", status, v)
	}

	scan, err := dynamodb.NewFromConfig(emu.Config(s.ctx)).Scan(s.ctx, &dynamodb.ScanInput{TableName: aws.String(s.spec.Table), Select: types.SelectCount})
	if err != nil || scan.Count != 0 {
		t.Errorf("the results table holds %v items after predict calls (err %v), want 0", scan, err)
	}
}

// proxyEvent is aws-lambda-go's own API Gateway proxy sample (REST API,
// payload 1.0) turned into a predict call.
func proxyEvent(t *testing.T, path, body string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(testenv.LambdaSample(t, "apigw-request.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["path"], ev["resource"], ev["httpMethod"], ev["body"] = path, path, "POST", body
	ev["isBase64Encoded"] = false
	b, _ := json.Marshal(ev)
	return b
}

// The function under the runtime interface emulator answers an API
// Gateway proxy event with the same predict code path, while SQS events
// keep working beside it.
func TestPredictThroughTheRuntimeEmulator(t *testing.T) {
	s := newSystem(t, sysOptions{Models: []string{"iris-rf"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	resp := invokeProxy(ctx, t, s, "/v1/predict", `{"instances": [`+setosaRow+`, {"features": [1]}]}`)
	var v map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &v) != nil {
		t.Fatalf("proxy answer %d %q\n%s", resp.StatusCode, resp.Body, s.logs.Tail(20))
	}
	outs := outputsOf(t, v)
	if len(outs) != 2 || outs[0]["output"].(map[string]any)["label"] != "setosa" || outs[1]["error"].(map[string]any)["code"] != "wrong_feature_count" {
		t.Errorf("outputs %v", outs)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if resp := invokeProxy(ctx, t, s, "/v1/predict", `not json`); resp.StatusCode != 400 || !strings.Contains(resp.Body, `"code":"malformed_job"`) {
		t.Errorf("bad body: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := invokeProxy(ctx, t, s, "/v1/jobs", `{}`); resp.StatusCode != 403 {
		t.Errorf("a route the function does not serve: %d %s", resp.StatusCode, resp.Body)
	}
	// The same function still runs queued jobs (after the proxy calls: RIE
	// takes one invoke at a time).
	ids, bodies := irisJobs("after-predict", 2)
	s.send(bodies...)
	for id, r := range s.waitFinal(ids, 30*time.Second) {
		s.checkIris(id, r)
	}
}

func invokeProxy(ctx context.Context, t *testing.T, s *system, path, body string) events.APIGatewayProxyResponse {
	t.Helper()
	out, err := s.rie.Invoke(ctx, proxyEvent(t, path, body))
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, s.logs.Tail(20))
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("the function answered %q, no proxy response: %v", out, err)
	}
	return resp
}

// Queued jobs of a feature-backed model through the function: the
// entities are read from the feature table and merged; an entity not in
// it fails features_missing.
func TestJobsJoinStoredFeatures(t *testing.T) {
	table := "flowers-" + resourceName(t)
	s := newSystem(t, sysOptions{Models: []string{"iris-feat"}, Env: []string{"BATCHINFER_FEATURE_TABLES=iris-feat=" + table}})
	db := dynamodb.NewFromConfig(emu.Config(s.ctx))
	if err := store.EnsureFeatureTable(s.ctx, db, table, "flower_id"); err != nil {
		t.Fatal(err)
	}
	if err := store.PutEntities(s.ctx, db, table, []map[string]any{
		{"flower_id": "f-1", "petal_length": 1.4, "petal_width": 0.2},
		{"flower_id": "f-101", "petal_length": 6.0, "petal_width": 2.5},
	}); err != nil {
		t.Fatal(err)
	}
	job := func(id, flower string) string {
		return `{"job_id": "` + id + `", "model": "iris-feat", "input": {"features": {"sepal_length": 6.3, "sepal_width": 3.3}}, "entity": {"flower_id": "` + flower + `"}}`
	}
	s.send(job("feat-1", "f-1"), job("feat-101", "f-101"), job("feat-none", "f-none"))
	recs := s.waitFinal([]string{"feat-1", "feat-101", "feat-none"}, 30*time.Second)
	if r := recs["feat-1"]; r.Status != store.StatusSucceeded || r.Output["label"] != "setosa" {
		t.Errorf("feat-1: %s %v %+v", r.Status, r.Output, r.Error)
	}
	if r := recs["feat-101"]; r.Status != store.StatusSucceeded || r.Output["label"] != "virginica" {
		t.Errorf("feat-101: %s %v %+v", r.Status, r.Output, r.Error)
	}
	if r := recs["feat-none"]; r.Status != store.StatusFailed || r.Error == nil || r.Error.Code != "features_missing" {
		t.Errorf("feat-none: %s %+v", r.Status, r.Error)
	}
}
