package console

import (
	"time"

	"github.com/batchinfer/batchinfer/store"
)

// chart is a stacked bar chart drawn as SVG by the template: the geometry
// is computed here, in the chart's own units (Width × Height).
type chart struct {
	Width, Height float64
	Bars          []bar
	From, To      string
	Max           int
}

type bar struct {
	X, W  float64
	Label string // the bucket's start and its counts, as a tooltip
	Segs  []seg
}

type seg struct {
	Y, H   float64
	Status string // the CSS class: SUCCEEDED, FAILED, IN_PROGRESS
	N      int
}

// statusChart buckets jobs by when their item was last written, n buckets
// from from to to, stacked by status.
func statusChart(recs []store.Record, from, to time.Time, n int) chart {
	c := chart{Width: 720, Height: 160, From: from.Local().Format("Jan 2 15:04"), To: to.Local().Format("Jan 2 15:04")}
	step := to.Sub(from) / time.Duration(n)
	counts := make([]map[store.Status]int, n)
	for i := range counts {
		counts[i] = map[store.Status]int{}
	}
	for _, r := range recs {
		t, err := time.Parse(time.RFC3339Nano, r.UpdatedAt)
		if err != nil || t.Before(from) || step <= 0 {
			continue
		}
		counts[min(int(t.Sub(from)/step), n-1)][r.Status]++
	}
	for _, b := range counts {
		c.Max = max(c.Max, b[store.StatusSucceeded]+b[store.StatusFailed]+b[store.StatusInProgress])
	}
	w := c.Width / float64(n)
	for i, b := range counts {
		br := bar{X: float64(i)*w + 1, W: w - 2, Label: from.Add(time.Duration(i) * step).Local().Format("15:04")}
		y := c.Height
		for _, st := range statuses {
			if b[st] == 0 || c.Max == 0 {
				continue
			}
			h := c.Height * float64(b[st]) / float64(c.Max)
			y -= h
			br.Segs = append(br.Segs, seg{Y: y, H: h, Status: string(st), N: b[st]})
		}
		c.Bars = append(c.Bars, br)
	}
	return c
}
