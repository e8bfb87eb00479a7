package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// Inbox delivers the inbox bucket's object-created notifications to the
// jobs queue, as S3 does for the deployed stack (the emulators send
// none): each listing pass sends an S3-format notification for every
// object whose key, ETag and write time it has not delivered before, filtered by the
// stack's prefix and suffix. What was delivered is kept in StatePath, so a
// restart sends nothing twice; a crash between a send and the save sends
// again, which the worker's idempotency (one job id per key and ETag)
// absorbs, as it does S3's own duplicates.
type Inbox struct {
	S3             *s3.Client
	Queue          *store.Queue
	Bucket, Region string
	Prefix, Suffix string        // the notification filter, as the stack's inboxPrefix/inboxSuffix
	StatePath      string        // JSON file of delivered key → ETag and write time; "" keeps it in memory only
	Every          time.Duration // between listings; default 500ms, so a new object is sent within about a second
	Log            *slog.Logger

	delivered map[string]string
}

// Run delivers until ctx ends. A failed pass is logged and tried again.
func (in *Inbox) Run(ctx context.Context) error {
	if err := in.load(); err != nil {
		return err
	}
	every := in.Every
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	for {
		if _, err := in.Pass(ctx); err != nil && ctx.Err() == nil {
			in.log().Warn("inbox delivery pass failed; trying again", "bucket", in.Bucket, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// Pass lists the bucket once and sends what is new; it returns how many
// notifications it sent.
func (in *Inbox) Pass(ctx context.Context) (int, error) {
	if in.delivered == nil {
		if err := in.load(); err != nil {
			return 0, err
		}
	}
	var fresh []jobs.S3Object
	var marks []string
	pages := s3.NewListObjectsV2Paginator(in.S3, &s3.ListObjectsV2Input{Bucket: aws.String(in.Bucket), Prefix: nonEmpty(in.Prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, store.Classify(err, "list s3://"+in.Bucket)
		}
		for _, o := range page.Contents {
			key, etag := aws.ToString(o.Key), strings.Trim(aws.ToString(o.ETag), `"`)
			if strings.HasSuffix(key, in.Suffix) && in.delivered[key] != deliveryMark(etag, o.LastModified) {
				fresh = append(fresh, jobs.S3Object{Bucket: in.Bucket, Key: key, ETag: etag, Size: aws.ToInt64(o.Size)})
				marks = append(marks, deliveryMark(etag, o.LastModified))
			}
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	msgs := make([]store.OutMessage, len(fresh))
	for i, o := range fresh {
		msgs[i] = store.OutMessage{Body: jobs.S3Notification(in.Region, o)}
	}
	sent, err := in.Queue.Send(ctx, msgs)
	n := 0
	for i, s := range sent {
		if s.Err == nil && s.MessageID != "" {
			in.delivered[fresh[i].Key] = marks[i]
			n++
		}
	}
	if n > 0 {
		in.log().Info("inbox notifications sent", "bucket", in.Bucket, "objects", n)
	}
	return n, errors.Join(err, in.save())
}

// deliveryMark is what the state keeps of a delivered object: its ETag and
// when it was written. A rewrite of the same bytes (S3 notifies it again)
// or an object in a bucket made anew (after `local down` and `up`, or an
// emulator restart) has a new time, so it is delivered even though its
// key and ETag were seen before.
func deliveryMark(etag string, modified *time.Time) string {
	return etag + " " + aws.ToTime(modified).UTC().Format(time.RFC3339Nano)
}

func (in *Inbox) load() error {
	in.delivered = map[string]string{}
	if in.StatePath == "" {
		return nil
	}
	b, err := os.ReadFile(in.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(b, &in.delivered)
	}
	if err != nil {
		return fmt.Errorf("read the inbox delivery state %s: %w (delete it to deliver every object again)", in.StatePath, err)
	}
	return nil
}

// save writes the state through a temporary file and a rename, so a crash
// leaves the old state or the new, never half of one.
func (in *Inbox) save() error {
	if in.StatePath == "" {
		return nil
	}
	b, err := json.Marshal(in.delivered)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(in.StatePath), 0o755); err != nil {
		return fmt.Errorf("save the inbox delivery state: %w", err)
	}
	tmp := in.StatePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("save the inbox delivery state: %w", err)
	}
	if err := os.Rename(tmp, in.StatePath); err != nil {
		return fmt.Errorf("save the inbox delivery state: %w", err)
	}
	return nil
}

func (in *Inbox) log() *slog.Logger {
	if in.Log != nil {
		return in.Log
	}
	return slog.New(slog.DiscardHandler)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
