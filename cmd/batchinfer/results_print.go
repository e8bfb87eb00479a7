package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/batchinfer/batchinfer/client"
	"github.com/batchinfer/batchinfer/store"
)

// How `results` prints: a table on a terminal, JSON lines, or full outputs.

// printTable is the terminal view: job, input, status, model, the result
// read at a glance (shortResult) or the error, age.
func printTable(w io.Writer, recs []*store.Record, ids []string, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tINPUT\tSTATUS\tMODEL\tRESULT\tAGE")
	for i, rec := range recs {
		if rec == nil {
			fmt.Fprintf(tw, "%s\t-\tNOT_FOUND\t-\t-\t-\n", clip(ids[i], 40))
			continue
		}
		model := rec.Model
		if rec.ModelVersion != "" {
			model += "@" + rec.ModelVersion
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", clip(rec.JobID, 40), client.ShortInput(rec.Input, 32), rec.Status, orDash(model),
			clip(resultCell(rec), 70), client.Age(rec.UpdatedAt, now))
	}
	return tw.Flush()
}

// resultCell is the error (its code once, then its words), else the
// output read at a glance, else where the output is.
func resultCell(rec *store.Record) string {
	switch {
	case rec.Error != nil:
		return errorText(string(rec.Error.Code), rec.Error.Message)
	case rec.Output != nil:
		return client.Glance(rec.Output)
	case rec.OutputURI != "":
		return rec.OutputURI
	}
	return "-"
}

// errorText says a code and its message, the code once even in messages
// written before messages dropped it.
func errorText(code, msg string) string {
	msg = strings.TrimPrefix(msg, code+": ")
	if msg == "" {
		return code
	}
	return code + ": " + msg
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printItems(w io.Writer, recs []*store.Record, ids []string) error {
	enc := json.NewEncoder(w)
	for i, rec := range recs {
		var v any = map[string]string{"job_id": ids[i], "status": "NOT_FOUND"}
		if rec != nil {
			item, err := rec.JSON()
			if err != nil {
				return err
			}
			v = item
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// printOutputs prints {"job_id", "output"} per finished job: the item's
// output when it is whole, else the output object's.
func printOutputs(ctx context.Context, fetch *store.Inputs, w io.Writer, recs []*store.Record, ids []string) error {
	enc := json.NewEncoder(w)
	for i, rec := range recs {
		line := map[string]any{"job_id": ids[i]}
		out, err := client.FullOutput(ctx, fetch, rec)
		switch {
		case rec == nil:
			line["status"] = "NOT_FOUND"
		case err != nil:
			return err
		default:
			line["status"], line["output"] = rec.Status, out
			if rec.Error != nil {
				line["error"] = rec.Error
			}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}
