package model

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/tensor"
)

// Roles a pipeline stage can play.
const (
	RoleDetect = "detect"
	RoleOrient = "orient"
	RoleRead   = "read"
)

// validatePipeline checks a pipeline model's manifest: its page codec and
// its stages' roles and order. Each stage's own fields are checked as any
// model's, and against its session at load.
func (m *Manifest) validatePipeline() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	m.validateNames(bad)
	if m.File != "" || len(m.Inputs) > 0 || len(m.Outputs) > 0 || m.Postprocess.Kind != "" {
		bad("a pipeline model has no file, inputs, outputs or postprocess of its own: its stages do")
	}
	if m.Batch.MaxBatch < 0 || m.Batch.MaxBatchBytes != 0 || m.Batch.Bucket != 0 {
		bad("a pipeline model's batch holds only max_batch, the inputs (pages) worth gathering into one call; its stages hold the run limits")
	}
	if m.Preprocess.Kind != "page" {
		bad("preprocess.kind of a pipeline model is %q; it must be page", m.Preprocess.Kind)
	}
	seen := map[string]bool{}
	for i := range m.Pipeline {
		s := &m.Pipeline[i]
		if s.Version == "" {
			s.Version = m.Version
		}
		if seen[s.Name] {
			bad("pipeline[%d].name %q is used twice", i, s.Name)
		}
		seen[s.Name] = true
		want := RoleOrient
		switch i {
		case 0:
			want = RoleDetect
		case len(m.Pipeline) - 1:
			want = RoleRead
		}
		if s.Role != want {
			bad("pipeline[%d].role is %q; the first stage must be detect, the last read, any between orient", i, s.Role)
		}
		if len(s.Pipeline) > 0 {
			bad("pipeline[%d] has a pipeline of its own", i)
		}
		if err := s.validate(); err != nil {
			bad("pipeline[%d] (%s): %w", i, s.Name, err)
		}
	}
	if len(m.Pipeline) < 2 {
		bad("pipeline has %d stages; it needs at least detect and read", len(m.Pipeline))
	}
	return errors.Join(errs...)
}

// buildPipeline loads every stage of a pipeline model.
func buildPipeline(dir string, man Manifest, opts Options) (*Model, error) {
	page := &imageCodec{p: man.Preprocess}
	if page.p.MaxPixels <= 0 {
		page.p.MaxPixels = defaultMaxPixels
	}
	m := &Model{dir: dir, manifest: man, page: page}
	for _, sm := range man.Pipeline {
		st, err := build(&Spec{Dir: dir, Kind: KindManifest, Manifest: sm}, opts)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("stage %s: %w", sm.Name, err)
		}
		m.stages = append(m.stages, st)
	}
	return m, nil
}

// initRole builds a stage's codecs for its role.
func (m *Model) initRole(dir string) error {
	man := m.manifest
	want := map[string][2]string{
		RoleDetect: {"detect_image", "db"},
		RoleOrient: {"image", "classification"},
		RoleRead:   {"text_line", "ctc"},
	}[man.Role]
	if man.Preprocess.Kind != want[0] || man.Postprocess.Kind != want[1] {
		return fmt.Errorf("role %s needs preprocess.kind %s and postprocess.kind %s, manifest says %s and %s",
			man.Role, want[0], want[1], man.Preprocess.Kind, man.Postprocess.Kind)
	}
	var err error
	switch man.Role {
	case RoleDetect:
		if m.det, err = newDetCodec(man); err == nil {
			m.db, err = newDBPost(man)
		}
		return err
	case RoleOrient:
		if !slices.Contains(man.Labels, man.Postprocess.FlipLabel) {
			return fmt.Errorf("postprocess.flip_label %q is not one of the labels %v", man.Postprocess.FlipLabel, man.Labels)
		}
	}
	if m.img, err = newImageCodec(man); err != nil {
		return err
	}
	m.post, err = newPostprocessor(dir, man)
	return err
}

// IsPipeline reports whether the model is a pipeline of stages (Start,
// Stages) rather than one session (Preprocess, Run, Postprocess).
func (m *Model) IsPipeline() bool { return len(m.stages) > 0 }

// Stages are a pipeline model's stage models, in order: each has its own
// Run and batch limits, so a caller can pack the rows of one stage from
// many inputs into shared runs.
func (m *Model) Stages() []*Model { return m.stages }

// pagesPerCall is a pipeline's MaxBatch: how many inputs a caller should
// gather before it predicts, so that its stages' runs fill up. Inputs
// carry several rows each after detection, so the read stage's batch of
// pages is plenty by default.
func (m *Model) pagesPerCall() int {
	if n := m.manifest.Batch.MaxBatch; n > 0 {
		return n
	}
	return m.stages[len(m.stages)-1].MaxBatch()
}

// Role is a stage's part in its pipeline ("" for a plain model).
func (m *Model) Role() string { return m.manifest.Role }

// Flow is one input on its way through a pipeline model: the decoded page,
// then the regions detection found and what later stages made of them.
// For each stage in turn, a caller takes the stage's Rows, runs them (with
// other flows' rows, in whatever packs it likes) and gives each row's
// outputs back to Take; Result is the output. A Flow is used by one
// goroutine at a time.
type Flow struct {
	m      *Model
	page   image.Image
	detW   int // size of the detection row
	detH   int
	lines  []*pageLine
	phases map[string]time.Duration
}

// pageLine is one detected text region.
type pageLine struct {
	quad    [4]point // tl, tr, br, bl in page pixels, as grown by unclip
	polygon [4]point // quad clipped to the page
	crop    *image.RGBA
	text    string
	conf    float64
}

// Start decodes one input for a pipeline model. Bad input gives an
// *InputError with the same codes as any image.
func (m *Model) Start(data []byte) (*Flow, error) {
	if !m.IsPipeline() {
		return nil, fmt.Errorf("start %s: not a pipeline model", m.manifest.Name)
	}
	t0 := time.Now()
	if limit := m.manifest.Preprocess.MaxInputBytes; limit > 0 && int64(len(data)) > limit {
		return nil, inputErrorf(codeInputTooLarge, "input is %d bytes; model %s takes at most %d", len(data), m.manifest.Name, limit)
	}
	if len(data) == 0 {
		return nil, inputErrorf(codeEmptyInput, "input is empty (0 bytes)")
	}
	img, err := m.page.decode(data)
	if err != nil {
		return nil, err
	}
	return &Flow{m: m, page: img, phases: map[string]time.Duration{"decode": time.Since(t0)}}, nil
}

// Phases is the CPU time this flow spent in each of its own steps:
// "decode", "crop", and "STAGE.pre" / "STAGE.post" for each stage.
func (f *Flow) Phases() map[string]time.Duration { return f.phases }

// Rows are the rows this flow gives stage i: one for detection, one per
// detected line for the later stages (none on a page without text).
func (f *Flow) Rows(i int) []Tensor {
	st := f.m.stages[i]
	t0 := time.Now()
	defer func() { f.phases[st.Name()+".pre"] += time.Since(t0) }()
	if st.Role() == RoleDetect {
		row := st.det.row(f.page)
		f.detH, f.detW = int(row.Shape[1]), int(row.Shape[2])
		return []Tensor{row}
	}
	rows := make([]Tensor, len(f.lines))
	for k, l := range f.lines {
		rows[k] = st.img.preprocessImage(l.crop)
	}
	return rows
}

// cropAll cuts every line out of the page, at the height and margin of the
// first stage after detection, and lets the page go: from here on a flow
// holds only its small crops, so a caller may keep many flows in memory
// while it packs their crops into shared runs.
func (f *Flow) cropAll() {
	t0 := time.Now()
	p := f.m.stages[1].manifest.Preprocess
	for _, l := range f.lines {
		l.crop = cropLine(f.page, l.quad, p.Height, p.CropMargin)
	}
	f.page = nil
	f.phases["crop"] += time.Since(t0)
}

// Take gives stage i the outputs of this flow's rows, outs[k] for Rows(i)[k]
// (one tensor per stage output, leading dim removed, possibly padded).
func (f *Flow) Take(i int, outs [][]Tensor) error {
	st := f.m.stages[i]
	t0 := time.Now()
	if st.Role() == RoleDetect {
		err := f.takeDetect(st, outs[0][0])
		f.phases[st.Name()+".post"] += time.Since(t0)
		if err == nil {
			f.cropAll()
		}
		return err
	}
	defer func() { f.phases[st.Name()+".post"] += time.Since(t0) }()
	switch st.Role() {
	case RoleOrient:
		flip := st.manifest.Postprocess.FlipLabel
		thr := st.manifest.Postprocess.Threshold
		for k, l := range f.lines {
			res, err := st.post.postprocess(outs[k])
			if err != nil {
				return fmt.Errorf("stage %s line %d: %w", st.Name(), k, err)
			}
			if res["label"] == flip && res["score"].(float64) >= thr {
				l.crop = rotate180(l.crop)
			}
		}
	case RoleRead:
		for k, l := range f.lines {
			res, err := st.post.postprocess(outs[k])
			if err != nil {
				return fmt.Errorf("stage %s line %d: %w", st.Name(), k, err)
			}
			l.text, l.conf = res["text"].(string), res["confidence"].(float64)
		}
	}
	return nil
}

// takeDetect turns the probability map into lines in page pixels, in
// reading order. The map may be padded beyond this page's own row.
func (f *Flow) takeDetect(st *Model, out Tensor) error {
	s := out.Shape
	if len(s) != 3 || s[0] != 1 || int(s[1]) < f.detH || int(s[2]) < f.detW {
		return fmt.Errorf("stage %s: output shape %v does not cover the %d×%d input", st.Name(), s, f.detW, f.detH)
	}
	pm := probMap{data: tensor.AsFloat32(out), w: f.detW, h: f.detH, stride: int(s[2])}
	b := f.page.Bounds()
	pw, ph := float64(b.Dx()), float64(b.Dy())
	sx, sy := pw/float64(f.detW), ph/float64(f.detH)
	f.lines = f.lines[:0]
	for _, r := range st.db.boxes(pm) {
		c := r.corners()
		l := &pageLine{}
		for j, p := range c {
			l.quad[j] = point{math.Round(p.X * sx), math.Round(p.Y * sy)}
			l.polygon[j] = clampPoint(l.quad[j], pw-1, ph-1)
		}
		// PaddleOCR's filter_tag_det_res: a box clipped to a sliver is noise.
		if l.polygon[0].dist(l.polygon[1]) <= 3 || l.polygon[0].dist(l.polygon[3]) <= 3 {
			continue
		}
		f.lines = append(f.lines, l)
	}
	sortReadingOrder(f.lines)
	return nil
}

// sortReadingOrder sorts lines top to bottom, and left to right within a
// row, along the page's own axes: positions are measured along and across
// the median direction of the lines, so a skewed page's rows stay rows. A
// line whose centre lies within half a line height of a row's first line
// (across the lines) belongs to that row.
func sortReadingOrder(lines []*pageLine) {
	if len(lines) == 0 {
		return
	}
	angles := make([]float64, len(lines))
	for i, l := range lines {
		d := l.quad[1].sub(l.quad[0])
		angles[i] = math.Atan2(d.Y, d.X)
	}
	slices.Sort(angles)
	s, c := math.Sincos(angles[len(angles)/2])
	along := func(p point) float64 { return c*p.X + s*p.Y }
	across := func(p point) float64 { return -s*p.X + c*p.Y }
	centre := func(l *pageLine) point { return l.quad[0].add(l.quad[2]).scale(0.5) }
	ht := func(l *pageLine) float64 { return (l.quad[0].dist(l.quad[3]) + l.quad[1].dist(l.quad[2])) / 2 }
	slices.SortStableFunc(lines, func(a, b *pageLine) int { return cmpFloat(across(centre(a)), across(centre(b))) })
	for start := 0; start < len(lines); {
		end := start + 1
		for end < len(lines) && across(centre(lines[end]))-across(centre(lines[start])) < min(ht(lines[start]), ht(lines[end]))/2 {
			end++
		}
		slices.SortStableFunc(lines[start:end], func(a, b *pageLine) int { return cmpFloat(along(a.quad[0]), along(b.quad[0])) })
		start = end
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Result is the page's output, lines in reading order:
//
//	{"lines": [{"text", "confidence", "box": [x0, y0, x1, y1], "polygon": [[x, y] ×4]}], "line_count": 2, "text": "line\nline"}
//
// Lines read below the read stage's drop_score, or as nothing, are left out.
func (f *Flow) Result() map[string]any {
	drop := f.m.stages[len(f.m.stages)-1].manifest.Postprocess.DropScore
	lines := []any{}
	var texts []string
	for _, l := range f.lines {
		if l.text == "" || l.conf < drop {
			continue
		}
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		poly := make([]any, 4)
		for j, p := range l.polygon {
			x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
			r := p.rounded()
			poly[j] = []any{r[0], r[1]}
		}
		// Plain maps and slices: results also go through DynamoDB's
		// attributevalue, which ignores json tags.
		lines = append(lines, map[string]any{
			"text": l.text, "confidence": l.conf,
			"box":     []any{int(x0), int(y0), int(x1), int(y1)},
			"polygon": poly,
		})
		texts = append(texts, l.text)
	}
	return map[string]any{"lines": lines, "line_count": len(lines), "text": strings.Join(texts, "\n")}
}
