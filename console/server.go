package console

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/store"
)

// Results reads job items (store.Results).
type Results interface {
	Get(ctx context.Context, jobID string) (*store.Record, error)
	// ListWindow lists a status's jobs from the status index; the
	// overview asks for the newest first.
	ListWindow(ctx context.Context, status store.Status, w store.Window, limit int) ([]store.Record, error)
	// Lookup reads whole items (the status index holds no outputs).
	Lookup(ctx context.Context, ids []string) (map[string]*store.Record, error)
}

// Objects reads whole S3 objects: inputs to draw on, full outputs
// (store.Inputs).
type Objects interface {
	Fetch(ctx context.Context, obj jobs.S3Object) ([]byte, error)
}

// DeadLetters shows the DLQ's messages without taking them (store.Queue).
type DeadLetters interface {
	Peek(ctx context.Context, max int) ([]sqstypes.Message, error)
}

// Keys checks an API key (api.KeySet).
type Keys interface {
	Match(key string) (int, bool)
}

// Server serves the console's pages.
type Server struct {
	Results Results
	Objects Objects
	DLQ     DeadLetters // nil: no DLQ section
	Keys    Keys        // nil: no key asked
	// Metrics reads the worker's EMF documents at each visit, from where
	// `batchinfer stats` reads them (a log file, a CloudWatch Logs group);
	// nil: no metrics section. MetricsFrom names the source.
	Metrics     func(ctx context.Context) ([]metrics.Doc, error)
	MetricsFrom string
	Namespace   string        // the EMF namespace summarised ("": all)
	Since       time.Duration // the overview's window, default 24h
	Log         *slog.Logger
	Now         func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"num":      func(f float64) string { return fmtFloat(f, 1) },
	"barWidth": func(score float64) float64 { return 200 * score },
}).ParseFS(templateFS, "templates/*.html"))

// Handler routes the console's pages behind the key check.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /jobs/{id}", s.job)
	mux.HandleFunc("GET /jobs/{id}/input", s.input)
	mux.HandleFunc("GET /jobs/{id}/output", s.output)
	mux.HandleFunc("GET /jobs/{id}/pages/{n}", s.page)
	return s.auth(mux)
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.logger().Error("render console page", "page", name, "err", err)
	}
}

func (s *Server) fail(w http.ResponseWriter, what string, err error) {
	s.logger().Error(what, "err", err)
	http.Error(w, what+": "+err.Error(), http.StatusBadGateway)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
