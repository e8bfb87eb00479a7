package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// onnxFile is what Inspect reads from a .onnx file itself, in one pass:
// its content hash and the custom metadata its exporter wrote.
type onnxFile struct {
	// hash is the version of a model folder whose manifest names none:
	// the first 12 hex digits of the SHA-256 of the .onnx file's bytes
	// (and of its external-data file, FILE_data or FILE.data, when one
	// sits beside it), so a new export is a new version and reprocessing
	// sees it.
	hash     string
	metadata map[string]string // ModelProto.metadata_props
}

// readONNX hashes the file and reads its metadata.
func readONNX(path string) (*onnxFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	h := sha256.New()
	h.Write(raw)
	for _, ext := range []string{"_data", ".data"} {
		if err := hashFile(h, path+ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	meta, err := onnxMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &onnxFile{hash: hex.EncodeToString(h.Sum(nil))[:12], metadata: meta}, nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("hash %s: %w", path, err)
	}
	return nil
}

// onnxMetadata reads ModelProto.metadata_props (field 14: repeated
// StringStringEntryProto {key = 1, value = 2}) by walking the top level of
// the protobuf wire format; every other field, the graph included, is
// skipped by its length. ONNX Runtime reads the same map
// (ort.GetModelMetadata) but only by creating one more session, which for
// a large model costs more than the whole walk.
func onnxMetadata(b []byte) (map[string]string, error) {
	meta := map[string]string{}
	for len(b) > 0 {
		field, wire, val, rest, err := protoField(b)
		if err != nil {
			return nil, fmt.Errorf("not an ONNX model file: %w", err)
		}
		b = rest
		if field != 14 || wire != 2 {
			continue
		}
		var key, value string
		for e := val; len(e) > 0; {
			f, w, v, r, err := protoField(e)
			if err != nil {
				return nil, fmt.Errorf("metadata entry: %w", err)
			}
			e = r
			switch {
			case f == 1 && w == 2:
				key = string(v)
			case f == 2 && w == 2:
				value = string(v)
			}
		}
		meta[key] = value
	}
	return meta, nil
}

// protoField reads one field: its number, wire type, its bytes (for
// length-delimited fields) and what follows it.
func protoField(b []byte) (field int, wire int, val, rest []byte, err error) {
	tag, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, 0, nil, nil, errors.New("bad field tag")
	}
	b = b[n:]
	field, wire = int(tag>>3), int(tag&7)
	switch wire {
	case 0: // varint
		_, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, 0, nil, nil, errors.New("bad varint")
		}
		return field, wire, nil, b[n:], nil
	case 1: // 64-bit
		if len(b) < 8 {
			return 0, 0, nil, nil, errors.New("truncated fixed64")
		}
		return field, wire, nil, b[8:], nil
	case 2: // length-delimited
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return 0, 0, nil, nil, errors.New("truncated length-delimited field")
		}
		end := n + int(l)
		return field, wire, b[n:end], b[end:], nil
	case 5: // 32-bit
		if len(b) < 4 {
			return 0, 0, nil, nil, errors.New("truncated fixed32")
		}
		return field, wire, nil, b[4:], nil
	}
	return 0, 0, nil, nil, fmt.Errorf("wire type %d", wire)
}
