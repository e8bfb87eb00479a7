package modelenv

import (
	"strings"
	"testing"

	"github.com/batchinfer/batchinfer/model"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		names   []string
		want    []string // model names, in order
		wantErr string
	}{
		{names: []string{"iris-rf", "ppocr-cls"}, want: []string{"iris-rf", "ppocr-cls"}},
		{names: []string{"iris-rf", "no-such-model"}, wantErr: "no-such-model"},
	}
	for _, tt := range tests {
		var got []*model.Model
		undo, err := Load(&got, model.Options{IntraOpThreads: 1}, tt.names...).Run()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(got) != 0 {
				t.Errorf("Load(%v): %d models, %v; want none and an error naming %s", tt.names, len(got), err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Load(%v): %v", tt.names, err)
		}
		var names []string
		for _, m := range got {
			names = append(names, m.Name())
		}
		if strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("loaded %v, want %v", names, tt.want)
		}
		undo()
	}
}
