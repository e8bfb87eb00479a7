package batching

import (
	"cmp"
	"slices"

	"github.com/batchinfer/batchinfer/tensor"
)

// Tensor is the shared tensor type: rows, batches and outputs are all
// tensor.Tensor, so model and batching pass them without converting.
type Tensor = tensor.Tensor

// Row is one input's tensors, one per model input in the model's input
// order, none with a batch dim. A single-input model's row has one.
type Row []Tensor

// Limits bound the packs PlanRows makes.
type Limits struct {
	MaxBatch int   // rows per run (≥1; smaller values count as 1)
	MaxBytes int64 // cap on a pack's input bytes, all inputs together (0 = none); a row bigger than the cap still runs alone
	// MaxTokens caps rows × the padded elements of a row's first input
	// (0 = none): for a text model, the token budget of one run, so one
	// long text does not make a run of many short ones expensive.
	MaxTokens int64
	PadValue  float32 // value written into padding of inputs PadValues does not cover
	// PadValues[k] is input k's pad value, converted to its dtype (e.g.
	// the tokenizer's pad id for input_ids, 0 for attention_mask).
	PadValues   []float64
	PadMultiple int     // dims that vary across rows are padded up to a multiple of this (0/1 = exact max)
	MaxPadWaste float64 // e.g. 0.25: start a new pack rather than let padding exceed this fraction of a pack's elements (0 = default 0.25, negative = none)
}

// DefaultMaxPadWaste is the padding fraction PlanRows tolerates when
// Limits.MaxPadWaste is zero.
const DefaultMaxPadWaste = 0.25

// Pack is one planned run: the indexes of its rows (into the slice given
// to PlanRows) and the padded batch shape of each input, whose leading dim is
// len(Rows).
type Pack struct {
	Rows   []int
	Shapes [][]int64
}

// padValue is input k's pad value.
func (l Limits) padValue(k int) float64 {
	if k < len(l.PadValues) {
		return l.PadValues[k]
	}
	return float64(l.PadValue)
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
	l.MaxBytes = max(l.MaxBytes, 0)
	l.MaxTokens = max(l.MaxTokens, 0)
	return l
}

// group is the rows of one signature (input count, each input's rank and
// dtype), with the dims that vary among them, per input.
type group struct {
	rows     []int
	variable [][]bool
}

// plannedPack is a Pack plus its group's variable dims, which Run needs to
// reshape the halves of a pack it bisects.
type plannedPack struct {
	Pack
	variable [][]bool
}

// PlanRows groups rows whose inputs have equal ranks and dtypes; within a
// group, dims that differ between rows are padded and the others stay
// fixed. Each group is sorted by row size so that similar rows share a
// pack, and packs are cut at lim.MaxBatch rows, at lim.MaxBytes, at
// lim.MaxTokens and where padding would exceed lim.MaxPadWaste. Packs come
// out group by group (groups in order of their first row), smallest rows
// first. Rows whose data does not match their shape are left out of every
// pack (Run reports them as errors).
func PlanRows(rows []Row, lim Limits) []Pack {
	planned, _ := plan(rows, lim.normalized(), nil)
	packs := make([]Pack, len(planned))
	for i, p := range planned {
		packs[i] = p.Pack
	}
	return packs
}

// asRows views single tensors as one-input rows, with one allocation.
func asRows(ts []Tensor) []Row {
	rows := make([]Row, len(ts))
	for i := range ts {
		rows[i] = Row(ts[i : i+1 : i+1])
	}
	return rows
}

// plan is PlanRows for limits already normalized (normalizing twice would
// turn a negative MaxPadWaste into the default). valid[i] says whether
// row i passed checkRow (nil: plan checks). It also returns each row's
// element count, all inputs together.
func plan(rows []Row, lim Limits, valid []bool) ([]plannedPack, []int64) {
	if valid == nil {
		valid = make([]bool, len(rows))
		for i, r := range rows {
			valid[i] = checkRow(r) == nil
		}
	}
	sizes := make([]int64, len(rows))
	for i, r := range rows {
		if valid[i] {
			for _, t := range r {
				sizes[i] += int64(t.Len())
			}
		}
	}
	var packs []plannedPack
	for _, g := range groupBySignature(rows, valid) {
		sortBySize(rows, sizes, g.rows)
		packs = append(packs, packGroup(rows, g, lim)...)
	}
	return packs, sizes
}

// checkRow reports why a row cannot be packed, or nil.
func checkRow(r Row) error {
	if len(r) == 0 {
		return errNoInputs
	}
	for k, t := range r {
		if err := t.Check(); err != nil {
			if len(r) == 1 {
				return err
			}
			return &inputError{k: k, err: err}
		}
	}
	return nil
}

// signature tells groups apart without allocating for rows of up to
// eight inputs: input count, then each input's rank and dtype.
type signature struct {
	n    int
	head [16]byte
	tail string
}

func signatureOf(r Row) signature {
	s := signature{n: len(r)}
	for k, t := range r {
		if k < 8 {
			s.head[2*k], s.head[2*k+1] = byte(len(t.Shape)), byte(t.DType())
		} else {
			s.tail += string([]byte{byte(len(t.Shape)), byte(t.DType())})
		}
	}
	return s
}

// groupBySignature returns the valid rows grouped by signature, in order
// of each group's first row.
func groupBySignature(rows []Row, valid []bool) []group {
	var groups []group
	bySig := map[signature]int{}
	var lastSig signature
	last := -1
	for i, r := range rows {
		if !valid[i] {
			continue
		}
		// Rows of one call nearly always share one signature: compare with
		// the last row's before hashing a map key.
		sig := signatureOf(r)
		gi, ok := last, last >= 0 && sig == lastSig
		if !ok {
			gi, ok = bySig[sig]
		}
		lastSig, last = sig, gi
		if !ok {
			gi = len(groups)
			bySig[sig] = gi
			variable := make([][]bool, len(r))
			for k, t := range r {
				variable[k] = make([]bool, len(t.Shape))
			}
			groups = append(groups, group{variable: variable})
			lastSig, last = sig, gi
		}
		g := &groups[gi]
		if len(g.rows) > 0 {
			first := rows[g.rows[0]]
			for k, t := range r {
				for d, size := range first[k].Shape {
					if t.Shape[d] != size {
						g.variable[k][d] = true
					}
				}
			}
		}
		g.rows = append(g.rows, i)
	}
	return groups
}

// sortBySize orders idx by element count, then dims, then index, so the
// order is deterministic and rows of one width sit together.
func sortBySize(rows []Row, sizes []int64, idx []int) {
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(sizes[a], sizes[b]); c != 0 {
			return c
		}
		for k := range rows[a] {
			if c := slices.Compare(rows[a][k].Shape, rows[b][k].Shape); c != 0 {
				return c
			}
		}
		return cmp.Compare(a, b)
	})
}

// packer cuts one sorted group greedily: a row joins the open pack unless
// that would break MaxBatch, MaxBytes, MaxTokens or MaxPadWaste.
//
// Padding waste is measured against each row's own bucketed shape, not its
// exact shape: rounding to PadMultiple is padding the caller asked for and
// would be paid even by a row running alone, so only the padding that
// comes from sharing a pack with bigger rows counts against MaxPadWaste.
type packer struct {
	rows     []Row
	g        group
	lim      Limits
	sizes    []int64 // bytes per element of each input
	packs    []plannedPack
	cur      []int
	maxDims  [][]int64
	ownTotal int64 // sum of each row's own bucketed element count
}

func packGroup(rows []Row, g group, lim Limits) []plannedPack {
	p := &packer{rows: rows, g: g, lim: lim}
	for _, t := range rows[g.rows[0]] {
		p.sizes = append(p.sizes, int64(t.DType().Size()))
	}
	for _, i := range g.rows {
		p.add(i)
	}
	p.flush()
	return p.packs
}

func (p *packer) add(i int) {
	r := p.rows[i]
	var own int64
	for k, t := range r {
		own += bucketedElements(t.Shape, nil, p.g.variable[k], p.lim.PadMultiple)
	}
	if len(p.cur) > 0 && !p.fits(r, own) {
		p.flush()
	}
	if len(p.cur) == 0 {
		p.maxDims = make([][]int64, len(r))
		for k, t := range r {
			p.maxDims[k] = slices.Clone(t.Shape)
		}
	} else {
		for k, t := range r {
			maxInto(p.maxDims[k], t.Shape)
		}
	}
	p.cur = append(p.cur, i)
	p.ownTotal += own
}

// fits reports whether row r (own: its bucketed element count) may join
// the open pack.
func (p *packer) fits(r Row, own int64) bool {
	n := int64(len(p.cur) + 1)
	if n > int64(p.lim.MaxBatch) {
		return false
	}
	var perRow, perRowBytes, tokens int64
	for k, t := range r {
		e := bucketedElements(p.maxDims[k], t.Shape, p.g.variable[k], p.lim.PadMultiple)
		perRow += e
		perRowBytes += e * p.sizes[k]
		if k == 0 {
			tokens = e
		}
	}
	total := n * perRow
	return (p.lim.MaxBytes == 0 || n*perRowBytes <= p.lim.MaxBytes) &&
		(p.lim.MaxTokens == 0 || n*tokens <= p.lim.MaxTokens) &&
		(total == 0 || 1-float64(p.ownTotal+own)/float64(total) <= p.lim.MaxPadWaste)
}

func (p *packer) flush() {
	if len(p.cur) == 0 {
		return
	}
	shapes := make([][]int64, len(p.maxDims))
	for k, dims := range p.maxDims {
		shapes[k] = append([]int64{int64(len(p.cur))}, bucket(dims, p.g.variable[k], p.lim.PadMultiple)...)
	}
	p.packs = append(p.packs, plannedPack{Pack: Pack{Rows: p.cur, Shapes: shapes}, variable: p.g.variable})
	p.cur, p.maxDims, p.ownTotal = nil, nil, 0
}

// bucketedElements is the element count of the dim-wise max of a and b
// (b may be nil: a alone) with the variable dims bucketed: what
// tensor.Elements of the bucketed dim-wise max is, without allocating.
func bucketedElements(a, b []int64, variable []bool, m int) int64 {
	n := int64(1)
	for d, v := range a {
		if b != nil {
			v = max(v, b[d])
		}
		if m > 1 && variable[d] {
			v = roundUp(v, int64(m))
		}
		n *= v
	}
	return n
}

func maxInto(dst, b []int64) {
	for d := range dst {
		dst[d] = max(dst[d], b[d])
	}
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

// shapesOf is the padded batch shape of each input for the given rows:
// leading N, then the dim-wise max of the rows with variable dims bucketed.
func shapesOf(rows []Row, idx []int, variable [][]bool, m int) [][]int64 {
	shapes := make([][]int64, len(variable))
	for k := range variable {
		dims := slices.Clone(rows[idx[0]][k].Shape)
		for _, i := range idx[1:] {
			maxInto(dims, rows[i][k].Shape)
		}
		shapes[k] = append([]int64{int64(len(idx))}, bucket(dims, variable[k], m)...)
	}
	return shapes
}
