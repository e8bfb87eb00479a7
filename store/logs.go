package store

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// LogEvents reads a log group's events (a function's log) through
// CloudWatch Logs FilterLogEvents, for `batchinfer stats --log-group`.
type LogEvents struct {
	Client *cloudwatchlogs.Client
}

// Copy writes the message of every event of group in [start, end) that
// matches pattern (CloudWatch Logs filter syntax; "" for all) to w, one
// per line, and returns how many it wrote. The service does the
// filtering, so only matching events cross the network.
func (l *LogEvents) Copy(ctx context.Context, group, pattern string, start, end time.Time, w io.Writer) (int, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group),
		StartTime:    aws.Int64(start.UnixMilli()),
		EndTime:      aws.Int64(end.UnixMilli()),
	}
	if pattern != "" {
		in.FilterPattern = aws.String(pattern)
	}
	n := 0
	pages := cloudwatchlogs.NewFilterLogEventsPaginator(l.Client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("filter log events of %s: %w", group, err)
		}
		for _, e := range page.Events {
			if _, err := io.WriteString(w, strings.TrimRight(aws.ToString(e.Message), "\r\n")+"\n"); err != nil {
				return n, fmt.Errorf("write log events of %s: %w", group, err)
			}
			n++
		}
	}
	return n, nil
}
