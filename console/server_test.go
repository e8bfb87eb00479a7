package console

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// table is an in-memory results table.
type table map[string]store.Record

func (tb table) Get(_ context.Context, id string) (*store.Record, error) {
	if r, ok := tb[id]; ok {
		return &r, nil
	}
	return nil, nil
}

// ListWindow lists as the status index does: by updated_at, oldest or
// newest first, at most limit.
func (tb table) ListWindow(_ context.Context, st store.Status, w store.Window, limit int) ([]store.Record, error) {
	var out []store.Record
	for _, r := range tb {
		if r.Status == st {
			r.Output = nil // the status index carries no outputs
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b store.Record) int { return cmp.Compare(a.UpdatedAt, b.UpdatedAt) })
	if w.Newest {
		slices.Reverse(out)
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (tb table) Lookup(_ context.Context, ids []string) (map[string]*store.Record, error) {
	out := map[string]*store.Record{}
	for _, id := range ids {
		if r, ok := tb[id]; ok {
			out[id] = &r
		}
	}
	return out, nil
}

type noObjects struct{}

func (noObjects) Fetch(context.Context, jobs.S3Object) ([]byte, error) { return nil, nil }

type oneKey string

func (k oneKey) Match(key string) (int, bool) { return 0, key == string(k) }

// With a key set, nothing shows without it; ?key= once lets the browser
// in, and its cookie carries the key to the next pages.
func TestConsoleShowsNothingWithoutTheKey(t *testing.T) {
	now := time.Now()
	srv := &Server{Results: table{"job-1": {JobID: "job-1", Status: store.StatusSucceeded, Input: "inline",
		Output: map[string]any{"label": "setosa", "score": 0.97}, UpdatedAt: now.Add(-time.Minute).Format(time.RFC3339Nano)}},
		Objects: noObjects{}, Keys: oneKey("k1")}
	h := srv.Handler()
	get := func(path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, p := range []string{"/", "/jobs/job-1", "/jobs/job-1/output", "/?key=wrong"} {
		if rec := get(p); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "setosa") || !strings.Contains(rec.Body.String(), `<form id="login"`) {
			t.Errorf("GET %s without the key: %d %q", p, rec.Code, rec.Body.String())
		}
	}
	rec := get("/?key=k1")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-job="job-1"`) || !strings.Contains(rec.Body.String(), "setosa 0.97") {
		t.Fatalf("GET /?key=k1: %d\n%s", rec.Code, rec.Body.String())
	}
	cookies := rec.Result().Cookies()
	if page := get("/jobs/job-1", cookies...); page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `<tr class="label"><td>setosa</td>`) {
		t.Errorf("the job's page with the cookie: %d\n%s", page.Code, page.Body.String())
	}
}

// OCR lines are drawn by their polygons, detections by their boxes, each
// labelled (no detection model is installed here: the shape of DESIGN.md's
// detection output stands in).
func TestOutputShapes(t *testing.T) {
	out := map[string]any{
		"lines":      []any{map[string]any{"text": "Total 9.00", "polygon": []any{[]any{39.0, 193.0}, []any{170.0, 193.0}, []any{170.0, 221.0}, []any{39.0, 221.0}}}},
		"detections": []any{map[string]any{"label": "dog", "score": 0.91, "box": []any{10.0, 20.0, 110.0, 220.0}}},
	}
	got := outputShapes(out)
	want := []shape{
		{Class: "line", Label: "Total 9.00", Points: "39,193 170,193 170,221 39,221", X: 39, Y: 193},
		{Class: "box", Label: "dog 0.91", Points: "10,20 110,20 110,220 10,220", X: 10, Y: 20},
	}
	if len(got) != len(want) {
		t.Fatalf("shapes %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("shape %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// The login form: a wrong key gets the form again and nothing else; a
// right one a cookie and the page asked for, never a page elsewhere.
func TestConsoleLoginForm(t *testing.T) {
	srv := &Server{Results: table{"job-1": {JobID: "job-1", Status: store.StatusSucceeded, Input: "inline",
		UpdatedAt: time.Now().Format(time.RFC3339Nano)}}, Objects: noObjects{}, Keys: oneKey("k1")}
	h := srv.Handler()
	post := func(key, next string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"key": {key}, "next": {next}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	form := httptest.NewRecorder()
	h.ServeHTTP(form, httptest.NewRequest(http.MethodGet, "/jobs/job-1?key=wrong", nil))
	if form.Code != http.StatusForbidden || !strings.Contains(form.Body.String(), `<form id="login" method="post" action="/login">`) ||
		!strings.Contains(form.Body.String(), `name="next" value="/jobs/job-1"`) {
		t.Errorf("the form for a wrong ?key=: %d\n%s", form.Code, form.Body.String())
	}
	tests := []struct {
		key, next, want string
		code            int
	}{
		{"wrong", "/jobs/job-1", "", http.StatusForbidden},
		{"", "/", "", http.StatusForbidden},
		{"k1", "/jobs/job-1", "/jobs/job-1", http.StatusSeeOther},
		{"k1", "//elsewhere.example/", "/", http.StatusSeeOther},
		{"k1", "https://elsewhere.example/", "/", http.StatusSeeOther},
	}
	for _, tt := range tests {
		rec := post(tt.key, tt.next)
		if rec.Code != tt.code || rec.Header().Get("Location") != tt.want || strings.Contains(rec.Body.String(), `data-job`) {
			t.Errorf("login %q → %q: %d to %q, want %d to %q", tt.key, tt.next, rec.Code, rec.Header().Get("Location"), tt.code, tt.want)
		}
		cookies := rec.Result().Cookies()
		if (tt.code == http.StatusSeeOther) != (len(cookies) == 1 && cookies[0].Value == "k1" && cookies[0].HttpOnly) {
			t.Errorf("login %q: cookies %v", tt.key, cookies)
		}
	}
}

// A window holding more jobs than the overview reads still shows its
// newest first: the recent list is the latest jobs, not the latest of the
// oldest ones read.
func TestOverviewListsTheNewestJobs(t *testing.T) {
	now := time.Now()
	tb := table{}
	for i := range maxListed + 100 {
		id := fmt.Sprintf("job-%04d", i)
		tb[id] = store.Record{JobID: id, Status: store.StatusSucceeded, Input: "inline",
			UpdatedAt: now.Add(time.Duration(i-maxListed-100) * time.Second).Format(time.RFC3339Nano)}
	}
	rec := httptest.NewRecorder()
	(&Server{Results: tb, Objects: noObjects{}}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	newest, oldest := fmt.Sprintf(`data-job="job-%04d"`, maxListed+99), `data-job="job-0000"`
	if rec.Code != http.StatusOK || !strings.Contains(body, newest) || strings.Contains(body, oldest) {
		t.Fatalf("GET /: %d; the newest job listed %v, the oldest %v", rec.Code, strings.Contains(body, newest), strings.Contains(body, oldest))
	}
	if first, last := strings.Index(body, newest), strings.Index(body, fmt.Sprintf(`data-job="job-%04d"`, maxListed+50)); first > last {
		t.Errorf("the recent list is not newest first")
	}
}
