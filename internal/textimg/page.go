package textimg

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
)

// PageLine is one line of a rendered page and where its ink is.
type PageLine struct {
	Text string
	Box  image.Rectangle // the ink's bounding box in page pixels (after skew)
}

// Page is a rendered document page: its encoded bytes and its truth.
type Page struct {
	Name  string
	Data  []byte // PNG or JPEG
	Lines []PageLine
	W, H  int
}

// PageOptions control how RenderPage lays out a page. Zero values pick
// defaults.
type PageOptions struct {
	Font    Font
	Size    float64 // font size in pixels, default 28
	Width   int     // page width, default 720
	Margin  int     // left margin and top, default 40
	Spacing float64 // baseline-to-baseline distance in font sizes, default 1.8
	Indents []int   // extra left indent per line (cycled), default none
	Right   []bool  // lines (cycled) drawn right-aligned on the row of the previous line, for two-column rows
	Skew    float64 // rotation of the whole page in degrees
	Noise   int     // ± grey levels of uniform noise added to every pixel
	JPEG    int     // JPEG quality (0: PNG)
	Seed    uint64  // noise seed
}

func (o PageOptions) withDefaults() PageOptions {
	if o.Size <= 0 {
		o.Size = 28
	}
	if o.Width <= 0 {
		o.Width = 720
	}
	if o.Margin <= 0 {
		o.Margin = 40
	}
	if o.Spacing <= 0 {
		o.Spacing = 1.8
	}
	return o
}

// RenderPage draws lines in black on a white page, one per row (or two on
// a row where opts.Right says so), and returns it encoded with the ink box
// of every line. It panics only on an unknown Font.
func RenderPage(name string, lines []string, opts PageOptions) Page {
	o := opts.withDefaults()
	face := newFace(o.Font, o.Size)
	defer face.Close()
	step := int(o.Size * o.Spacing)
	rows := 0
	need := make([]int, len(lines)) // width each row needs
	for i, text := range lines {
		if i == 0 || !cycled(o.Right, i) {
			rows++
		}
		w := font.MeasureString(face, text).Ceil() + 2*o.Margin
		if len(o.Indents) > 0 {
			w += o.Indents[i%len(o.Indents)]
		}
		if i > 0 && cycled(o.Right, i) {
			w += need[i-1] - o.Margin + 2*int(o.Size) // a gap of two font sizes between the columns
		}
		need[i] = w
		o.Width = max(o.Width, w)
	}
	h := 2*o.Margin + rows*step
	img := Blank(o.Width, h)
	page := Page{Name: name, W: o.Width, H: h}
	baseline := o.Margin + int(o.Size)
	for i, text := range lines {
		right := i > 0 && cycled(o.Right, i)
		if i > 0 && !right {
			baseline += step
		}
		bounds, adv := font.BoundString(face, text)
		x := o.Margin
		if len(o.Indents) > 0 {
			x += o.Indents[i%len(o.Indents)]
		}
		if right {
			x = o.Width - o.Margin - adv.Ceil()
		}
		d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face, Dot: fixed.P(x, baseline)}
		d.DrawString(text)
		box := image.Rect(x+bounds.Min.X.Floor(), baseline+bounds.Min.Y.Floor(), x+bounds.Max.X.Ceil(), baseline+bounds.Max.Y.Ceil())
		page.Lines = append(page.Lines, PageLine{Text: text, Box: inkBox(img, box)})
	}
	var out image.Image = img
	if o.Skew != 0 {
		out = skew(img, o.Skew, page.Lines)
	}
	if o.Noise > 0 {
		addNoise(out.(*image.Gray), o.Noise, o.Seed)
	}
	page.Data = encode(out, o.JPEG)
	return page
}

// inkBox narrows r to its dark pixels: glyph bounds reach past the ink.
func inkBox(img *image.Gray, r image.Rectangle) image.Rectangle {
	r = r.Intersect(img.Bounds())
	ink := image.Rectangle{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				ink = ink.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return ink
}

func cycled(b []bool, i int) bool { return len(b) > 0 && b[i%len(b)] }

// skew rotates img by deg degrees about its centre onto white, and moves
// the line boxes to the bounding boxes of their rotated corners.
func skew(img *image.Gray, deg float64, lines []PageLine) *image.Gray {
	b := img.Bounds()
	dst := Blank(b.Dx(), b.Dy())
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	// src → dst: rotate about the centre.
	m := f64.Aff3{c, -s, cx - c*cx + s*cy, s, c, cy - s*cx - c*cy}
	xdraw.BiLinear.Transform(dst, m, img, b, xdraw.Src, nil)
	for i := range lines {
		r := lines[i].Box
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range [][2]float64{{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Max.Y)}, {float64(r.Min.X), float64(r.Max.Y)}} {
			x, y := m[0]*p[0]+m[1]*p[1]+m[2], m[3]*p[0]+m[4]*p[1]+m[5]
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
		lines[i].Box = image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
	}
	return dst
}

func addNoise(img *image.Gray, amount int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	for i, v := range img.Pix {
		img.Pix[i] = uint8(min(max(int(v)+r.IntN(2*amount+1)-amount, 0), 255))
	}
}

func encode(img image.Image, quality int) []byte {
	if quality <= 0 {
		return EncodePNG(img)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(fmt.Sprintf("textimg: encode JPEG: %v", err))
	}
	return buf.Bytes()
}

// Pages renders n varied pages, the same for the same n and seed: 3–8
// corpus lines each, the Go fonts at 22–36 px, varying indents and line
// spacing, two-column rows on some, light noise, every third page JPEG,
// and skews up to ±2.5° on every other page.
func Pages(n int, seed int64) []Page {
	r := rand.New(rand.NewPCG(uint64(seed), 0x7061676573))
	texts := Corpus(n*8, seed)
	out := make([]Page, n)
	next := 0
	for i := range out {
		k := 3 + r.IntN(6)
		lines := texts[next : next+k]
		next += k
		o := PageOptions{
			Font:    Fonts[i%len(Fonts)],
			Size:    float64(22 + r.IntN(15)),
			Width:   640 + 32*r.IntN(8),
			Spacing: 1.5 + r.Float64()*0.8,
			Indents: []int{0, 20 * r.IntN(4), 0, 40 * r.IntN(3)},
			Noise:   4 + r.IntN(8),
			Seed:    uint64(i),
		}
		if i%4 == 1 {
			o.Right = []bool{false, false, true} // every third line shares the row before it
		}
		if i%2 == 1 {
			o.Skew = (r.Float64()*2 - 1) * 2.5
		}
		name := fmt.Sprintf("page-%03d.png", i)
		if i%3 == 2 {
			o.JPEG = 80 + r.IntN(15)
			name = fmt.Sprintf("page-%03d.jpg", i)
		}
		out[i] = RenderPage(name, lines, o)
	}
	return out
}

// Got is one line a reader found on a page.
type Got struct {
	Text string
	Box  [4]int // x0, y0, x1, y1
}

// PageScore compares what was read with a page's truth. A truth line is
// matched by at most one read line with exactly its text.
type PageScore struct {
	Truth, Got, Matched int
	OutOfOrder          int // matched lines read before a line that comes earlier in the page
	BadBoxes            int // matched lines whose box is outside the page or not around the line's ink
}

// Score matches got against the page's lines.
func Score(p Page, got []Got) PageScore {
	s := PageScore{Truth: len(p.Lines), Got: len(got)}
	used := make([]bool, len(got))
	last := -1
	for _, t := range p.Lines {
		for j, g := range got {
			if used[j] || g.Text != t.Text {
				continue
			}
			used[j] = true
			s.Matched++
			if j < last {
				s.OutOfOrder++
			}
			last = max(last, j)
			if !boxAround(p, t.Box, g.Box) {
				s.BadBoxes++
			}
			break
		}
	}
	return s
}

// boxAround: inside the page and around the line's ink: covering at least
// 80% of the ink's box (a detector's box may cut a few pixels of
// anti-aliased edge or descender) and at most 2.5 times its area (it takes in some
// paper, more above capitals-only lines).
func boxAround(p Page, ink image.Rectangle, b [4]int) bool {
	box := image.Rect(b[0], b[1], b[2], b[3])
	if box.Min.X < 0 || box.Min.Y < 0 || box.Max.X > p.W || box.Max.Y > p.H {
		return false
	}
	return area(ink.Intersect(box)) >= 0.8*area(ink) && area(box) <= 2.5*area(ink)
}

func area(r image.Rectangle) float64 { return float64(r.Dx()) * float64(r.Dy()) }

// ReadLines takes the lines of a page output back for Score: from the
// engine itself (ints) or through JSON or DynamoDB (float64s).
func ReadLines(out map[string]any) []Got {
	var got []Got
	lines, _ := out["lines"].([]any)
	for _, l := range lines {
		l, _ := l.(map[string]any)
		g := Got{}
		g.Text, _ = l["text"].(string)
		box, _ := l["box"].([]any)
		for i := 0; i < 4 && i < len(box); i++ {
			switch v := box[i].(type) {
			case int:
				g.Box[i] = v
			case float64:
				g.Box[i] = int(v)
			}
		}
		got = append(got, g)
	}
	return got
}
