package model

import (
	"context"
	"fmt"

	"github.com/batchinfer/batchinfer/document"
)

// pageState is a document page's row state in an image model whose codecs
// the manifest picks by kind (a classifier): its number and size, and on
// the first row the pages that could not be read.
type pageState struct {
	page, width, height int
	failed              []map[string]any // {"page", "error"}, on the document's first row
}

// PreprocessRows makes one row for a picture, and one per page of a PDF or
// TIFF when the model takes images: a page that fails is left out and
// named in the first row's state; when none can be read, the input fails
// with the first page's code.
func (c kindCodec) PreprocessRows(in Input) ([]Row, error) {
	img, ok := c.pre.(*imageCodec)
	if !ok || in.Text != nil || !document.Sniff(in.Data).Paged() {
		row, err := c.Preprocess(in)
		if err != nil {
			return nil, err
		}
		return []Row{row}, nil
	}
	o := document.Options{MaxPixels: img.p.MaxPixels, MaxPages: img.p.MaxPages, DPI: img.p.DPI}
	doc, err := document.Open(context.Background(), in.Data, o)
	if err != nil {
		return nil, asInputError(err)
	}
	defer doc.Close()
	var rows []Row
	var failed []map[string]any
	var first error
	for i := range doc.Pages() {
		pg, err := doc.Page(context.Background(), i)
		if err != nil {
			err = asInputError(err)
			first = cmpErr(first, err)
			code, msg := errorParts(err)
			failed = append(failed, map[string]any{"page": i + 1, "error": map[string]any{"code": code, "message": msg}})
			continue
		}
		rows = append(rows, Row{Inputs: []Tensor{img.preprocessImage(pg.Image)}, State: &pageState{page: i + 1, width: pg.Width, height: pg.Height}})
	}
	if len(rows) == 0 {
		return nil, first
	}
	rows[0].State.(*pageState).failed = failed
	return rows, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// PostprocessRows is a picture's result, or a document's per page:
// {"pages": [{"page", …the model's output…, "width", "height"} or {"page", "error"}], "page_count"}.
func (c kindCodec) PostprocessRows(rows []Row, outputs [][]Tensor) (map[string]any, error) {
	first, paged := rows[0].State.(*pageState)
	if !paged {
		return c.Postprocess(rows[0], outputs[0])
	}
	byPage := map[int]any{}
	for _, f := range first.failed {
		byPage[f["page"].(int)] = f
	}
	last := 0
	for i, r := range rows {
		st := r.State.(*pageState)
		res, err := c.post.postprocess(outputs[i])
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", st.page, err)
		}
		res["page"], res["width"], res["height"] = st.page, st.width, st.height
		byPage[st.page] = res
		last = max(last, st.page)
	}
	for _, f := range first.failed {
		last = max(last, f["page"].(int))
	}
	pages := make([]any, 0, last)
	for p := 1; p <= last; p++ {
		pages = append(pages, byPage[p])
	}
	return map[string]any{"pages": pages, "page_count": len(pages)}, nil
}
