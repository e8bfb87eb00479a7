package batching

import (
	"cmp"
	"slices"
)

// Limits bound the packs Plan makes.
type Limits struct {
	MaxBatch    int     // rows per run (≥1; smaller values count as 1)
	MaxBytes    int64   // cap on a packed batch tensor's bytes (0 = none); a row bigger than the cap still runs alone
	PadValue    float32 // value written into padding
	PadMultiple int     // dims that vary across rows are padded up to a multiple of this (0/1 = exact max)
	MaxPadWaste float64 // e.g. 0.25: start a new pack rather than let padding exceed this fraction of a pack's elements (0 = default 0.25, negative = none)
}

// DefaultMaxPadWaste is the padding fraction Plan tolerates when
// Limits.MaxPadWaste is zero.
const DefaultMaxPadWaste = 0.25

// Pack is one planned run: the indexes of its rows (into the slice given
// to Plan) and the padded batch shape, whose leading dim is len(Rows).
type Pack struct {
	Rows  []int
	Shape []int64
}

// normalized fills in defaults so the packing code needs no special cases.
func (l Limits) normalized() Limits {
	if l.MaxBatch < 1 {
		l.MaxBatch = 1
	}
	if l.PadMultiple < 1 {
		l.PadMultiple = 1
	}
	switch {
	case l.MaxPadWaste == 0:
		l.MaxPadWaste = DefaultMaxPadWaste
	case l.MaxPadWaste < 0:
		l.MaxPadWaste = 0
	}
	if l.MaxBytes < 0 {
		l.MaxBytes = 0
	}
	return l
}

// group is the rows of one rank, with the dims that vary among them.
type group struct {
	rows     []int
	variable []bool
}

// plannedPack is a Pack plus its group's variable dims, which Run needs to
// reshape the halves of a pack it bisects.
type plannedPack struct {
	Pack
	variable []bool
}

// Plan groups rows of equal rank; within a group, dims that differ between
// rows are padded and the others stay fixed. Each group is sorted by row
// size so that similar rows share a pack, and packs are cut at
// lim.MaxBatch rows, at lim.MaxBytes, and where padding would exceed
// lim.MaxPadWaste. Packs come out group by group (groups in order of
// their first row), smallest rows first. Rows whose data does not match
// their shape are left out of every pack (Run reports them as errors).
func Plan(rows []Tensor, lim Limits) []Pack {
	planned := plan(rows, lim.normalized())
	packs := make([]Pack, len(planned))
	for i, p := range planned {
		packs[i] = p.Pack
	}
	return packs
}

// plan is Plan for limits already normalized (normalizing twice would
// turn a negative MaxPadWaste into the default).
func plan(rows []Tensor, lim Limits) []plannedPack {
	var packs []plannedPack
	for _, g := range groupByRank(rows) {
		sortBySize(rows, g.rows)
		packs = append(packs, packGroup(rows, g, lim)...)
	}
	return packs
}

// groupByRank returns the valid rows grouped by rank, in order of each
// group's first row.
func groupByRank(rows []Tensor) []group {
	var groups []group
	byRank := map[int]int{}
	for i, r := range rows {
		if r.check() != nil {
			continue
		}
		gi, ok := byRank[len(r.Shape)]
		if !ok {
			gi = len(groups)
			byRank[len(r.Shape)] = gi
			groups = append(groups, group{variable: make([]bool, len(r.Shape))})
		}
		g := &groups[gi]
		if len(g.rows) > 0 {
			first := rows[g.rows[0]].Shape
			for d := range first {
				if r.Shape[d] != first[d] {
					g.variable[d] = true
				}
			}
		}
		g.rows = append(g.rows, i)
	}
	return groups
}

// sortBySize orders idx by element count, then dims, then index, so the
// order is deterministic and rows of one width sit together.
func sortBySize(rows []Tensor, idx []int) {
	slices.SortFunc(idx, func(a, b int) int {
		ra, rb := rows[a], rows[b]
		if c := cmp.Compare(len(ra.Data), len(rb.Data)); c != 0 {
			return c
		}
		if c := slices.Compare(ra.Shape, rb.Shape); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

// packGroup cuts one sorted group greedily: a row joins the open pack
// unless that would break MaxBatch, MaxBytes or MaxPadWaste.
//
// Padding waste is measured against each row's own bucketed shape, not its
// exact shape: rounding to PadMultiple is padding the caller asked for and
// would be paid even by a row running alone, so only the padding that
// comes from sharing a pack with bigger rows counts against MaxPadWaste.
func packGroup(rows []Tensor, g group, lim Limits) []plannedPack {
	var packs []plannedPack
	var (
		cur      []int
		maxDims  []int64
		ownTotal int64 // sum of each row's own bucketed element count
	)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		shape := append([]int64{int64(len(cur))}, bucket(maxDims, g.variable, lim.PadMultiple)...)
		packs = append(packs, plannedPack{Pack: Pack{Rows: cur, Shape: shape}, variable: g.variable})
		cur, maxDims, ownTotal = nil, nil, 0
	}
	for _, i := range g.rows {
		dims := rows[i].Shape
		own := elements(bucket(dims, g.variable, lim.PadMultiple))
		if len(cur) > 0 {
			grown := maxOf(maxDims, dims)
			perRow := elements(bucket(grown, g.variable, lim.PadMultiple))
			n := int64(len(cur) + 1)
			total := n * perRow
			fits := len(cur) < lim.MaxBatch &&
				(lim.MaxBytes == 0 || total*bytesPerElement <= lim.MaxBytes) &&
				(total == 0 || 1-float64(ownTotal+own)/float64(total) <= lim.MaxPadWaste)
			if !fits {
				flush()
			}
		}
		if len(cur) == 0 {
			maxDims = slices.Clone(dims)
		} else {
			maxDims = maxOf(maxDims, dims)
		}
		cur = append(cur, i)
		ownTotal += own
	}
	flush()
	return packs
}

// maxOf is the dim-wise maximum of two shapes of equal rank.
func maxOf(a, b []int64) []int64 {
	out := make([]int64, len(a))
	for d := range a {
		out[d] = max(a[d], b[d])
	}
	return out
}

// bucket rounds the variable dims up to a multiple of m; fixed dims are
// never rounded (a channel count of 3 must stay 3).
func bucket(dims []int64, variable []bool, m int) []int64 {
	out := slices.Clone(dims)
	if m <= 1 {
		return out
	}
	for d := range out {
		if variable[d] {
			out[d] = roundUp(out[d], int64(m))
		}
	}
	return out
}

func roundUp(v, m int64) int64 {
	return (v + m - 1) / m * m
}

// shapeOf is the padded batch shape for the given rows: leading N, then
// the dim-wise max of the rows with variable dims bucketed.
func shapeOf(rows []Tensor, idx []int, variable []bool, m int) []int64 {
	dims := slices.Clone(rows[idx[0]].Shape)
	for _, i := range idx[1:] {
		dims = maxOf(dims, rows[i].Shape)
	}
	return append([]int64{int64(len(idx))}, bucket(dims, variable, m)...)
}
