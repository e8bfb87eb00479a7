package console

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// jobPage is one job and its result drawn as a person reads it.
type jobPage struct {
	Rec       *store.Record
	Glance    string
	Pages     []pageView // the input's pages with the output drawn over them
	Text      string     // a page's or a line's text
	Labels    []labelBar
	Records   *recordView
	Embedding *embeddingView
	Output    string // the whole output, indented (clipped)
	OutputURL string
	InputURL  string
}

// shape is an OCR line (a polygon) or a detection box, in image pixels.
type shape struct {
	Class, Label string
	Points       string // polygon points "x,y x,y ..."
	X, Y         float64
}

type labelBar struct {
	Label string
	Score float64
}

type recordView struct {
	Records, Succeeded, Failed float64
	Errors                     []codeCount
}

type embeddingView struct {
	Dim   int
	Norm  float64
	First []float64
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rec, err := s.Results.Get(r.Context(), id)
	if err != nil {
		s.fail(w, "read job "+id, err)
		return
	}
	if rec == nil {
		http.Error(w, "no job "+id, http.StatusNotFound)
		return
	}
	page := jobPage{Rec: rec, OutputURL: "/jobs/" + url.PathEscape(id) + "/output", InputURL: "/jobs/" + url.PathEscape(id) + "/input"}
	if rec.Output != nil {
		page.Glance = client.Glance(rec.Output)
	}
	full, err := client.FullOutput(r.Context(), s.Objects, rec)
	if err != nil {
		s.logger().Warn("read a job's whole output", "job", id, "err", err)
	}
	out := asObject(full)
	if b, err := json.MarshalIndent(full, "", "  "); err == nil && full != nil {
		page.Output = clipText(string(b), 20000)
	}
	s.describe(r, &page, out)
	s.render(w, "job.html", page)
}

// describe fills what the output shows: text, labels, counts, an
// embedding, shapes over the input image.
func (s *Server) describe(r *http.Request, p *jobPage, out map[string]any) {
	if out == nil {
		return
	}
	p.Text, _ = out["text"].(string)
	p.Labels = labels(out)
	if _, ok := out["records"]; ok {
		rv := &recordView{Records: num(out["records"]), Succeeded: num(out["succeeded"]), Failed: num(out["failed"])}
		errs, _ := out["errors"].(map[string]any)
		byCode := map[string]int{}
		for c, n := range errs {
			byCode[c] = int(num(n))
		}
		rv.Errors = sortedCounts(byCode)
		p.Records = rv
	}
	if vec, ok := out["embedding"].([]any); ok || out["dim"] != nil {
		ev := &embeddingView{Dim: int(num(out["dim"]))}
		var sq float64
		for i, x := range vec {
			sq += num(x) * num(x)
			if i < 8 {
				ev.First = append(ev.First, num(x))
			}
		}
		ev.Dim, ev.Norm = cmp.Or(ev.Dim, len(vec)), math.Sqrt(sq)
		p.Embedding = ev
	}
	p.Pages = s.pageViews(r.Context(), p.Rec.JobID, p.Rec.Input, out)
}

// outputShapes are an output's OCR lines and detection boxes.
func outputShapes(out map[string]any) []shape {
	var shapes []shape
	lines, _ := out["lines"].([]any)
	for _, l := range lines {
		m, _ := l.(map[string]any)
		poly, _ := m["polygon"].([]any)
		var pts []string
		for _, p := range poly {
			xy, _ := p.([]any)
			if len(xy) == 2 {
				pts = append(pts, fmt.Sprintf("%g,%g", num(xy[0]), num(xy[1])))
			}
		}
		if len(pts) == 0 {
			pts = boxPoints(m["box"])
		}
		if len(pts) > 0 {
			x, y := firstPoint(pts)
			shapes = append(shapes, shape{Class: "line", Label: fmt.Sprint(m["text"]), Points: strings.Join(pts, " "), X: x, Y: y})
		}
	}
	dets, _ := out["detections"].([]any)
	for _, d := range dets {
		m, _ := d.(map[string]any)
		if pts := boxPoints(m["box"]); len(pts) > 0 {
			x, y := firstPoint(pts)
			shapes = append(shapes, shape{Class: "box", Label: fmt.Sprintf("%v %.2f", m["label"], num(m["score"])), Points: strings.Join(pts, " "), X: x, Y: y})
		}
	}
	return shapes
}

func boxPoints(v any) []string {
	b, _ := v.([]any)
	if len(b) != 4 {
		return nil
	}
	x0, y0, x1, y1 := num(b[0]), num(b[1]), num(b[2]), num(b[3])
	return []string{fmt.Sprintf("%g,%g", x0, y0), fmt.Sprintf("%g,%g", x1, y0), fmt.Sprintf("%g,%g", x1, y1), fmt.Sprintf("%g,%g", x0, y1)}
}

func firstPoint(pts []string) (float64, float64) {
	var x, y float64
	fmt.Sscanf(pts[0], "%g,%g", &x, &y)
	return x, y
}

// labels are a classification's top k, a tabular model's probabilities,
// or the one label with its score.
func labels(out map[string]any) []labelBar {
	var ls []labelBar
	if top, ok := out["top_k"].([]any); ok {
		for _, t := range top {
			m, _ := t.(map[string]any)
			ls = append(ls, labelBar{Label: fmt.Sprint(m["label"]), Score: num(m["score"])})
		}
	} else if probs, ok := out["probabilities"].(map[string]any); ok {
		for l, p := range probs {
			ls = append(ls, labelBar{Label: l, Score: num(p)})
		}
	} else if l, ok := out["label"]; ok {
		ls = append(ls, labelBar{Label: fmt.Sprint(l), Score: num(out["score"])})
	}
	slices.SortFunc(ls, func(a, b labelBar) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Label, b.Label)) })
	return ls
}

// input serves a job's S3 input, for the page to draw on.
func (s *Server) input(w http.ResponseWriter, r *http.Request) {
	rec, err := s.Results.Get(r.Context(), r.PathValue("id"))
	if err != nil || rec == nil || !strings.HasPrefix(rec.Input, "s3://") {
		http.NotFound(w, r)
		return
	}
	obj, err := jobs.ParseS3URI(rec.Input)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	data, err := s.Objects.Fetch(r.Context(), obj)
	if err != nil {
		s.fail(w, "read "+rec.Input, err)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Write(data)
}

// output serves a job's whole output as JSON.
func (s *Server) output(w http.ResponseWriter, r *http.Request) {
	rec, err := s.Results.Get(r.Context(), r.PathValue("id"))
	if err != nil || rec == nil {
		http.NotFound(w, r)
		return
	}
	full, err := client.FullOutput(r.Context(), s.Objects, rec)
	if err != nil {
		s.fail(w, "read the output", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(full)
}

// asObject is an output as a JSON object, nil when it is not one.
func asObject(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…"
}
