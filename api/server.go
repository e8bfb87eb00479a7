package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// MaxBodyBytes is the largest request body: an SQS message holds 256 KiB.
const MaxBodyBytes = jobs.MaxMessageBytes

// APIKeyHeader carries the key, as API Gateway reads it.
const APIKeyHeader = "x-api-key"

// Presigner signs upload URLs (store.Uploads).
type Presigner interface {
	PresignPut(ctx context.Context, req store.UploadRequest) (store.Upload, error)
}

// Server is the front door. Build it with New.
type Server struct {
	Queue   store.Sender
	Jobs    store.JobGetter
	Uploads Presigner // nil: POST /v1/uploads answers 503
	// Predict answers POST /v1/predict and /v2/models/{model}/infer; nil
	// serves neither (`batchinfer api` without BATCHINFER_MODELS).
	Predict *Predictor
	Config  Config
	Log     *slog.Logger

	limits *limiters
	now    func() time.Time
}

// New returns a Server over the given adapters.
func New(cfg Config, q store.Sender, j store.JobGetter, up Presigner, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{Queue: q, Jobs: j, Uploads: up, Config: cfg, Log: log,
		limits: newLimiters(cfg.Rate, cfg.Burst), now: time.Now}
}

// Handler serves every route behind the key check and the rate limit, as
// the REST API does.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/jobs", s.postJob)
	mux.HandleFunc("GET /v1/jobs/{job_id}", s.getJob)
	mux.HandleFunc("POST /v1/uploads", s.postUpload)
	if s.Predict != nil {
		mux.HandleFunc("POST /v1/predict", s.Predict.postPredict)
		mux.HandleFunc("POST /v2/models/{model}/infer", s.Predict.postInfer)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, msgMissingToken, "")
	})
	return s.front(mux)
}

// UploadHandler is POST /v1/uploads alone, with no key check: the stack's
// uploads function sits behind API Gateway, which checks keys itself.
func (s *Server) UploadHandler() http.Handler {
	return s.withRequestID(http.HandlerFunc(s.postUpload))
}

// Handler is the predict routes alone, with no key check: the
// function behind API Gateway's proxy integration, which checks keys
// itself. Other paths answer API Gateway's unknown-route 403.
func (p *Predictor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/predict", p.postPredict)
	mux.HandleFunc("POST /v2/models/{model}/infer", p.postInfer)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, msgMissingToken, "")
	})
	return mux
}

// front applies, in API Gateway's order, the body size cap, the key check
// and the key's rate limit, then logs one access line per request.
func (s *Server) front(next http.Handler) http.Handler {
	return s.withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.Log.Info("request", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "ms", s.now().Sub(start).Milliseconds())
		}()
		if r.ContentLength > maxBody(r) {
			writeError(rec, http.StatusRequestEntityTooLarge, msgTooLong, "")
			return
		}
		key, ok := s.Config.Keys.Match(r.Header.Get(APIKeyHeader))
		if !ok {
			writeError(rec, http.StatusForbidden, msgForbidden, "")
			return
		}
		if !s.limits.allow(key) {
			writeError(rec, http.StatusTooManyRequests, msgTooMany, "")
			return
		}
		next.ServeHTTP(rec, r)
	}))
}

type ctxKey struct{}

// withRequestID gives each request an id, as API Gateway's requestId: it
// becomes the job id of a job that names none.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("x-amzn-RequestId", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// newRequestID is a random UUID (version 4), the form of API Gateway's.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// maxBody is the largest body a route takes: a job fits an SQS message, a
// predict request Lambda's synchronous payload.
func maxBody(r *http.Request) int64 {
	if r.URL.Path == "/v1/predict" || strings.HasPrefix(r.URL.Path, "/v2/") {
		return MaxPredictBodyBytes
	}
	return MaxBodyBytes
}
