// Command ocrpeer is the Document OCR benchmark: the same rendered pages
// through `batchinfer predict --model ppocr-page` and through the Node
// reference @gutenye/ocr-node (peer.mjs), round by round in one run, each
// scored against the pages' truth. It prints a markdown table.
//
//	(cd benchmarks/ocrpeer && npm ci --ignore-scripts)
//	go tool task build
//	go run ./benchmarks/ocrpeer --pages 40 --rounds 3
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/batchinfer/batchinfer/internal/textimg"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ocrpeer:", err)
		os.Exit(1)
	}
}

type config struct {
	pages, rounds int
	seed          int64
	bin, model    string
	node, script  string
	threads       int
}

func run(args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("ocrpeer", flag.ContinueOnError)
	fs.IntVar(&c.pages, "pages", 40, "pages to render")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds; each runs both readers once")
	fs.Int64Var(&c.seed, "seed", 11, "page generator seed")
	fs.StringVar(&c.bin, "bin", ".cache/bin/batchinfer", "the batchinfer binary")
	fs.StringVar(&c.model, "model", ".cache/models/ppocr-page", "the ppocr-page model folder (the peer reads its det, rec and charset files)")
	fs.StringVar(&c.node, "node", "node", "the Node.js binary")
	fs.StringVar(&c.script, "script", "benchmarks/ocrpeer/peer.mjs", "the reference's runner")
	fs.IntVar(&c.threads, "threads", 0, "batchinfer's ONNX Runtime intra-op threads (0: its default, the CPUs it may use)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pages := textimg.Pages(c.pages, c.seed)
	dir, err := os.MkdirTemp("", "ocrpeer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var files []string
	for _, p := range pages {
		f := filepath.Join(dir, p.Name)
		if err := os.WriteFile(f, p.Data, 0o644); err != nil {
			return err
		}
		files = append(files, f)
	}
	var ours, peer []result
	for r := 0; r < c.rounds; r++ {
		o, err := runOurs(c, files)
		if err != nil {
			return fmt.Errorf("batchinfer: %w", err)
		}
		p, err := runPeer(c, files)
		if err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		ours, peer = append(ours, o), append(peer, p)
	}
	report(out, pages, ours, peer)
	return nil
}

// result is one reader's run over all pages.
type result struct {
	loadMS, pagesMS float64
	got             [][]textimg.Got // per page, in page order
	stats           predictStats    // batchinfer only
}

type predictStats struct {
	LoadMS    float64            `json:"load_ms"`
	PredictMS float64            `json:"predict_ms"`
	Stages    []stageStats       `json:"stages"`
	Phases    map[string]float64 `json:"phases_ms"`
}

type stageStats struct {
	Name     string  `json:"name"`
	MaxBatch int     `json:"max_batch"`
	Rows     int     `json:"rows"`
	Runs     int     `json:"runs"`
	InferMS  float64 `json:"infer_ms"`
}

type pageLine struct {
	Text string    `json:"text"`
	Box  []float64 `json:"box"`
}

func toGot(lines []pageLine) []textimg.Got {
	var got []textimg.Got
	for _, l := range lines {
		g := textimg.Got{Text: l.Text}
		for i := 0; i < 4 && i < len(l.Box); i++ {
			g.Box[i] = int(l.Box[i])
		}
		got = append(got, g)
	}
	return got
}

func runOurs(c config, files []string) (result, error) {
	args := append([]string{"predict", "--stats", "--model", c.model, "--threads", fmt.Sprint(c.threads)}, files...)
	stdout, stderr, err := command(c.bin, args...)
	if err != nil {
		return result{}, err
	}
	var res result
	if err := json.Unmarshal(lastLine(stderr), &res.stats); err != nil {
		return result{}, fmt.Errorf("read --stats line %q: %w", lastLine(stderr), err)
	}
	res.loadMS, res.pagesMS = res.stats.LoadMS, res.stats.PredictMS
	for _, l := range bytes.Split(bytes.TrimSpace(stdout), []byte("\n")) {
		var line struct {
			Error  any `json:"error"`
			Output struct {
				Lines []pageLine `json:"lines"`
			} `json:"output"`
		}
		if err := json.Unmarshal(l, &line); err != nil || line.Error != nil {
			return result{}, fmt.Errorf("output line %q: %v %v", l, err, line.Error)
		}
		res.got = append(res.got, toGot(line.Output.Lines))
	}
	return res, nil
}

func runPeer(c config, files []string) (result, error) {
	stdout, _, err := command(c.node, append([]string{c.script, c.model}, files...)...)
	if err != nil {
		return result{}, err
	}
	lines := bytes.Split(bytes.TrimSpace(stdout), []byte("\n"))
	var res result
	var times struct {
		LoadMS  float64 `json:"load_ms"`
		PagesMS float64 `json:"pages_ms"`
	}
	if err := json.Unmarshal(lines[len(lines)-1], &times); err != nil {
		return result{}, fmt.Errorf("timing line: %w", err)
	}
	res.loadMS, res.pagesMS = times.LoadMS, times.PagesMS
	for _, l := range lines[:len(lines)-1] {
		var page struct {
			Lines []pageLine `json:"lines"`
		}
		if err := json.Unmarshal(l, &page); err != nil {
			return result{}, fmt.Errorf("page line %q: %w", l, err)
		}
		res.got = append(res.got, toGot(page.Lines))
	}
	return res, nil
}

func command(name string, args ...string) ([]byte, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// score sums a run's page scores.
func score(pages []textimg.Page, got [][]textimg.Got) textimg.PageScore {
	var sum textimg.PageScore
	for i, p := range pages {
		var g []textimg.Got
		if i < len(got) {
			g = got[i]
		}
		s := textimg.Score(p, g)
		sum.Truth, sum.Got, sum.Matched = sum.Truth+s.Truth, sum.Got+s.Got, sum.Matched+s.Matched
		sum.OutOfOrder, sum.BadBoxes = sum.OutOfOrder+s.OutOfOrder, sum.BadBoxes+s.BadBoxes
	}
	return sum
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(w io.Writer, pages []textimg.Page, ours, peer []result) {
	n := float64(len(pages))
	rate := func(rs []result) (float64, float64) {
		var steady, cold []float64
		for _, r := range rs {
			steady = append(steady, n/(r.pagesMS/1000))
			cold = append(cold, n/((r.loadMS+r.pagesMS)/1000))
		}
		return median(steady), median(cold)
	}
	so, co := rate(ours)
	sp, cp := rate(peer)
	fmt.Fprintf(w, "%d pages, %d rounds (medians)\n\n", len(pages), len(ours))
	fmt.Fprintln(w, "| reader | pages/s | pages/s with model load | line recall | line precision | out of order | bad boxes |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, row := range []struct {
		name         string
		steady, cold float64
		r            result
	}{{"batchinfer ppocr-page", so, co, ours[0]}, {"@gutenye/ocr-node 1.4.8", sp, cp, peer[0]}} {
		s := score(pages, row.r.got)
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.3f | %.3f | %d | %d |\n", row.name, row.steady, row.cold,
			float64(s.Matched)/float64(s.Truth), float64(s.Matched)/float64(max(s.Got, 1)), s.OutOfOrder, s.BadBoxes)
	}
	fmt.Fprintf(w, "\nbatchinfer / reference pages/s: %.2f×\n\n", so/sp)
	st := ours[0].stats
	fmt.Fprintln(w, "| batchinfer stage | rows | runs | max batch | fill | run ms |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
	for _, g := range st.Stages {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f%% | %.0f |\n", g.Name, g.Rows, g.Runs, g.MaxBatch,
			100*float64(g.Rows)/float64(max(g.Runs*g.MaxBatch, 1)), g.InferMS)
	}
	fmt.Fprintln(w)
	shares(w, st)
	fmt.Fprintln(w, "\nLines the reference missed (first round):")
	misses(w, pages, peer[0].got, 12)
	fmt.Fprintln(w, "\nLines batchinfer missed (first round):")
	misses(w, pages, ours[0].got, 12)
}

// shares splits batchinfer's predict time into detection (decode,
// preprocessing, runs and DB postprocess), cropping, and recognition (the
// orient and read stages: preprocessing, runs, CTC decoding): the Go steps'
// time summed over inputs plus the runs' wall time.
func shares(w io.Writer, st predictStats) {
	groups := map[string]float64{}
	group := func(stage string) string {
		switch stage {
		case "decode", "det":
			return "detection"
		case "crop":
			return "cropping"
		}
		return "recognition"
	}
	total := 0.0
	for k, v := range st.Phases {
		groups[group(strings.SplitN(k, ".", 2)[0])] += v
		total += v
	}
	for _, g := range st.Stages {
		groups[group(g.Name)] += g.InferMS
		total += g.InferMS
	}
	fmt.Fprintf(w, "share of predict time: detection %.0f%%, cropping %.0f%%, recognition %.0f%%\n",
		100*groups["detection"]/total, 100*groups["cropping"]/total, 100*groups["recognition"]/total)
}

func misses(w io.Writer, pages []textimg.Page, got [][]textimg.Got, limit int) {
	shown := 0
	for i, p := range pages {
		read := map[string]int{}
		for _, g := range got[i] {
			read[g.Text]++
		}
		for _, l := range p.Lines {
			if read[l.Text] > 0 {
				read[l.Text]--
				continue
			}
			if shown < limit {
				var texts []string
				for _, g := range got[i] {
					texts = append(texts, fmt.Sprintf("%q", g.Text))
				}
				fmt.Fprintf(w, "- %s %q (read: %s)\n", p.Name, l.Text, strings.Join(texts, ", "))
			}
			shown++
		}
	}
	if shown > limit {
		fmt.Fprintf(w, "- … %d more\n", shown-limit)
	}
}
