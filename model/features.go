package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
)

// FeatureSource is a manifest's "feature_source": a DynamoDB table whose
// item, keyed by a job's entity, holds some of the model's features.
type FeatureSource struct {
	Table    string             `json:"table"`
	Key      string             `json:"key"`      // the table's partition key attribute
	Features []string           `json:"features"` // the features the table holds
	Defaults map[string]float64 `json:"defaults,omitempty"`
}

func (fs *FeatureSource) validate() error {
	if fs == nil {
		return nil
	}
	if fs.Table == "" || fs.Key == "" || len(fs.Features) == 0 {
		return fmt.Errorf("feature_source needs table, key and features")
	}
	return nil
}

// FeatureSource is the model's feature source; nil when it has none.
func (m *Model) FeatureSource() *FeatureSource { return m.manifest.FeatureSource }

// Reuse tells whether the manifest opts into reusing stored results.
func (m *Model) Reuse() bool { return m.manifest.Reuse }

// MergeFeatures joins an entity's stored features into a tabular input
// ({"features": {...}} or an array in the manifest's feature order): by
// name, the input's own values win. found is false when the entity is not
// in the table: then the defaults stand in, and without defaults the
// input fails features_missing, as does a feature neither side has.
func (m *Model) MergeFeatures(input []byte, stored map[string]any, found bool) ([]byte, error) {
	fs := m.manifest.FeatureSource
	if !found && fs.Defaults == nil {
		return nil, &InputError{Code: "features_missing", Message: fmt.Sprintf("the entity is not in feature table %s and the model has no defaults", fs.Table)}
	}
	own, err := m.namedFeatures(input)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range fs.Features {
		if _, ok := own[name]; ok {
			continue
		}
		if v, ok := stored[name]; ok {
			if _, isNum := v.(float64); !isNum {
				return nil, &InputError{Code: "invalid_features", Message: fmt.Sprintf("feature table %s holds %q as %T, not a number", fs.Table, name, v)}
			}
			own[name] = v
		} else if d, ok := fs.Defaults[name]; ok {
			own[name] = d
		} else {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &InputError{Code: "features_missing", Message: fmt.Sprintf("feature table %s has no %v for the entity and the model no defaults for them", fs.Table, missing)}
	}
	return json.Marshal(map[string]any{"features": own})
}

// namedFeatures reads an input's features by name (nil input: none).
func (m *Model) namedFeatures(input []byte) (map[string]any, error) {
	own := map[string]any{}
	if len(input) == 0 {
		return own, nil
	}
	var w struct {
		Features json.RawMessage `json:"features"`
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return nil, &InputError{Code: "invalid_features", Message: "features: " + err.Error()}
	}
	if bytes.HasPrefix(bytes.TrimSpace(w.Features), []byte("[")) {
		var arr []any
		if err := json.Unmarshal(w.Features, &arr); err != nil {
			return nil, &InputError{Code: "invalid_features", Message: "features: " + err.Error()}
		}
		names := m.manifest.Preprocess.Features
		if len(arr) > len(names) {
			return nil, &InputError{Code: "wrong_feature_count", Message: fmt.Sprintf("%d features, the model takes %d", len(arr), len(names))}
		}
		for i, v := range arr { // a prefix of the manifest's order
			own[names[i]] = v
		}
		return own, nil
	}
	d := json.NewDecoder(bytes.NewReader(w.Features))
	d.UseNumber()
	if err := d.Decode(&own); err != nil {
		return nil, &InputError{Code: "invalid_features", Message: "features must be an object of named values or an array"}
	}
	return maps.Clone(own), nil
}
