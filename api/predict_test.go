package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/testenv/modelenv"
	"github.com/batchinfer/batchinfer/model"
)

// sharedEngine serves the named cached models, loaded once per test binary
// with one intra-op thread each (the share of one vCPU a warm Lambda has).
func sharedEngine(names ...string) func(testing.TB) *engine.Engine {
	return testenv.Shared("serve "+strings.Join(names, ", "), func() (*engine.Engine, error) {
		ms, err := modelenv.Open(model.Options{IntraOpThreads: 1}, names...)
		if err != nil {
			return nil, err
		}
		return engine.New(ms)
	})
}

// irisEngine serves the real iris model.
var irisEngine = sharedEngine("iris-rf")

// predictServer serves p behind the front door (key testKey) over real HTTP.
func predictServer(t testing.TB, p *Predictor) string {
	t.Helper()
	keys, err := ParseKeys(testKey)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Keys: keys}, nil, nil, nil, nil)
	s.Predict = p
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func post(t *testing.T, url, body string, key string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set(APIKeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s answered %d with no JSON object: %q", url, resp.StatusCode, b)
	}
	checkAgainstSpec(t, req, resp, b)
	return resp.StatusCode, resp.Header, v
}

// Fisher's iris data: row 1 is a setosa, row 51 a versicolor, row 101 a
// virginica.
const (
	setosa     = `{"features": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}}`
	versicolor = `{"features": [7.0, 3.2, 4.7, 1.4]}`
	virginica  = `{"features": [6.3, 3.3, 6.0, 2.5]}`
)

func TestPredictAnswersInInstanceOrder(t *testing.T) {
	url := predictServer(t, &Predictor{Engine: irisEngine(t), Buckets: []string{"inbox"}})
	code, hdr, v := post(t, url+"/v1/predict", `{"model": "iris-rf", "instances": [`+virginica+`, {"features": [1, 2]}, `+setosa+`, {"s3": "s3://elsewhere/x.json"}, {"text": "hi", "bogus": 1}, `+versicolor+`]}`, testKey)
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, v)
	}
	if v["model"] != "iris-rf" || v["model_version"] != "sklearn-randomforest-onnxruntime_go-v1.27.0" {
		t.Errorf("model %v version %v", v["model"], v["model_version"])
	}
	outs := v["outputs"].([]any)
	want := []string{"label:virginica", "error:wrong_feature_count", "label:setosa", "error:bucket_not_allowed", "error:malformed_job", "label:versicolor"}
	if len(outs) != len(want) {
		t.Fatalf("%d outputs, want %d: %v", len(outs), len(want), outs)
	}
	for i, o := range outs {
		if got := describe(o.(map[string]any)); got != want[i] {
			t.Errorf("outputs[%d] = %s, want %s (%v)", i, got, want[i], o)
		}
	}
	if n, _ := strconv.Atoi(hdr.Get(RunRequestsHeader)); n != 1 {
		t.Errorf("%s = %q, want 1 (no batcher)", RunRequestsHeader, hdr.Get(RunRequestsHeader))
	}
}

// describe is "label:L" for an output, "error:CODE" for an error.
func describe(o map[string]any) string {
	if out, ok := o["output"].(map[string]any); ok {
		return "label:" + out["label"].(string)
	}
	if e, ok := o["error"].(map[string]any); ok && e["message"] != "" {
		return "error:" + e["code"].(string)
	}
	return "neither"
}

func TestPredictRefusesWhatIsNoPredictRequest(t *testing.T) {
	url := predictServer(t, &Predictor{Engine: irisEngine(t), MaxInputs: 2})
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `nope`, 400, "malformed_job"},
		{"neither input nor instances", `{"model": "iris-rf"}`, 400, "malformed_job"},
		{"both", `{"input": ` + setosa + `, "instances": [` + setosa + `]}`, 400, "malformed_job"},
		{"too many", `{"instances": [` + setosa + `,` + setosa + `,` + setosa + `]}`, 400, "malformed_job"},
		{"unknown model", `{"model": "nope", "input": ` + setosa + `}`, 400, "unknown_model"},
		{"one input", `{"input": ` + setosa + `}`, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, v := post(t, url+"/v1/predict", c.body, testKey)
			if status != c.status || (c.code != "" && v["code"] != c.code) {
				t.Errorf("status %d body %v, want %d %s", status, v, c.status, c.code)
			}
			if c.status == 400 && v["message"] == "" {
				t.Error("no message")
			}
		})
	}
	if status, _, v := post(t, url+"/v1/predict", `{"input": `+setosa+`}`, "wrong-key"); status != 403 || v["message"] != msgForbidden {
		t.Errorf("wrong key: %d %v", status, v)
	}
}

func TestInferSpeaksTheOpenInferenceProtocol(t *testing.T) {
	url := predictServer(t, &Predictor{Engine: irisEngine(t)})
	body := `{"id": "r1", "inputs": [{"name": "X", "shape": [2, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6.0, 2.5]}]}`
	status, _, v := post(t, url+"/v2/models/iris-rf/infer", body, testKey)
	if status != 200 || v["model_name"] != "iris-rf" || v["id"] != "r1" {
		t.Fatalf("status %d: %v", status, v)
	}
	var label map[string]any
	for _, o := range v["outputs"].([]any) {
		if o := o.(map[string]any); o["name"] == "output_label" {
			label = o
		}
	}
	if label == nil || label["datatype"] != "INT64" {
		t.Fatalf("no INT64 output_label in %v", v["outputs"])
	}
	if data := label["data"].([]any); len(data) != 2 || data[0] != 0.0 || data[1] != 2.0 {
		t.Errorf("labels %v, want [0 2] (setosa, virginica)", data)
	}
	if status, _, v := post(t, url+"/v2/models/nope/infer", body, testKey); status != 404 || v["error"] == "" {
		t.Errorf("unknown model: %d %v", status, v)
	}
	bad := `{"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}`
	if status, _, v := post(t, url+"/v2/models/iris-rf/infer", bad, testKey); status != 400 || v["code"] != "invalid_tensor" {
		t.Errorf("bad shape: %d %v", status, v)
	}
}

// slowEngine holds every run until release is closed.
type slowEngine struct {
	*engine.Engine
	release chan struct{}
}

func (s slowEngine) Predict(ctx context.Context, items []engine.Item) []engine.Prediction {
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	return s.Engine.Predict(ctx, items)
}

func TestPredictPastItsDeadlineIs504(t *testing.T) {
	slow := slowEngine{irisEngine(t), make(chan struct{})}
	defer close(slow.release)
	url := predictServer(t, &Predictor{Engine: slow, Timeout: 50 * time.Millisecond})
	status, _, v := post(t, url+"/v1/predict", `{"input": `+setosa+`}`, testKey)
	if status != http.StatusGatewayTimeout || v["code"] != "timeout" {
		t.Errorf("status %d %v, want 504 timeout", status, v)
	}
}

// gateEngine holds its first run until release is closed, telling entered
// when that run has begun.
type gateEngine struct {
	*engine.Engine
	entered, release chan struct{}
	once             sync.Once
}

func (g *gateEngine) Predict(ctx context.Context, items []engine.Item) []engine.Prediction {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.Engine.Predict(ctx, items)
}

func TestBatcherLetsConcurrentRequestsShareARun(t *testing.T) {
	gate := &gateEngine{Engine: irisEngine(t), entered: make(chan struct{}), release: make(chan struct{})}
	// A long queue delay: the requests that arrive while the first run is
	// held must wait for it to end, not for the delay.
	url := predictServer(t, &Predictor{Engine: gate, Batcher: NewBatcher(gate, time.Minute, 64)})
	bodies := []string{setosa, versicolor, virginica, setosa}
	wantLabels := []string{"setosa", "versicolor", "virginica", "setosa"}
	n := len(bodies)
	shared := make([]int, n)
	labels := make([]string, n)
	var wg sync.WaitGroup
	send := func(i int) {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, url+"/v1/predict", bytes.NewBufferString(`{"input": `+bodies[i]+`}`))
			req.Header.Set(APIKeyHeader, testKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var v PredictResponse
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || len(v.Outputs) != 1 || v.Outputs[0].Output == nil {
				t.Errorf("request %d: %v %+v", i, err, v)
				return
			}
			labels[i], _ = v.Outputs[0].Output["label"].(string)
			shared[i], _ = strconv.Atoi(resp.Header.Get(RunRequestsHeader))
		})
	}
	start := time.Now()
	send(0) // the engine is idle: it runs at once, and is held
	<-gate.entered
	for i := 1; i < n; i++ {
		send(i)
	}
	time.Sleep(200 * time.Millisecond) // let them arrive and gather
	close(gate.release)
	wg.Wait()
	for i := range n {
		if labels[i] != wantLabels[i] {
			t.Errorf("request %d got %q, want %q (answers crossed?)", i, labels[i], wantLabels[i])
		}
	}
	if want := []int{1, n - 1, n - 1, n - 1}; !slices.Equal(shared, want) {
		t.Errorf("requests per run %v, want %v: the first alone, the rest together", shared, want)
	}
	if time.Since(start) > 30*time.Second {
		t.Error("the gathered requests waited out the queue delay instead of the run's end")
	}
}
