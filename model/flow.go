package model

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batchinfer/batchinfer/document"
)

// Flow is one input on its way through a pipeline model (page OCR, a
// detector): its pages, then what each stage made of them. A picture is
// one page; a PDF or TIFF has many, and its output is per page. For each
// stage in turn, a caller takes the stage's Rows, runs them (with other
// flows' rows, in whatever packs it likes) and gives each row's outputs
// back to Take; Result is the output, Err the input's error when no page
// could be read. Each stage takes a round of rows at a time, a window of
// pages for the first and of lines for the later ones: while
// Pending(i), Rows(i) and Take(i) go round again before stage i+1. A Flow
// is used by one goroutine at a time.
type Flow struct {
	m      *Model
	doc    *document.Document // a PDF or TIFF until its pages are decoded
	paged  bool
	pages  []*flowPage
	window []*flowPage // the pages of the latest Rows(0)
	queue  []*pageLine // a later stage's lines, listed as it starts
	chunk  []*pageLine // the lines of the latest Rows(i > 0)
	done   int         // stages all pages and lines have been through
	next   int         // pages or lines already through stage done
	shared int         // flows sharing a round with this one (Share)
	phases map[string]time.Duration
}

// PageWindow is how many pages go through the first stage in a round,
// shared among the flows of the round. A scanned A4 page rendered at 200
// DPI is 15 MB, and its detection row 8 MB more, until detection has cut
// it to its crops: a 100-page scan at once would not fit a function's
// memory; a window of them is about 200 MB.
const PageWindow = 8

// LineWindow is how many lines go through a later stage in a round,
// shared likewise: a line's recognition row is up to 0.7 MB (a wide line
// of an A4 page), and a dense 30-page document has over 1,300 lines.
const LineWindow = 256

// Share says how many flows share each round with this one (at least
// one): PageWindow and LineWindow are split among them.
func (f *Flow) Share(flows int) { f.shared = max(flows, 1) }

// Pending reports whether stage i has rows still to come: Rows(i) and
// Take(i) again.
func (f *Flow) Pending(i int) bool { return f.done <= i }

// advance counts n more pages or lines through the current stage, of
// total, and moves to the next stage after the last.
func (f *Flow) advance(n, total int) {
	if f.next += n; f.next >= total {
		f.done, f.next = f.done+1, 0
	}
}

// round is this flow's share of a window, at least one.
func (f *Flow) round(window int) int { return max(window/f.shared, 1) }

// lines are the detected lines of every live page, in order.
func (f *Flow) lines() []*pageLine {
	var out []*pageLine
	for _, p := range f.live() {
		out = append(out, p.lines...)
	}
	return out
}

// flowPage is one page: its image until detection has used it, and what
// the stages made of it, or why it could not be read.
type flowPage struct {
	number        int
	img           image.Image
	width, height int
	err           error
	textLayer     string // a digital PDF page's own text, read without OCR
	hasText       bool
	detW, detH    int // size of the text detection row
	lines         []*pageLine
	lb            letterbox // an object detector's
	row           Tensor    // the first stage's row, recycled when the page takes its output
	result        map[string]any
}

// pageLine is one detected text region.
type pageLine struct {
	quad    [4]point // tl, tr, br, bl in page pixels, as grown by unclip
	polygon [4]point // quad clipped to the page
	crop    *image.RGBA
	text    string
	conf    float64
}

// Start opens one input for a pipeline model: a picture is decoded, a
// document opened (its pages are decoded as the first stage needs them).
// Bad input gives an *InputError with the same codes as any image, or
// undecodable_document and too_many_pages for a document.
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
	f := &Flow{m: m, shared: 1, phases: map[string]time.Duration{}}
	defer func() { f.phases["decode"] += time.Since(t0) }()
	if document.Sniff(data).Paged() {
		doc, err := document.Open(context.Background(), data, m.documentOptions())
		if err != nil {
			return nil, asInputError(err)
		}
		f.doc, f.paged = doc, true
		for i := range doc.Pages() {
			f.pages = append(f.pages, &flowPage{number: i + 1})
		}
		return f, nil
	}
	img, err := m.page.decode(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	f.pages = []*flowPage{{number: 1, img: img, width: b.Dx(), height: b.Dy()}}
	return f, nil
}

// documentOptions are the manifest's limits on documents.
func (m *Model) documentOptions() document.Options {
	p := m.manifest.Preprocess
	return document.Options{MaxPages: p.MaxPages, MaxPixels: p.MaxPixels, DPI: p.DPI, TextLayer: p.TextLayer && m.stages[0].Role() == RoleDetect}
}

// decodePages decodes pages of a document, each failing on its own, one
// after another (the PDF renderer is one instance), and hands each decoded
// page to then on up to GOMAXPROCS goroutines, so a page's detection row
// is made while the next page renders. A picture's one page goes to then
// at once. The document is closed once its last page is decoded.
func (f *Flow) decodePages(pages []*flowPage, then func(p *flowPage)) {
	if f.doc == nil {
		for _, p := range livePages(pages) {
			then(p)
		}
		return
	}
	t0 := time.Now()
	ready, wait := pageWorkers(len(pages), then)
	for _, p := range pages {
		pg, err := f.doc.Page(context.Background(), p.number-1)
		switch {
		case err != nil:
			p.err = asInputError(err)
		case pg.Image == nil:
			p.width, p.height, p.textLayer, p.hasText = pg.Width, pg.Height, pg.Text, true
		default:
			p.img, p.width, p.height = pg.Image, pg.Width, pg.Height
			ready(p)
		}
	}
	wait()
	if pages[len(pages)-1] == f.pages[len(f.pages)-1] {
		f.Close()
	}
	f.phases["decode"] += time.Since(t0)
}

// Close lets go of a document not yet decoded to its last page (its
// renderer's memory), as when a run failed and the flow is dropped.
func (f *Flow) Close() {
	if f.doc != nil {
		f.doc.Close()
		f.doc = nil
	}
}

// eachPage runs fn for each page on up to GOMAXPROCS goroutines: a
// document's pages are independent until their crops share runs.
func eachPage(pages []*flowPage, fn func(p *flowPage)) {
	if len(pages) == 1 {
		fn(pages[0])
		return
	}
	send, wait := pageWorkers(len(pages), fn)
	for _, p := range pages {
		send(p)
	}
	wait()
}

// pageWorkers runs fn on each page handed to send, on up to GOMAXPROCS
// goroutines (and no more than the n pages to come); wait returns once
// every page sent has been done.
func pageWorkers(n int, fn func(p *flowPage)) (send func(*flowPage), wait func()) {
	next := make(chan *flowPage)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for p := range next {
				fn(p)
			}
		})
	}
	return func(p *flowPage) { next <- p }, func() { close(next); wg.Wait() }
}

// live are the pages the stages still work on, in order.
func (f *Flow) live() []*flowPage { return livePages(f.pages) }

// livePages are those of pages the stages still work on.
func livePages(pages []*flowPage) []*flowPage {
	var out []*flowPage
	for _, p := range pages {
		if p.err == nil && !p.hasText {
			out = append(out, p)
		}
	}
	return out
}

// Phases is the CPU time this flow spent in each of its own steps:
// "decode", "crop", and "STAGE.pre" / "STAGE.post" for each stage.
func (f *Flow) Phases() map[string]time.Duration { return f.phases }

// Rows are this flow's rows of stage i's next round: one per page of the
// next window of pages for the first stage, one per line of the next
// window of lines for the later stages. The first stage's rows are reused
// for other flows once Take(0) has been called: pack or copy them before.
func (f *Flow) Rows(i int) []Tensor {
	st := f.m.stages[i]
	t0 := time.Now()
	defer func() { f.phases[st.Name()+".pre"] += time.Since(t0) }()
	if i > 0 {
		if f.next == 0 {
			f.queue = f.lines()
		}
		f.chunk = f.queue[f.next:min(f.next+f.round(LineWindow), len(f.queue))]
		rows := make([]Tensor, len(f.chunk))
		for k, l := range f.chunk {
			rows[k] = st.img.preprocessImage(l.crop)
		}
		return rows
	}
	f.window = f.pages[f.next:min(f.next+f.round(PageWindow), len(f.pages))]
	f.decodePages(f.window, func(p *flowPage) {
		switch st.Role() {
		case RoleDetect:
			p.row = st.det.row(p.img)
			p.detH, p.detW = int(p.row.Shape[1]), int(p.row.Shape[2])
		case RoleObjects:
			p.row, p.lb = st.objects.row(p.img)
			p.img = nil
		}
	})
	var rows []Tensor
	for _, p := range livePages(f.window) {
		rows = append(rows, p.row)
	}
	return rows
}

// cropAll cuts every line out of its page, at the height and margin of
// the first stage after detection, and lets the page go: from here on a
// flow holds only its small crops, so a caller may keep many flows in
// memory while it packs their crops into shared runs.
func (f *Flow) cropAll(p *flowPage) {
	pp := f.m.stages[1].manifest.Preprocess
	for _, l := range p.lines {
		l.crop = cropLine(p.img, l.quad, pp.Height, pp.CropMargin)
	}
	p.img = nil
}

// Take gives stage i the outputs of this flow's rows of the round,
// outs[k] for Rows(i)[k] (one tensor per stage output, leading dim
// removed, possibly padded).
func (f *Flow) Take(i int, outs [][]Tensor) error {
	st := f.m.stages[i]
	t0 := time.Now()
	defer func() { f.phases[st.Name()+".post"] += time.Since(t0) }()
	if i > 0 {
		if err := takeLines(st, f.chunk, outs, f.next); err != nil {
			return err
		}
		f.advance(len(f.chunk), len(f.queue))
		return nil
	}
	// One row per page of the window: pages take theirs at once, each
	// page's lines found and cut out apart from the others'.
	live := livePages(f.window)
	f.advance(len(f.window), len(f.pages))
	at := map[*flowPage]int{}
	for k, p := range live {
		at[p] = k
	}
	errs := make([]error, len(live))
	var crop atomic.Int64
	defer func() { f.phases["crop"] += time.Duration(crop.Load()) }()
	eachPage(live, func(p *flowPage) {
		k := at[p]
		recycleRow(p.row)
		p.row = Tensor{}
		switch st.Role() {
		case RoleDetect:
			if errs[k] = p.takeDetect(st, outs[k][0]); errs[k] == nil {
				t0 := time.Now()
				f.cropAll(p)
				crop.Add(int64(time.Since(t0)))
			}
		case RoleObjects:
			p.result, errs[k] = st.objects.result(outs[k][0], p.lb)
			if errs[k] != nil {
				errs[k] = fmt.Errorf("stage %s page %d: %w", st.Name(), p.number, errs[k])
			}
		}
	})
	return errors.Join(errs...)
}

// takeLines gives an orient or read stage's outputs to lines, the first
// of them line number first of the flow.
func takeLines(st *Model, lines []*pageLine, outs [][]Tensor, first int) error {
	for k, l := range lines {
		res, err := st.post.postprocess(outs[k])
		if err != nil {
			return fmt.Errorf("stage %s line %d: %w", st.Name(), first+k, err)
		}
		switch st.Role() {
		case RoleOrient:
			pp := st.manifest.Postprocess
			if res["label"] == pp.FlipLabel && res["score"].(float64) >= pp.Threshold {
				l.crop = rotate180(l.crop)
			}
		case RoleRead:
			l.text, l.conf = res["text"].(string), res["confidence"].(float64)
			l.crop = nil // read: the last stage that looks at it
		}
	}
	return nil
}

// takeDetect turns the probability map into lines in page pixels, in
// reading order. The map may be padded beyond this page's own row.
func (p *flowPage) takeDetect(st *Model, out Tensor) error {
	s := out.Shape
	if len(s) != 3 || s[0] != 1 || int(s[1]) < p.detH || int(s[2]) < p.detW {
		return fmt.Errorf("stage %s: output shape %v does not cover the %d×%d input", st.Name(), s, p.detW, p.detH)
	}
	pm := probMap{data: out.Float32(), w: p.detW, h: p.detH, stride: int(s[2])}
	b := p.img.Bounds()
	pw, ph := float64(b.Dx()), float64(b.Dy())
	sx, sy := pw/float64(p.detW), ph/float64(p.detH)
	p.lines = p.lines[:0]
	for _, r := range st.db.boxes(pm) {
		c := r.corners()
		l := &pageLine{}
		for j, q := range c {
			l.quad[j] = point{math.Round(q.X * sx), math.Round(q.Y * sy)}
			l.polygon[j] = clampPoint(l.quad[j], pw-1, ph-1)
		}
		// PaddleOCR's filter_tag_det_res: a box clipped to a sliver is noise.
		if l.polygon[0].dist(l.polygon[1]) <= 3 || l.polygon[0].dist(l.polygon[3]) <= 3 {
			continue
		}
		p.lines = append(p.lines, l)
	}
	sortReadingOrder(p.lines)
	return nil
}

// Result is the output. A picture keeps its model's shape: page OCR
//
//	{"lines": [{"text", "confidence", "box": [x0, y0, x1, y1], "polygon": [[x, y] ×4]}], "line_count": 2, "text": "line\nline"}
//
// (lines read below the read stage's drop_score, or as nothing, left
// out), a detector {"detections": [...], "width", "height"}. A PDF or
// TIFF answers per page, a page that failed with its error, and page
// OCR's whole text beside the pages:
//
//	{"pages": [{"page": 1, …the page's output…, "width", "height"}, {"page": 2, "error": {"code", "message"}}], "text": "…"}
func (f *Flow) Result() map[string]any {
	if !f.paged {
		return f.pageResult(f.pages[0])
	}
	pages := make([]any, len(f.pages))
	var texts []string
	for i, p := range f.pages {
		if p.err != nil {
			code, msg := errorParts(p.err)
			pages[i] = map[string]any{"page": p.number, "error": map[string]any{"code": code, "message": msg}}
			continue
		}
		r := f.pageResult(p)
		r["page"], r["width"], r["height"] = p.number, p.width, p.height
		if t, ok := r["text"].(string); ok && t != "" {
			texts = append(texts, t)
		}
		pages[i] = r
	}
	out := map[string]any{"pages": pages, "page_count": len(pages)}
	if f.m.stages[0].Role() == RoleDetect {
		out["text"] = strings.Join(texts, "\n\n")
	}
	return out
}

// Err is the input's error when not one of its pages could be read: the
// first page's.
func (f *Flow) Err() error {
	for _, p := range f.pages {
		if p.err == nil {
			return nil
		}
	}
	return f.pages[0].err
}

func errorParts(err error) (string, string) {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Code, ie.Message
	}
	return "inference_failed", err.Error()
}

func (f *Flow) pageResult(p *flowPage) map[string]any {
	if p.result != nil {
		return p.result
	}
	if p.hasText {
		lines := []any{}
		for _, l := range strings.Split(strings.TrimSpace(strings.ReplaceAll(p.textLayer, "\r\n", "\n")), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, map[string]any{"text": l})
			}
		}
		texts := make([]string, len(lines))
		for i, l := range lines {
			texts[i] = l.(map[string]any)["text"].(string)
		}
		return map[string]any{"lines": lines, "line_count": len(lines), "text": strings.Join(texts, "\n"), "source": "text_layer"}
	}
	return f.linesResult(p)
}

func (f *Flow) linesResult(p *flowPage) map[string]any {
	drop := f.m.stages[len(f.m.stages)-1].manifest.Postprocess.DropScore
	lines := []any{}
	var texts []string
	for _, l := range p.lines {
		if l.text == "" || l.conf < drop {
			continue
		}
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		poly := make([]any, 4)
		for j, q := range l.polygon {
			x0, y0, x1, y1 = min(x0, q.X), min(y0, q.Y), max(x1, q.X), max(y1, q.Y)
			r := q.rounded()
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
