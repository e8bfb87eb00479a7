package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/engine"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/model"
	"github.com/batchinfer/batchinfer/store"
)

// job is one soak job: its body, group (FIFO) and what its item must say.
type job struct {
	ID, Body, Group string
	Label           string             // iris: the label the model gives here
	Probs           map[string]float64 // iris
	Text            string             // image: the rendered text
}

// irisJobs makes n inline iris jobs with the answers the model gives in
// this process, to compare the stored outputs with.
func irisJobs(t testing.TB, n int) []job {
	t.Helper()
	eng, err := engine.New(iris)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]job, n)
	items := make([]engine.Item, n)
	for i := range out {
		f := []float64{4.3 + float64(i%36)/10, 2.0 + float64(i%24)/10, 1.0 + float64(i%59)/10, 0.1 + float64(i%25)/10}
		id := fmt.Sprintf("iris-%05d", i)
		b, _ := json.Marshal(map[string]any{"job_id": id, "model": "iris-rf", "input": map[string]any{"features": f}})
		feat, _ := json.Marshal(map[string]any{"features": f}) // the inline input as the worker reads it
		out[i], items[i] = job{ID: id, Body: string(b)}, engine.Item{Model: iris[0], Input: model.Input{Data: feat}}
	}
	for i, p := range eng.Predict(context.Background(), items) {
		if p.Err != nil {
			t.Fatalf("reference prediction %d: %v", i, p.Err)
		}
		out[i].Label, _ = p.Output["label"].(string)
		out[i].Probs, _ = p.Output["probabilities"].(map[string]float64)
	}
	return out
}

// imageJobs renders n text lines, uploads them to the inbox (directly,
// not through the proxy) and returns their S3 notifications as jobs.
func (s *storm) imageJobs(n int) []job {
	s.t.Helper()
	c := s3.NewFromConfig(emu.Config(s.ctx), func(o *s3.Options) { o.UsePathStyle = true })
	texts := textimg.Corpus(n, 12)
	out := make([]job, n)
	testenv.Parallel(n, 8, func(i int) {
		key := fmt.Sprintf("lines/%04d.png", i)
		data := textimg.PNG(texts[i], textimg.Options{Font: textimg.Fonts[i%len(textimg.Fonts)]})
		res, err := c.PutObject(s.ctx, &s3.PutObjectInput{Bucket: aws.String(s.spec.InputBucket), Key: aws.String(key), Body: bytes.NewReader(data)})
		if err != nil {
			s.t.Errorf("upload %s: %v", key, err)
			return
		}
		etag := strings.Trim(aws.ToString(res.ETag), `"`)
		obj := jobs.S3Object{Bucket: s.spec.InputBucket, Key: key, ETag: etag, Size: int64(len(data))}
		out[i] = job{ID: jobs.ObjectJobID(obj.Bucket, key, "", etag), Body: jobs.S3Notification(emu.Region, obj), Text: strings.TrimSpace(texts[i])}
	})
	if s.t.Failed() {
		s.t.FailNow()
	}
	return out
}

// send enqueues every job, a tenth of them twice (in a FIFO run the copy
// right after the original, in its group), ten to a call, eight calls at
// once.
func (s *storm) send(all []job) {
	s.t.Helper()
	var msgs []store.OutMessage
	for i, j := range all {
		msgs = append(msgs, store.OutMessage{Body: j.Body, GroupID: j.Group})
		if i%10 == 3 {
			msgs = append(msgs, store.OutMessage{Body: j.Body, GroupID: j.Group})
		}
	}
	q := &store.Queue{Client: s.sys.ESM.SQS, URL: s.sys.Prov.QueueURL}
	const step = 10
	senders := 8
	if s.o.FIFO {
		senders = 1 // one sender keeps each group's order
	}
	testenv.Parallel((len(msgs)+step-1)/step, senders, func(c int) {
		sent, err := q.Send(s.ctx, msgs[c*step:min((c+1)*step, len(msgs))])
		for _, m := range sent {
			err = cmpErr(err, m.Err)
		}
		if err != nil {
			s.t.Errorf("send: %v", err)
		}
	})
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
