package e2e

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/internal/docmake"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textimg"
	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/store"
)

// The console, in a real browser (headless Chromium), against the local
// system with real results: the overview lists the jobs with their status
// and the DLQ by code; a page's job shows its OCR lines drawn over the
// page; the screenshot shows them. Without the API key it shows nothing.
func TestConsoleInABrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is missing (`go tool task setup` installs it): %v", err)
	}
	start := time.Now()
	run := consoleSystem(t)
	t.Logf("%.1fs: the local system is up", time.Since(start).Seconds())
	run.sendJobs(t, `{"job_id": "console-text", "input": {"text": "What a lovely day"}}`,
		`{"job_id": "console-iris", "input": {"features": [5.1, 3.5, 1.4, 0.2]}}`)
	files := map[string][]byte{"docs/letter.pdf": twoPagePDF(t), "pics/red.png": redSquare(400, 300, 20, 50, 100)}
	for _, n := range []string{"receipt.png", "flowers.csv", "torn.png"} {
		files[n] = exampleFile(t, n)
	}
	ids := run.dropFiles(t, files)
	ids["text"], ids["iris"] = "console-text", "console-iris"
	t.Logf("%.1fs: the jobs are done", time.Since(start).Seconds())
	base := startConsole(t, run)
	if resp, body := get(t, base+"/"); resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), ids["receipt.png"]) {
		t.Errorf("without the key: %d %q; want 403 and no job", resp.StatusCode, body)
	}

	job := func(id string) string { return base + "/jobs/" + id + "?key=console-key" }
	pages := map[string]string{"overview": base + "/?key=console-key", "receipt": job(ids["receipt.png"]),
		"csv": job(ids["flowers.csv"]), "text": job("console-text"), "iris": job("console-iris"),
		"pdf": job(ids["docs/letter.pdf"]), "boxes": job(ids["pics/red.png"])}
	doms := chromiumDOMs(t, browser, pages)
	t.Logf("%.1fs: the pages are loaded", time.Since(start).Seconds())
	checkConsoleOverview(t, doms["overview"], ids)
	checkConsoleJobs(t, doms)
	checkConsolePDF(t, doms["pdf"], base, ids["docs/letter.pdf"])
	// CONSOLE_TEST_SHOTS=DIR keeps screenshots of the pages, for a
	// person to look at.
	if dir := os.Getenv("CONSOLE_TEST_SHOTS"); dir != "" {
		for _, name := range []string{"overview", "pdf", "boxes", "csv"} {
			if _, err := chromium(browser, t.TempDir(), pages[name], "--screenshot="+filepath.Join(dir, name+".png"), "--window-size=1100,1400"); err != nil {
				t.Error(err)
			}
		}
	}
	shot := chromiumScreenshot(t, browser, pages["receipt"])
	if blue, ink := strokePixels(shot); blue < 200 || ink < 2000 {
		t.Errorf("the screenshot shows %d pixels of the lines' outline and %d of ink; want the page and its boxes drawn", blue, ink)
	}
}

// startConsole runs `batchinfer console` on the local system's table, DLQ
// and function log, behind the key console-key, and returns its base URL.
func startConsole(t *testing.T, run *consoleRun) string {
	t.Helper()
	addr := testenv.FreeAddr(t)
	cmd := exec.Command(binary, "console", "--addr", addr, "--table", run.spec.Table, "--dlq-url", run.prov.DLQURL, "--metrics-log", run.log)
	cmd.Env = append(emu.Environ(), "BATCHINFER_API_KEYS=console-key")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + addr
	waitHTTP(t, base+"/")
	return base
}

// get is a GET's answer and its whole body.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read the body: %v", url, err)
	}
	return resp, body
}

// checkConsoleOverview: the overview lists the jobs with their status and
// result at a glance, the DLQ by code, the worker's metrics from its log
// and the status chart.
func checkConsoleOverview(t *testing.T, dom string, ids map[string]string) {
	t.Helper()
	row := regexp.MustCompile(`<tr class="job" data-job="` + ids["receipt.png"] + `">.*?</tr>`).FindString(dom)
	if !strings.Contains(row, "SUCCEEDED") || !strings.Contains(row, "4 lines: Corner Bakery") {
		t.Errorf("the overview's row of the page: %q", row)
	}
	if !strings.Contains(dom, `data-job="`+ids["torn.png"]+`"`) || !regexp.MustCompile(`<td>undecodable_image</td><td class="num">1</td>`).MatchString(dom) {
		t.Errorf("the overview lacks the failed job or the DLQ by code:\n%s", dom)
	}
	if !regexp.MustCompile(`<td>infer</td><td class="num">[0-9.]+</td>`).MatchString(dom) || !regexp.MustCompile(`[1-9][0-9]* jobs, [0-9]+ inferences in [1-9][0-9]* invocations`).MatchString(dom) {
		t.Errorf("the overview lacks the worker's metrics from its log:\n%s", dom)
	}
	if n := strings.Count(dom, `<rect class="SUCCEEDED"`); n == 0 {
		t.Errorf("no bar of succeeded jobs in the status chart")
	}
}

// checkConsoleJobs: each kind of result drawn as a person reads it.
func checkConsoleJobs(t *testing.T, doms map[string]string) {
	t.Helper()
	if dom := doms["receipt"]; strings.Count(dom, `<polygon class="line"`) != 4 || !strings.Contains(dom, "Total 9.00") {
		t.Errorf("the page's job shows %d lines drawn, want 4:\n%s", strings.Count(dom, `<polygon class="line"`), dom)
	}
	if dom := doms["csv"]; !strings.Contains(dom, "4 records: 3 succeeded, 1 failed") {
		t.Errorf("the record file's job:\n%s", dom)
	}
	if dom := doms["text"]; !regexp.MustCompile(`dimension [1-9][0-9]*, norm [0-9.]+; first values \[`).MatchString(dom) {
		t.Errorf("the embedding's job:\n%s", dom)
	}
	if dom := doms["iris"]; !regexp.MustCompile(`<tr class="label"><td>setosa</td><td class="num">(0\.9|1\.0)`).MatchString(dom) {
		t.Errorf("the classification's job:\n%s", dom)
	}
	if dom := doms["boxes"]; strings.Count(dom, `<polygon class="box"`) == 0 || !strings.Contains(dom, "red thing") {
		t.Errorf("the detector's job shows %d boxes drawn:\n%s", strings.Count(dom, `<polygon class="box"`), dom)
	}
}

// checkConsolePDF: each page of the PDF's job is drawn with its lines, and
// page 2's image is served.
func checkConsolePDF(t *testing.T, dom, base, id string) {
	t.Helper()
	for _, n := range []string{"1", "2"} {
		fig := regexp.MustCompile(`(?s)<figure class="page-view" data-page="` + n + `">.*?</figure>`).FindString(dom)
		if !strings.Contains(fig, `<img src="/jobs/`+id+`/pages/`+n+`"`) || !strings.Contains(fig, `<polygon class="line"`) {
			t.Errorf("the PDF's page %s is not drawn with its lines: %q", n, fig)
		}
	}
	if img := consoleImage(t, base+"/jobs/"+id+"/pages/2?key=console-key"); img.Bounds().Dx() < 100 {
		t.Errorf("the PDF's page 2 rendered %v", img.Bounds())
	}
}

// consoleRun is the local system the console shows: its resources, the
// adapters that reach them, and the function's log.
type consoleRun struct {
	spec store.ProvisionSpec
	prov store.Provisioned
	a    *store.Adapters
	log  string
}

// consoleSystem runs the local system with page OCR (the default) and the
// iris forest; the function's log is the console's metrics log.
func consoleSystem(t *testing.T) *consoleRun {
	t.Helper()
	name := resourceName(t)
	log := filepath.Join(t.TempDir(), "function.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	opts := local.SystemOptions{
		Resources: store.ProvisionSpec{InputBucket: "in-" + name, ResultsBucket: "out-" + name,
			Queue: "q-" + name, DLQ: "dlq-" + name, Table: "t-" + name, MaxReceives: 3},
		RIEPath: testenv.Tool(t, "aws-lambda-rie"), Binary: binary, ORTLib: testenv.ORTLib(t),
		Models: []string{testenv.ModelDir(t, "ppocr-page"), testenv.ModelDir(t, "iris-rf"),
			filepath.Join(testenv.CacheDir(), "models", "text", "minilm-embed"), yoloFolder(t)},
		FunctionEnv: append(emu.Environ(), "BATCHINFER_ROUTES=pics/=boxes,docs/=ppocr-page"), FunctionTimeout: 30 * time.Second, Window: 200 * time.Millisecond, FunctionOutput: f,
		Inbox: local.InboxOptions{Deliver: true, StatePath: filepath.Join(t.TempDir(), "inbox.json")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sys, err := local.StartSystem(ctx, emu.Config(ctx), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Stop() })
	a := store.OpenWith(emu.Config(context.Background()), store.OpenOptions{QueueURL: sys.Prov.QueueURL, DLQURL: sys.Prov.DLQURL, ResultsTable: opts.Resources.Table})
	return &consoleRun{spec: opts.Resources, prov: sys.Prov, a: a, log: log}
}

// sendJobs sends inline jobs to the jobs queue.
func (run *consoleRun) sendJobs(t *testing.T, bodies ...string) {
	t.Helper()
	msgs := make([]store.OutMessage, len(bodies))
	for i, b := range bodies {
		msgs[i] = store.OutMessage{Body: b}
	}
	if _, err := run.a.Queue.Send(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

// exampleFile is a file of examples/inbox.
func exampleFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "inbox", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// twoPagePDF is a scanned PDF of two pages of text lines.
func twoPagePDF(t *testing.T) []byte {
	t.Helper()
	pages := textimg.Pages(2, 7)
	pdf, err := docmake.ScannedPDF(pages[0].Data, pages[1].Data)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// consoleImage fetches a picture the console serves.
func consoleImage(t *testing.T, url string) image.Image {
	t.Helper()
	resp, body := get(t, url)
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Fatalf("GET %s: %d %s %.200q: %v", url, resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
	}
	return img
}

// dropFiles puts files (key: content) into the inbox and waits for their
// jobs, and those already sent, to finish; it returns each key's job id.
func (run *consoleRun) dropFiles(t *testing.T, files map[string][]byte) map[string]string {
	t.Helper()
	ctx := context.Background()
	inbox := run.spec.InputBucket
	ids := map[string]string{}
	for n, data := range files {
		out, err := run.a.Objects.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(inbox), Key: aws.String(n), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = jobs.ObjectJobID(inbox, n, "", aws.ToString(out.ETag))
	}
	wait := maps.Clone(ids)
	wait["text"], wait["iris"] = "console-text", "console-iris"
	r := run.a.Results
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		done := 0
		for _, id := range wait {
			if rec, err := r.Get(ctx, id); err == nil && rec != nil && rec.Status.Final() {
				done++
			}
		}
		if done == len(wait) {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs finished", done, len(wait))
		}
	}
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
	}
	t.Fatalf("nothing answers at %s", url)
}

// chromium runs headless Chromium on url with the given flags.
func chromium(browser, dir, url string, flags ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + dir, "--virtual-time-budget=5000"}, flags...)
	out, err := exec.CommandContext(ctx, browser, append(args, url)...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return nil, fmt.Errorf("chromium %s: %v\n%s", url, err, stderr)
	}
	return out, nil
}

// chromiumDOMs loads each page (name: url) in its own headless Chromium,
// all at once (a browser spends its ~3 s start mostly waiting), and
// returns each page's DOM after it loaded.
func chromiumDOMs(t *testing.T, browser string, urls map[string]string) map[string]string {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	doms, errs := map[string]string{}, []error{}
	for name, url := range urls {
		dir := t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			out, err := chromium(browser, dir, url, "--dump-dom")
			t.Logf("%s loaded in %.1fs", name, time.Since(t0).Seconds())
			mu.Lock()
			defer mu.Unlock()
			doms[name] = string(out)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	return doms
}

func chromiumScreenshot(t *testing.T, browser, url string) image.Image {
	t.Helper()
	path := filepath.Join(cmp.Or(os.Getenv("CONSOLE_TEST_SHOTS"), t.TempDir()), "shot.png")
	if _, err := chromium(browser, t.TempDir(), url, "--screenshot="+path, "--window-size=1000,1000"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	return img
}

// strokePixels counts pixels of the lines' outline colour (#0b5cad) and
// dark pixels (text, ink) in a screenshot.
func strokePixels(img image.Image) (blue, ink int) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if absDiff(r, 0x0b) < 40 && absDiff(g, 0x5c) < 40 && absDiff(bl, 0xad) < 40 {
				blue++
			}
			if r+g+bl < 200 {
				ink++
			}
		}
	}
	return blue, ink
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
