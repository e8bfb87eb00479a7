package model

import (
	"fmt"
	"path/filepath"
)

// ReadManifest reads and validates a complete dir/manifest.json without
// loading the model: for tools that need only its declared inputs. A
// folder without one (or with one that only overrides) is read by
// Inspect.
func ReadManifest(dir string) (Manifest, error) {
	m, found, err := readManifest(dir)
	if err != nil {
		return m, err
	}
	path := filepath.Join(dir, "manifest.json")
	if !found {
		return m, fmt.Errorf("read manifest: %s does not exist", path)
	}
	if err := m.validate(); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}
