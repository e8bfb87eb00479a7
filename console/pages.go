package console

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/batchinfer/batchinfer/document"
	"github.com/batchinfer/batchinfer/jobs"
)

// pageView is one page of a job's input with the output drawn over it.
// W and H are the output's coordinate space (the page as the worker saw
// it); the picture is stretched to it, so a PDF rendered at another DPI
// still lines up.
type pageView struct {
	Number int
	Src    string // "": the page has no picture to show (text layer, unreadable)
	W, H   float64
	Shapes []shape
	Text   string
	Error  string // the page's error, with its code
}

// pageViews are an output's pages: a PDF's or TIFF's "pages", or the one
// picture's output. The page count and the one picture's size come from
// the input itself, decoded as the worker decodes it (EXIF orientation
// applied), so the boxes land where the worker put them.
func (s *Server) pageViews(ctx context.Context, id, input string, out map[string]any) []pageView {
	doc, closeDoc, err := s.openInput(ctx, input)
	if err != nil {
		return nil
	}
	defer closeDoc()
	src := func(n int) string { return "/jobs/" + url.PathEscape(id) + "/pages/" + strconv.Itoa(n) }
	paged, ok := out["pages"].([]any)
	if !ok {
		w, h := num(out["width"]), num(out["height"])
		if w == 0 || h == 0 {
			p, err := doc.Page(ctx, 0)
			if err != nil {
				return nil
			}
			w, h = float64(p.Width), float64(p.Height)
		}
		return []pageView{{Number: 1, Src: src(1), W: w, H: h, Shapes: outputShapes(out)}}
	}
	views := make([]pageView, 0, len(paged))
	for i, v := range paged {
		p, _ := v.(map[string]any)
		pv := pageView{Number: i + 1, W: num(p["width"]), H: num(p["height"]), Shapes: outputShapes(p)}
		if n := int(num(p["page"])); n > 0 {
			pv.Number = n
		}
		pv.Text, _ = p["text"].(string)
		if e, ok := p["error"].(map[string]any); ok {
			pv.Error = fmt.Sprintf("%v: %v", e["code"], e["message"])
		} else if pv.W > 0 && pv.H > 0 && pv.Number <= doc.Pages() {
			pv.Src = src(pv.Number)
		}
		views = append(views, pv)
	}
	return views
}

// openInput fetches an S3 input and opens it as a document.
func (s *Server) openInput(ctx context.Context, input string) (*document.Document, func() error, error) {
	if !strings.HasPrefix(input, "s3://") {
		return nil, nil, fmt.Errorf("not an S3 input")
	}
	obj, err := jobs.ParseS3URI(input)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.Objects.Fetch(ctx, obj)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", input, err)
	}
	doc, err := document.Open(ctx, data, document.Options{})
	if err != nil {
		return nil, nil, err
	}
	return doc, doc.Close, nil
}

// page serves page n (1-based) of a job's input as a JPEG (encoded in a
// fraction of a PNG's time, for a page at 200 DPI), decoded as the worker
// decodes it: a PDF page rendered, a TIFF page, a photo upright.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		http.Error(w, "no page "+r.PathValue("n")+": pages are numbered from 1", http.StatusNotFound)
		return
	}
	rec, err := s.Results.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, "read the job", err)
		return
	}
	if rec == nil {
		http.Error(w, "no job "+r.PathValue("id"), http.StatusNotFound)
		return
	}
	doc, closeDoc, err := s.openInput(r.Context(), rec.Input)
	if err != nil {
		http.Error(w, "open the input: "+err.Error(), http.StatusNotFound)
		return
	}
	defer closeDoc()
	if n > doc.Pages() {
		http.Error(w, fmt.Sprintf("no page %d: the input has %d", n, doc.Pages()), http.StatusNotFound)
		return
	}
	p, err := doc.Page(r.Context(), n-1)
	if err != nil || p.Image == nil {
		http.Error(w, fmt.Sprintf("page %d has no picture: %v", n, err), http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, p.Image, &jpeg.Options{Quality: 90}); err != nil {
		s.fail(w, "encode the page", err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Write(buf.Bytes())
}
