package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Roles a pipeline stage can play.
const (
	RoleDetect = "detect"
	RoleOrient = "orient"
	RoleRead   = "read"
	// RoleObjects is an object detector's one stage: a letterboxed row
	// per page, detections out.
	RoleObjects = "objects"
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
