package model

import (
	"slices"
	"testing"
)

var fastSeeds = []string{
	`{"features": [5.1, 3.5, 1.4, 0.2]}`,
	` { "features" : [ -0.5e+2 , 3 , 1E-3 , 0 ] } `,
	"{\"features\":[1,2,3,4]}\n",
	`{"features": [5.1, 3.5, 1.4]}`,
	`{"features": [5.1, 3.5, 1.4, 0.2, 9]}`,
	`{"features": [5.1, "NaN", 1.4, 0.2]}`,
	`{"features": [01, 2, 3, 4]}`,
	`{"features": [1., 2, 3, 4]}`,
	`{"features": [+1, 2, 3, 4]}`,
	`{"features": [1e39, 2, 3, 4]}`,
	`{"features": [1, 2, 3, 4], "id": 7}`,
	`{"features": [1, 2, 3, 4]} x`,
	`{"features": {"sepal_length": 1}}`,
	`{"featuresX": [1, 2, 3, 4]}`,
}

// The fast path must never accept what the general parser rejects, nor
// read a different row.
func TestTabularFastPathAgreesWithJSON(t *testing.T) {
	c := load(t, "iris-rf").pre.(*tabularCodec)
	accepted := 0
	for _, s := range fastSeeds {
		if checkFastPath(t, c, []byte(s)) {
			accepted++
		}
	}
	if accepted != 3 {
		t.Errorf("fast path took %d of the seeds, want the 3 plain ones", accepted)
	}
}

func FuzzTabularFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	c := load(f, "iris-rf").pre.(*tabularCodec)
	f.Fuzz(func(t *testing.T, data []byte) { checkFastPath(t, c, data) })
}

func checkFastPath(t *testing.T, c *tabularCodec, data []byte) bool {
	t.Helper()
	fast := make([]float32, len(c.names))
	if !fastFeatureList(data, fast) {
		return false
	}
	slow, err := c.parse(data, make([]float32, len(c.names)))
	if err != nil {
		t.Fatalf("%q: fast path accepted, general parser says %v", data, err)
	}
	if !slices.Equal(fast, slow.Float32()) {
		t.Fatalf("%q: fast %v, general %v", data, fast, slow.Data)
	}
	return true
}
