package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/tokenizer"
)

// tokenizeCmd prints what a text model sees for each input line.
type tokenizeCmd struct {
	model     string
	maxLength int
}

func (t *tokenizeCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.model, "model", "", "model folder with tokenizer.json (and tokenizer_config.json), or a tokenizer.json")
	fs.IntVar(&t.maxLength, "max-length", 0, "truncate to this many tokens (default: the tokenizer's model_max_length; -1: never)")
}

func (t *tokenizeCmd) run(_ context.Context, c call) error {
	if t.model == "" || len(c.args) > 1 {
		return fmt.Errorf("%w: want --model DIR and at most one FILE (or -)", errUsage)
	}
	tok, err := tokenizer.Load(t.model)
	if err != nil {
		return err
	}
	in := stdin
	if len(c.args) == 1 && c.args[0] != "-" {
		f, err := os.Open(c.args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	return tokenizeLines(tok, tokenizer.Options{MaxLength: t.maxLength}, in, c.stdout)
}

type tokenizeLine struct {
	InputIDs      []int    `json:"input_ids"`
	AttentionMask []int    `json:"attention_mask"`
	TokenTypeIDs  []int    `json:"token_type_ids,omitempty"`
	Tokens        []string `json:"tokens"`
	Offsets       [][2]int `json:"offsets"`
	Truncated     bool     `json:"truncated"`
}

// tokenizeLines encodes each line: plain text, or a JSON object with
// "text" and an optional "text_pair" read as a JSONL record is (the
// worker's checks, its error codes). A bad line gets an error line.
func tokenizeLines(tok *tokenizer.Tokenizer, opts tokenizer.Options, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	withTypes := tok.Info().ReturnsTypeIDs
	for n := 1; sc.Scan(); n++ {
		text, pair, err := tokenizeInput(bytes.TrimSuffix(sc.Bytes(), []byte("\r")))
		var e tokenizer.Encoding
		if err == nil {
			e, err = tok.EncodeBytes(text, pair, opts)
		}
		if err != nil {
			code := jobs.CodeOf(err)
			if errors.Is(err, tokenizer.ErrInvalidText) {
				code = jobs.CodeInvalidText
			}
			if err := enc.Encode(map[string]any{"line": n, "error": map[string]string{"code": string(code), "message": err.Error()}}); err != nil {
				return err
			}
			continue
		}
		l := tokenizeLine{InputIDs: e.IDs, AttentionMask: e.AttentionMask, Tokens: e.Tokens, Offsets: e.Offsets, Truncated: e.Truncated}
		if withTypes {
			l.TokenTypeIDs = e.TypeIDs
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the input: %w", err)
	}
	return nil
}

// tokenizeInput reads a line that starts with "{" as a JSONL record with a
// "text" (the worker's decoder, which also refuses \u escapes of lone
// surrogates), any other line as the text itself.
func tokenizeInput(line []byte) (text, pair []byte, err error) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return line, nil, nil
	}
	rr, err := jobs.NewRecordReader(bytes.NewReader(trimmed), jobs.RecordReaderOptions{Format: jobs.FormatJSONL})
	if err != nil {
		return nil, nil, err
	}
	rec, err := rr.Next()
	switch {
	case err != nil:
		return nil, nil, err
	case rec.Err != nil:
		return nil, nil, rec.Err
	case rec.Input.Text == nil:
		return nil, nil, jobs.Errorf(jobs.CodeMalformedJob, `a JSON line needs {"text": "...", "text_pair"?: "..."}`)
	}
	text = []byte(rec.Input.Text.Text)
	if rec.Input.Text.Pair != nil {
		pair = []byte(*rec.Input.Text.Pair)
	}
	return text, pair, nil
}
