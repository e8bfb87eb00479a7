package worker

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// kindCase is one TestJobWithoutModelGoesToTheModelOfItsInputKind case.
type kindCase struct {
	name    string
	served  []*model.Model
	input   map[string]any
	body    string // the inline job's body, when input cannot say it
	key     string // an inbox object instead of an inline input
	model   string // want SUCCEEDED by this model
	missing []string
	// failedBy: no served model takes the kind, so the default runs
	// it and refuses it with its own code.
	failedBy string
}

// kindMessage is c's job as a message (its inbox object uploaded) and
// the job's id.
func (f *fixture) kindMessage(c kindCase) (events.SQSMessage, string) {
	switch {
	case c.body != "":
		return message("m1", c.body, 1), "kind-job"
	case c.key == "":
		return message("m1", inlineJob("kind-job", "", c.input), 1), "kind-job"
	}
	body := textimg.PNG("Total 12.50", textimg.Options{})
	switch {
	case strings.HasSuffix(c.key, ".json"):
		body = []byte(`{"features": [6.7, 3.0, 5.2, 2.3]}`)
	case strings.HasSuffix(c.key, ".txt"):
		body = []byte("what a lovely day")
	}
	f.put(f.spec.InputBucket, c.key, body)
	return message("m1", s3Notification(f.spec.InputBucket, c.key, "e1"), 1), jobs.ObjectJobID(f.spec.InputBucket, c.key, "", "e1")
}

// A job that names no model goes to the served model that takes its kind of
// input; several candidates without the default among them fail
// unknown_model naming them. models is iris-rf, ppocr-rec, ppocr-cls,
// minilm-embed.
func TestJobWithoutModelGoesToTheModelOfItsInputKind(t *testing.T) {
	iris, rec, cls, embed := models[0], models[1], models[2], models[3]
	png := base64.StdEncoding.EncodeToString(textimg.PNG("Total 12.50", textimg.Options{}))
	cases := []kindCase{
		{name: "features, image model default", served: []*model.Model{rec, iris}, input: features(5.1, 3.5, 1.4, 0.2), model: "iris-rf"},
		{name: "image, image model default", served: []*model.Model{rec, iris, cls}, input: map[string]any{"data_base64": png}, model: "ppocr-rec"},
		{name: "json object, image model default", served: []*model.Model{rec, iris}, key: "drop/flower.json", model: "iris-rf"},
		{name: "png object, one image model", served: []*model.Model{iris, rec}, key: "drop/line.png", model: "ppocr-rec"},
		{name: "image, two image models, tabular default", served: []*model.Model{iris, rec, cls}, input: map[string]any{"data_base64": png},
			missing: []string{"ppocr-rec", "ppocr-cls", "default (iris-rf)"}},
		{name: "text, one text model", served: []*model.Model{rec, iris, embed}, body: `{"job_id": "kind-job", "input": {"text": "what a lovely day"}}`, model: "minilm-embed"},
		{name: "txt object, one text model", served: []*model.Model{rec, embed}, key: "notes/day.txt", model: "minilm-embed"},
		{name: "text, no text model", served: []*model.Model{rec, iris}, body: `{"job_id": "kind-job", "input": {"text": "what a lovely day"}}`, failedBy: "ppocr-rec"},
		{name: "features, no tabular model", served: []*model.Model{rec, cls}, input: features(5.1, 3.5, 1.4, 0.2), failedBy: "ppocr-rec"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.serve(c.served...)
			msg, id := f.kindMessage(c)
			f.invoke(f.ctx, []events.SQSMessage{msg}...)
			item := f.item(id)
			if item == nil {
				t.Fatal("no item")
			}
			if c.failedBy != "" {
				if item.Status != store.StatusFailed || item.Model != c.failedBy || item.Error == nil || item.Error.Code == jobs.CodeUnknownModel {
					t.Fatalf("item %s by %q (%+v), want FAILED by the default %s with its own code", item.Status, item.Model, item.Error, c.failedBy)
				}
				return
			}
			if c.model != "" {
				if item.Status != store.StatusSucceeded || item.Model != c.model {
					t.Fatalf("item %s by %q (%+v), want SUCCEEDED by %s", item.Status, item.Model, item.Error, c.model)
				}
				return
			}
			if item.Status != store.StatusFailed || item.Error == nil || item.Error.Code != jobs.CodeUnknownModel {
				t.Fatalf("item %s %+v, want FAILED unknown_model", item.Status, item.Error)
			}
			if strings.Contains(item.Error.Message, "unknown_model") {
				t.Errorf("message %q repeats its code", item.Error.Message)
			}
			for _, s := range c.missing {
				if !strings.Contains(item.Error.Message, s) {
					t.Errorf("message %q does not say %q", item.Error.Message, s)
				}
			}
		})
	}
}

// A route naming a model that is not served stops start-up, naming the
// served models.
func TestRoutesNamingAnUnservedModelAreRefused(t *testing.T) {
	eng, err := engine.New([]*model.Model{models[0], models[1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := (Routes{{Prefix: "lines/", Model: "ppocr-rec"}}).check(eng); err != nil {
		t.Errorf("a served route refused: %v", err)
	}
	err = Routes{{Prefix: "pages/", Model: "ppocr-page"}}.check(eng)
	if err == nil || !strings.Contains(err.Error(), `"ppocr-page"`) || !strings.Contains(err.Error(), "served: iris-rf, ppocr-rec") {
		t.Errorf("check = %v; want the route refused, naming the served models", err)
	}
}
