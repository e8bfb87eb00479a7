package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// Flags may follow the arguments; "--" ends them; "-" is an argument.
func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args, pos []string
		etag      string
	}{
		{[]string{"s3://b/k", "--etag", "E"}, []string{"s3://b/k"}, "E"},
		{[]string{"--etag", "E", "a", "b"}, []string{"a", "b"}, "E"},
		{[]string{"a", "-", "--etag=E", "b"}, []string{"a", "-", "b"}, "E"},
		{[]string{"a", "--", "--etag", "E"}, []string{"a", "--etag", "E"}, ""},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		etag := fs.String("etag", "", "")
		pos, err := parseInterspersed(fs, c.args)
		if err != nil || !slices.Equal(pos, c.pos) || *etag != c.etag {
			t.Errorf("%q: args %q etag %q, %v; want %q %q", c.args, pos, *etag, err, c.pos, c.etag)
		}
	}
}
