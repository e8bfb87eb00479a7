package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

// modelDirWith builds a model folder in t.TempDir(): the real model's files
// symlinked, and its manifest passed through edit.
func modelDirWith(t testing.TB, name string, edit func(*Manifest)) string {
	t.Helper()
	src := testenv.ModelDir(t, name)
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "manifest.json" {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	man, err := ReadManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	edit(&man)
	raw, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
