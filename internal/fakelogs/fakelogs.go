// Package fakelogs is a stand-in for CloudWatch Logs' FilterLogEvents in
// tests: neither emulator serves CloudWatch Logs, and `batchinfer stats
// --log-group` needs one. It speaks the service's JSON 1.1 protocol, so the
// real aws-sdk-go-v2 client (signing, pagination, errors) talks to it;
// it pages a fixed list of log events and records what it was asked.
package fakelogs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// Request is one FilterLogEvents call as the server received it.
type Request struct {
	LogGroupName  string `json:"logGroupName"`
	FilterPattern string `json:"filterPattern"`
	StartTime     int64  `json:"startTime"`
	EndTime       int64  `json:"endTime"`
	NextToken     string `json:"nextToken"`
}

// Server serves Messages, PageSize events per page, to log group Group.
type Server struct {
	URL      string
	Group    string
	Messages []string
	PageSize int

	srv      *httptest.Server
	mu       sync.Mutex
	requests []Request
}

// Start serves messages of group on 127.0.0.1 until Close.
func Start(group string, messages []string, pageSize int) *Server {
	s := &Server{Group: group, Messages: messages, PageSize: max(1, pageSize)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Requests is every FilterLogEvents call received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if target := r.Header.Get("X-Amz-Target"); target != "Logs_20140328.FilterLogEvents" {
		fail(w, "UnknownOperationException", "unsupported operation "+target)
		return
	}
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if req.LogGroupName != s.Group {
		fail(w, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	from := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(req.NextToken)
		if err != nil {
			fail(w, "InvalidParameterException", "bad nextToken")
			return
		}
		from = n
	}
	to := min(from+s.PageSize, len(s.Messages))
	type event struct {
		Message   string `json:"message"`
		Timestamp int64  `json:"timestamp"`
		EventID   string `json:"eventId"`
	}
	resp := struct {
		Events    []event `json:"events"`
		NextToken string  `json:"nextToken,omitempty"`
	}{Events: []event{}}
	for i := from; i < to; i++ {
		resp.Events = append(resp.Events, event{Message: s.Messages[i], Timestamp: req.StartTime, EventID: fmt.Sprint(i)})
	}
	if to < len(s.Messages) {
		resp.NextToken = strconv.Itoa(to)
	}
	json.NewEncoder(w).Encode(resp)
}

func fail(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
