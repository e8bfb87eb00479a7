package store

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// hostileIDs are job ids that try to steer the output key.
var hostileIDs = []string{
	"plain-id_1.2",
	"../escape",
	"../../../etc/passwd",
	"a/b/c",
	"/absolute",
	"..",
	".",
	"a%2F..%2Fb",
	"a%252F",
	"back\\slash",
	"é/ünïcödé／slash",   // U+FF0F fullwidth solidus
	"dot\u2024dot",      // one dot leader
	"new\nline\x00nul",  // control characters
	"?query#frag &amp;", // URL metacharacters
	"results/other",
}

func TestOutputsKeyStaysUnderPrefix(t *testing.T) {
	o := &Outputs{Prefix: "results/"}
	seen := map[string]string{}
	for _, id := range hostileIDs {
		key := o.Key(id)
		rest, ok := strings.CutPrefix(key, "results/")
		if !ok || strings.Contains(rest, "/") || !strings.HasSuffix(rest, ".json") {
			t.Errorf("Key(%q) = %q: not one segment under results/", id, key)
		}
		if rest == ".." || rest == "." {
			t.Errorf("Key(%q) = %q: climbs out", id, key)
		}
		back, err := url.PathUnescape(strings.TrimSuffix(rest, ".json"))
		if err != nil || back != id {
			t.Errorf("Key(%q) = %q does not unescape back (%q, %v)", id, key, back, err)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("ids %q and %q share key %q", id, other, key)
		}
		seen[key] = id
	}
	if got := (&Outputs{Prefix: "out"}).Key("x"); got != "out/x.json" {
		t.Errorf("prefix without slash: %q, want out/x.json", got)
	}
}

// TestOutputsPutLandsUnderPrefix writes every hostile id to a real bucket
// and lists it: every object is under the prefix and holds its body.
func TestOutputsPutLandsUnderPrefix(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t)
	client := NewS3Client(cfg)
	o := &Outputs{Client: client, Bucket: bucket, Prefix: "results/"}
	for _, id := range hostileIDs {
		uri, err := o.Put(ctx, id, []byte(`{"id":`+strconvQuote(id)+`}`))
		if err != nil {
			t.Fatalf("Put(%q): %v", id, err)
		}
		if want := "s3://" + bucket + "/" + o.Key(id); uri != want {
			t.Errorf("Put(%q) uri %q, want %q", id, uri, want)
		}
		got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key(id))})
		if err != nil {
			t.Fatalf("read back %q: %v", id, err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if string(body) != `{"id":`+strconvQuote(id)+`}` || aws.ToString(got.ContentType) != "application/json" {
			t.Errorf("read back %q: %q (%s)", id, body, aws.ToString(got.ContentType))
		}
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != len(hostileIDs) {
		t.Errorf("%d objects in the bucket, want %d", len(list.Contents), len(hostileIDs))
	}
	for _, obj := range list.Contents {
		if k := aws.ToString(obj.Key); !strings.HasPrefix(k, "results/") || strings.Count(k, "/") != 1 {
			t.Errorf("object %q outside results/", k)
		}
	}
	if _, err := o.Put(ctx, "", []byte("{}")); err == nil {
		t.Error("Put accepted an empty job id")
	}
	if _, err := o.Put(ctx, strings.Repeat("/", 400), []byte("{}")); err == nil {
		t.Error("Put accepted a key over 1024 bytes")
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
