package model

import "testing"

func TestDetSize(t *testing.T) {
	c := &detCodec{maxSide: 960, multiple: 32}
	for _, tc := range []struct{ w, h, ww, wh int }{
		{720, 400, 736, 416},   // under the cap: each side rounded to the nearest 32, halves up
		{1920, 1080, 960, 544}, // longer side capped at 960, ratio kept
		{10, 10, 32, 32},       // never below one multiple
		{1000, 3000, 320, 960},
	} {
		if w, h := c.size(tc.w, tc.h); w != tc.ww || h != tc.wh {
			t.Errorf("size(%d, %d) = %d×%d, want %d×%d", tc.w, tc.h, w, h, tc.ww, tc.wh)
		}
	}
}
