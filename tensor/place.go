package tensor

import "fmt"

// Place copies src into the region of dst (a slice of src's element type)
// that starts at element at and has shape dstShape, at the region's
// origin: each of src's values keeps its coordinates, and the region's
// other elements keep theirs (the padding a batch was filled with). With
// equal shapes it is a plain copy. It panics if src does not fit: another
// rank or element type, a larger dim, data that does not match its shape.
func Place(dst any, at int, dstShape []int64, src Tensor) {
	kindOf(DTypeOf(dst)).place(dst, at, dstShape, src)
}

// placeRow copies src (of shape srcShape) into dst (of shape dstShape) at
// the origin. It copies in the largest contiguous blocks the two layouts
// share: everything from the innermost dim that differs inward is
// contiguous in both, so a [3,48,W] row padded to [3,48,Wmax] is 144
// copies of W values.
func placeRow[T Elem](dst []T, dstShape, srcShape []int64, src []T) {
	if len(srcShape) != len(dstShape) {
		panic(fmt.Sprintf("tensor: place shape %v into region shape %v: ranks differ", srcShape, dstShape))
	}
	last := -1 // innermost dim where the shapes differ
	for d := range dstShape {
		if srcShape[d] > dstShape[d] {
			panic(fmt.Sprintf("tensor: place shape %v into region shape %v: it is larger", srcShape, dstShape))
		}
		if srcShape[d] != dstShape[d] {
			last = d
		}
	}
	if last < 0 {
		copy(dst, src)
		return
	}
	block := int(Elements(srcShape[last:]))
	// dstStride[d] is the distance in dst between consecutive indexes of dim d.
	dstStride := make([]int, last)
	stride := int(Elements(dstShape[last:]))
	for d := last - 1; d >= 0; d-- {
		dstStride[d] = stride
		stride *= int(dstShape[d])
	}
	blocks := int(Elements(srcShape[:last]))
	idx := make([]int, last) // odometer over the outer dims of src
	dstOff := 0
	for b := range blocks {
		copy(dst[dstOff:dstOff+block], src[b*block:(b+1)*block])
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			dstOff += dstStride[d]
			if idx[d] < int(srcShape[d]) {
				break
			}
			dstOff -= idx[d] * dstStride[d]
			idx[d] = 0
		}
	}
}
