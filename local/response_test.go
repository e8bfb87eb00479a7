package local

import "testing"

func TestJudgeResponse(t *testing.T) {
	batch := map[string]bool{"a": true, "b": true, "c": true}
	tests := []struct {
		name      string
		body      string
		deleteAll bool
		retry     []string
		invalid   bool
	}{
		{"empty body", ``, true, nil, false},
		{"null response", `null`, true, nil, false},
		{"empty object", `{}`, true, nil, false},
		{"null list", `{"batchItemFailures":null}`, true, nil, false},
		{"empty list", `{"batchItemFailures":[]}`, true, nil, false},
		{"partial", `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, false, []string{"b"}, false},
		{"partial twice listed", `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"b"},{"itemIdentifier":"c"}]}`, false, []string{"b", "c"}, false},
		{"unknown id", `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"zzz"}]}`, false, nil, true},
		{"empty id", `{"batchItemFailures":[{"itemIdentifier":""}]}`, false, nil, true},
		{"null id", `{"batchItemFailures":[{"itemIdentifier":null}]}`, false, nil, true},
		{"bad key name", `{"batchItemFailures":[{"itemId":"a"}]}`, false, nil, true},
		{"id not a string", `{"batchItemFailures":[{"itemIdentifier":7}]}`, false, nil, true},
		{"list not a list", `{"batchItemFailures":"a"}`, false, nil, true},
		{"invalid JSON", `{"batchItemFailures":[`, false, nil, true},
		{"bare string", `"ok"`, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judgeResponse([]byte(tt.body), batch)
			if (got.invalid != nil) != tt.invalid {
				t.Fatalf("invalid = %v, want invalid %v", got.invalid, tt.invalid)
			}
			if got.deleteAll != tt.deleteAll {
				t.Fatalf("deleteAll = %v, want %v", got.deleteAll, tt.deleteAll)
			}
			if len(got.retry) != len(tt.retry) {
				t.Fatalf("retry = %v, want %v", got.retry, tt.retry)
			}
			for _, id := range tt.retry {
				if !got.retry[id] {
					t.Fatalf("retry = %v, missing %q", got.retry, id)
				}
			}
		})
	}
}
