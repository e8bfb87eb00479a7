package model

// ReadManifest reads and validates dir/manifest.json without loading the
// model: for tools that need only its declared inputs.
func ReadManifest(dir string) (Manifest, error) { return readManifest(dir) }
