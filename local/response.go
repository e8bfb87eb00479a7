package local

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// batchOutcome is what the ESM does with a batch after the invocation.
type batchOutcome struct {
	deleteAll bool            // complete success
	retry     map[string]bool // message ids to leave on the queue (partial)
	invalid   error           // set when the response makes the batch a complete failure
}

// judgeResponse applies Lambda's documented rules for an SQS event source
// mapping with ReportBatchItemFailures ("Handling errors for an SQS event
// source in Lambda", success and failure conditions):
//
//   - complete success: an empty or null batchItemFailures list, an empty
//     or null response;
//   - complete failure: an invalid JSON response, an empty-string or null
//     itemIdentifier, an item with a bad key name, an itemIdentifier that
//     is not the messageId of a message in the batch;
//   - otherwise only the listed messages are retried.
//
// A JSON response that is not an object (a bare string or number) cannot
// carry batchItemFailures; we count it as an invalid response.
func judgeResponse(body []byte, batch map[string]bool) batchOutcome {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return batchOutcome{deleteAll: true}
	}
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(b, &resp); err != nil {
		return batchOutcome{invalid: fmt.Errorf("invalid function response: %w", err)}
	}
	raw, ok := resp["batchItemFailures"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return batchOutcome{deleteAll: true}
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return batchOutcome{invalid: fmt.Errorf("invalid batchItemFailures: %w", err)}
	}
	if len(items) == 0 {
		return batchOutcome{deleteAll: true}
	}
	retry := make(map[string]bool, len(items))
	for i, it := range items {
		idRaw, ok := it["itemIdentifier"]
		if !ok {
			return batchOutcome{invalid: fmt.Errorf("batchItemFailures[%d]: no itemIdentifier key", i)}
		}
		var id *string
		if err := json.Unmarshal(idRaw, &id); err != nil {
			return batchOutcome{invalid: fmt.Errorf("batchItemFailures[%d]: itemIdentifier is not a string: %w", i, err)}
		}
		switch {
		case id == nil:
			return batchOutcome{invalid: fmt.Errorf("batchItemFailures[%d]: null itemIdentifier", i)}
		case *id == "":
			return batchOutcome{invalid: fmt.Errorf("batchItemFailures[%d]: empty itemIdentifier", i)}
		case !batch[*id]:
			return batchOutcome{invalid: fmt.Errorf("batchItemFailures[%d]: itemIdentifier %q is not in the batch", i, *id)}
		}
		retry[*id] = true
	}
	return batchOutcome{retry: retry}
}
