package api

import (
	"encoding/json"
	"net/http"
)

// The bodies API Gateway itself answers with, so clients see one set of
// words whichever front door they call.
const (
	msgForbidden    = "Forbidden"
	msgMissingToken = "Missing Authentication Token" // API Gateway's answer to an unknown route
	msgTooLong      = "Request Too Long"
	msgTooMany      = "Too Many Requests"
	msgNotFound     = "Not Found"
	msgInternal     = "Internal server error"
	msgUnavailable  = "Service Unavailable"
)

// ErrorBody is every error answer: API Gateway's {"message"} plus, for a
// validation error, the taxonomy code of jobs/errors.go.
type ErrorBody struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client hanging up is the only way this fails; nothing to do then.
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg, code string) {
	writeJSON(w, status, ErrorBody{Message: msg, Code: code})
}
