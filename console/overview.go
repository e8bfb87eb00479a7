package console

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

// statuses are the ones the overview counts, in the chart's stacking order.
var statuses = []store.Status{store.StatusSucceeded, store.StatusFailed, store.StatusInProgress}

// overviewPage is what the front page shows.
type overviewPage struct {
	Since   string
	Counts  []statusCount
	Chart   chart
	Metrics *metricsView // nil: no log to read
	Note    string       // why there are no metrics
	DLQ     []codeCount
	DLQSize int
	HasDLQ  bool
	Jobs    []jobRow
}

type statusCount struct {
	Status string
	N      int
	More   bool // the listing stopped at maxListed: there are more
}

type codeCount struct {
	Code string
	N    int
}

// jobRow is one job of the recent list: what `results` shows on a terminal.
type jobRow struct {
	ID, Input, Status, Model, Result, Age string
}

// maxListed bounds the items read per status for the overview: the
// newest, so a busy window still shows its latest jobs.
const maxListed = 2000

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	since := cmp.Or(s.Since, 24*time.Hour)
	now := s.now()
	var recs []store.Record
	page := overviewPage{Since: strings.TrimSuffix(strings.TrimSuffix(since.String(), "0s"), "0m")}
	for _, st := range statuses {
		list, err := s.Results.ListWindow(r.Context(), st, store.Window{Since: now.Add(-since), Newest: true}, maxListed)
		if err != nil {
			s.fail(w, "list "+string(st)+" jobs", err)
			return
		}
		page.Counts = append(page.Counts, statusCount{Status: string(st), N: len(list), More: len(list) == maxListed})
		recs = append(recs, list...)
	}
	page.Chart = statusChart(recs, now.Add(-since), now, 24)
	recent, err := s.whole(r.Context(), newest(recs, 50))
	if err != nil {
		s.fail(w, "read the recent jobs", err)
		return
	}
	page.Jobs = recentJobs(recent, now)
	page.Metrics, page.Note = s.metrics(r.Context())
	if s.DLQ != nil {
		msgs, err := s.DLQ.Peek(r.Context(), 100)
		if err != nil {
			s.fail(w, "peek the dead-letter queue", err)
			return
		}
		page.HasDLQ, page.DLQSize = true, len(msgs)
		byCode := map[string]int{}
		for _, m := range msgs {
			byCode[cmp.Or(aws.ToString(m.MessageAttributes["error_code"].StringValue), "-")]++
		}
		page.DLQ = sortedCounts(byCode)
	}
	s.render(w, "overview.html", page)
}

// newest is the n jobs written last.
func newest(recs []store.Record, n int) []store.Record {
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b store.Record) int { return cmp.Compare(b.UpdatedAt, a.UpdatedAt) })
	return recs[:min(n, len(recs))]
}

// whole reads the listed jobs' whole items (one BatchGetItem per 100): the
// status index carries no outputs. A job gone meanwhile keeps its listing.
func (s *Server) whole(ctx context.Context, recs []store.Record) ([]store.Record, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.JobID
	}
	found, err := s.Results.Lookup(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(recs)
	for i, r := range out {
		if full := found[r.JobID]; full != nil {
			out[i] = *full
		}
	}
	return out, nil
}

// recentJobs is the jobs as rows.
func recentJobs(recs []store.Record, now time.Time) []jobRow {
	rows := make([]jobRow, 0, len(recs))
	for _, rec := range recs {
		row := jobRow{ID: rec.JobID, Input: client.ShortInput(rec.Input, 40), Status: string(rec.Status), Model: rec.Model, Age: client.Age(rec.UpdatedAt, now)}
		switch {
		case rec.Error != nil:
			row.Result = string(rec.Error.Code) + ": " + rec.Error.Message
		case rec.Output != nil:
			row.Result = client.Glance(rec.Output)
		}
		rows = append(rows, row)
	}
	return rows
}

func sortedCounts(m map[string]int) []codeCount {
	out := make([]codeCount, 0, len(m))
	for k, n := range m {
		out = append(out, codeCount{Code: k, N: n})
	}
	slices.SortFunc(out, func(a, b codeCount) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Code, b.Code)) })
	return out
}

func fmtFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }
