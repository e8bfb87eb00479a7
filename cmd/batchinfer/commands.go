package main

import "github.com/batchinfer/batchinfer/settings"

// commands is every subcommand, by name; `batchinfer help` lists them.
var commands = map[string]entry{
	"lambda": {
		summary: "run the Lambda handler (the default under the Lambda runtime)",
		new:     fresh[lambdaCmd],
	},
	"poll": {
		summary: "poll the jobs queue and run the worker outside Lambda (ECS, EKS, a GPU box)",
		usage:   "(configuration from " + settings.Prefix + "* variables, " + settings.QueueURL.Name + " required)",
		new:     fresh[pollCmd],
	},
	"isolate": {
		summary: "internal: run suspected crashers' inputs for the worker (request on stdin, JSON answer on stdout)",
		usage:   "(started by the worker; models and inputs arrive on stdin)",
		new:     fresh[isolateCmd],
	},
	"api": {
		summary: "serve the HTTP API (POST /v1/jobs, GET /v1/jobs/{id}, POST /v1/uploads) against AWS_ENDPOINT_URL*",
		usage:   "[--addr 127.0.0.1:8080]  (keys in " + settings.APIKeys.Name + ", rate in " + settings.APIRate.Name + ")",
		new:     fresh[apiCmd],
	},
	"console": {
		summary: "a local web page: jobs by status over time, the worker's throughput and latency, the DLQ by code, each result drawn",
		usage:   "[--addr 127.0.0.1:8090] [--table T] [--dlq-url URL] [--metrics-log FILE] [--since 24h]  (a key from the API's keys when they are set)",
		new:     fresh[consoleCmd],
	},
	"uploads": {
		summary: "the stack's uploads function: POST /v1/uploads behind API Gateway (the default under Lambda when the handler is \"uploads\")",
		new:     fresh[uploadsCmd],
	},
	"submit": {
		summary: "send work: files and folders to the inbox, job lines or inline jobs to the queue; print the job ids",
		usage:   "[flags] (PATH... | s3://bucket/key... | --jobs FILE.jsonl | --features JSON | --file F | -)",
		new:     fresh[submitCmd],
	},
	"results": {
		summary: "show job items by id or by status: a table on a terminal, JSON lines otherwise; --wait until jobs finish",
		usage:   "[--table T] [--json] [--output] [--wait 30s] (JOB_ID... | --input s3://bucket/key) | --status FAILED|SUCCEEDED|IN_PROGRESS [--since 1h] [--limit N]",
		new:     fresh[resultsCmd],
	},
	"watch": {
		summary: "follow the completion events on a queue subscribed to the topic: a line per finished job",
		usage:   "[--queue-url URL] [--json] [--count N] [--for 10m]",
		new:     fresh[watchCmd],
	},
	"jobid": {
		summary: "print the job id an S3 object gets (derived from bucket, key and version, or ETag)",
		usage:   "s3://bucket/key... [--version V | --etag E]  (without either, the object's own, read with HeadObject)",
		new:     fresh[jobidCmd],
	},
	"reprocess": {
		summary: "run finished jobs again (failed ones, or those of an older model version)",
		usage:   "--status FAILED|SUCCEEDED [--since 24h] [--code CODE] [--model-version-not V] [--queue-url URL] [--table T] [--dry-run]",
		new:     fresh[reprocessCmd],
	},
	"dlq": {
		summary: "list, redrive or purge the dead-letter queue (list|redrive|purge)",
		usage:   "list [--dlq-url URL] [--max N] | redrive --to QUEUE_URL [--dlq-url URL] [--max N] | purge [--dlq-url URL]",
		subs:    []string{"list", "redrive", "purge"},
		new:     fresh[dlqCmd],
	},
	"stats": {
		summary: "summarise the worker's EMF metrics from its log lines (files or stdin): jobs, failures by code, latencies, cost",
		usage:   "[--namespace NS] [--function NAME] [--json] [--log-group GROUP [--since 1h]] [LOGFILE ... | -]",
		new:     fresh[statsCmd],
	},
	"predict": {
		summary: "run a model on files (or tabular JSON lines from stdin) and print JSON lines",
		usage:   "--model DIR [--batch N] FILE... (- reads JSON lines from stdin)",
		new:     fresh[predictCmd],
	},
	"tokenize": {
		summary: "print what a text model sees: ids, attention mask, tokens and offsets for each line (text, or {\"text\", \"text_pair\"})",
		usage:   "--model DIR [--max-length N] [FILE|-]",
		new:     fresh[tokenizeCmd],
	},
	"bench": {
		summary: "measure raw ONNX Runtime vs the full pipeline vs batch 1, side by side (JSON)",
		usage:   "--model DIR [--batch N] [--sweep] [--sizes 1,8,32]",
		new:     fresh[benchCmd],
	},
	"local": {
		summary: "the system on one machine against local emulators: up, down, run, esm, demo",
		usage:   localUsage,
		subs:    []string{"up", "down", "run", "esm", "demo"},
		new:     fresh[localCmd],
	},
}
