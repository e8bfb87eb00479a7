package testenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestPrepareOrder(t *testing.T) {
	var log []string
	step := func(name string, fail bool) Step {
		return Step{Name: name, Run: func() (func(), error) {
			log = append(log, "do "+name)
			if fail {
				return nil, errors.New("boom")
			}
			return func() { log = append(log, "undo "+name) }, nil
		}}
	}
	tests := []struct {
		steps   []Step
		wantErr string
		want    string
	}{
		{[]Step{step("a", false), step("b", false)}, "", "do a, do b, undo b, undo a"},
		{[]Step{step("a", false), step("b", true), step("c", false)}, "b: boom", "do a, do b, undo a"},
		{[]Step{{Name: "no undo", Run: func() (func(), error) { return nil, nil }}}, "", ""},
	}
	for _, tt := range tests {
		log = nil
		undo, err := prepare(tt.steps)
		undo()
		if got := strings.Join(log, ", "); got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("ran %q, err %v; want %q, err %q", got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLambdaBinary(t *testing.T) {
	var bin string
	undo, err := prepare([]Step{LambdaBinary("./local/testdata/handler", &bin)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "version", bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), bin) {
		t.Errorf("go version %s: %s %v", bin, out, err)
	}
	undo()
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("%s still there after undo: %v", bin, err)
	}
}
