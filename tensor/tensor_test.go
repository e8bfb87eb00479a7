package tensor

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

func TestDTypeNamesRoundTrip(t *testing.T) {
	all := []DType{Float32, Float64, Int64, Int32, Int8, Uint8, Bool}
	sizes := []int{4, 8, 8, 4, 1, 1, 1}
	for i, d := range all {
		got, ok := ParseDType(d.String())
		if !ok || got != d {
			t.Fatalf("ParseDType(%q) = %v, %v", d.String(), got, ok)
		}
		if d.Size() != sizes[i] {
			t.Fatalf("%s size %d, want %d", d, d.Size(), sizes[i])
		}
		if DTypeOf(Make(d, 2)) != d {
			t.Fatalf("Make(%s) is %T", d, Make(d, 2))
		}
	}
	for _, bad := range []string{"", "invalid", "float16", "string", "FP32"} {
		if _, ok := ParseDType(bad); ok {
			t.Fatalf("ParseDType(%q) accepted", bad)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		t    Tensor
		want string // "" = valid
	}{
		{"float32 matrix", New([]int64{2, 2}, []float32{1, 2, 3, 4}), ""},
		{"bool scalar", New(nil, []bool{true}), ""},
		{"empty dim", New([]int64{0, 3}, []int64{}), ""},
		{"too few values", New([]int64{2, 2}, []int32{1}), "holds 4 elements, data has 1"},
		{"negative dim", New([]int64{-1}, []uint8{1}), "negative"},
		{"nil data", Tensor{Shape: []int64{1}}, "not a slice"},
		{"int data", Tensor{Shape: []int64{1}, Data: []int{1}}, "not a slice"},
		{"float16 bits", Tensor{Shape: []int64{1}, Data: []uint16{1}}, "not a slice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testenv.WantError(t, tc.t.Check(), tc.want)
		})
	}
}

func TestAsFloat32(t *testing.T) {
	tests := []struct {
		t    Tensor
		want string
	}{
		{New([]int64{2}, []float64{1.5, -2}), "[1.5 -2]"},
		{New([]int64{2}, []int64{3, -4}), "[3 -4]"},
		{New([]int64{2}, []int8{-128, 127}), "[-128 127]"},
		{New([]int64{2}, []uint8{0, 255}), "[0 255]"},
		{New([]int64{2}, []bool{true, false}), "[1 0]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(AsFloat32(tc.t)); got != tc.want {
			t.Fatalf("AsFloat32(%v) = %s, want %s", tc.t.Data, got, tc.want)
		}
	}
	f := []float32{1, 2}
	if &AsFloat32(New([]int64{2}, f))[0] != &f[0] {
		t.Fatal("AsFloat32 copied float32 data")
	}
}

func TestSplitRowsAreCapacityLimited(t *testing.T) {
	data := []int64{1, 2, 3, 4}
	first := SplitRows(data, 2)[0].([]int64)
	_ = append(first, 99)
	if data[2] != 3 {
		t.Fatalf("append to a slice spilled into its neighbour: %v", data)
	}
}

func TestFill(t *testing.T) {
	for _, d := range []DType{Float32, Float64, Int64, Int32, Int8, Uint8, Bool} {
		data := Make(d, 3)
		Fill(data, 1)
		want := "[1 1 1]"
		if d == Bool {
			want = "[true true true]"
		}
		if got := fmt.Sprint(data); got != want {
			t.Fatalf("%s: %s, want %s", d, got, want)
		}
	}
}

func TestSplitRows(t *testing.T) {
	for _, data := range []any{[]float32{1, 2, 3, 4, 5, 6}, []int64{1, 2, 3, 4, 5, 6}, []bool{true, false, true, true, false, false}, []uint8{1, 2, 3, 4, 5, 6}} {
		rows := SplitRows(data, 3)
		if len(rows) != 3 {
			t.Fatalf("%d rows", len(rows))
		}
		for i, r := range rows {
			if want := fmt.Sprint(reflect.ValueOf(data).Slice(2*i, 2*i+2)); fmt.Sprint(r) != want || DTypeOf(r) != DTypeOf(data) {
				t.Fatalf("row %d of %T: %v (%T), want %s", i, data, r, r, want)
			}
		}
	}
	rows := SplitRows([]float32{1, 2, 3, 4}, 2)
	first := rows[0].([]float32)
	if cap(first) != 2 {
		t.Fatalf("row capacity %d, want 2", cap(first))
	}
	_ = append(first, 99)
	if rows[1].([]float32)[0] != 3 {
		t.Fatal("an append to row 0 spilled into row 1")
	}
	if len(SplitRows([]int32{}, 0)) != 0 || SplitRows([]int{1}, 1) != nil {
		t.Fatal("empty or foreign data")
	}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		name   string
		dst    any
		at     int
		region []int64
		src    Tensor
		want   string
	}{
		{"pad the last dim", []float32{9, 9, 9, 9, 9, 9, 9}, 1, []int64{2, 3}, New([]int64{2, 2}, []float32{1, 2, 3, 4}), "[9 1 2 9 3 4 9]"},
		{"pad an outer dim", []int64{0, 0, 0, 0}, 0, []int64{2, 2}, New([]int64{1, 2}, []int64{5, 6}), "[5 6 0 0]"},
		{"equal shapes copy", []bool{false, false, false}, 1, []int64{2}, New([]int64{2}, []bool{true, true}), "[false true true]"},
		{"inner and outer dims", []uint8{0, 0, 0, 0, 0, 0, 0, 0}, 0, []int64{2, 2, 2}, New([]int64{2, 1, 1}, []uint8{7, 8}), "[7 0 0 0 8 0 0 0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Place(tc.dst, tc.at, tc.region, tc.src)
			if got := fmt.Sprint(tc.dst); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPlacePanicsOnMisfit(t *testing.T) {
	for name, src := range map[string]Tensor{
		"larger":     New([]int64{3}, []float32{1, 2, 3}),
		"other rank": New([]int64{1, 2}, []float32{1, 2}),
		"other type": New([]int64{2}, []int64{1, 2}),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Place(make([]float32, 2), 0, []int64{2}, src)
		})
	}
}
