package textimg

import (
	"bytes"
	"image"
	"testing"
)

func TestPagesAreDeterministicAndHoldTheirLines(t *testing.T) {
	a, b := Pages(8, 3), Pages(8, 3)
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("page %d differs between two calls", i)
		}
		p := a[i]
		if n := len(p.Lines); n < 3 || n > 8 {
			t.Errorf("%s has %d lines", p.Name, n)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(p.Data))
		if err != nil || cfg.Width != p.W || cfg.Height != p.H {
			t.Fatalf("%s: %v %dx%d, page says %dx%d", p.Name, err, cfg.Width, cfg.Height, p.W, p.H)
		}
		for _, l := range p.Lines {
			if l.Box.Empty() || !l.Box.In(image.Rect(0, 0, p.W, p.H)) {
				t.Errorf("%s: line %q box %v is empty or off the page", p.Name, l.Text, l.Box)
			}
		}
	}
}

func TestScore(t *testing.T) {
	p := Page{W: 400, H: 200, Lines: []PageLine{
		{"first line", image.Rect(10, 10, 110, 30)},
		{"second", image.Rect(10, 50, 90, 70)},
		{"third", image.Rect(200, 50, 260, 70)},
	}}
	for _, tc := range []struct {
		name string
		got  []Got
		want PageScore
	}{
		{"all right", []Got{{"first line", [4]int{8, 8, 112, 32}}, {"second", [4]int{8, 48, 92, 72}}, {"third", [4]int{198, 48, 262, 72}}},
			PageScore{Truth: 3, Got: 3, Matched: 3}},
		{"out of order", []Got{{"second", [4]int{8, 48, 92, 72}}, {"first line", [4]int{8, 8, 112, 32}}},
			PageScore{Truth: 3, Got: 2, Matched: 2, OutOfOrder: 1}},
		{"box off its text", []Got{{"first line", [4]int{8, 100, 112, 132}}, {"third", [4]int{198, 48, 401, 72}}},
			PageScore{Truth: 3, Got: 2, Matched: 2, BadBoxes: 2}},
		{"misread and duplicated", []Got{{"first 1ine", [4]int{8, 8, 112, 32}}, {"second", [4]int{8, 48, 92, 72}}, {"second", [4]int{8, 48, 92, 72}}},
			PageScore{Truth: 3, Got: 3, Matched: 1}},
	} {
		if s := Score(p, tc.got); s != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, s, tc.want)
		}
	}
}

func TestReadLines(t *testing.T) {
	out := map[string]any{"lines": []any{
		map[string]any{"text": "a", "box": []any{1, 2, 3, 4}},
		map[string]any{"text": "b", "box": []any{5.0, 6.0, 7.0, 8.0}},
	}}
	got := ReadLines(out)
	if len(got) != 2 || got[0] != (Got{"a", [4]int{1, 2, 3, 4}}) || got[1] != (Got{"b", [4]int{5, 6, 7, 8}}) {
		t.Fatalf("ReadLines: %+v", got)
	}
	if ReadLines(map[string]any{}) != nil {
		t.Fatal("no lines should read as none")
	}
}
