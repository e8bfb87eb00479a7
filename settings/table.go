package settings

// The table: one line per variable. Defaults are what an unset variable
// means (a reader may compute it when it is "": see the doc).
var (
	// The worker (function and poller).
	Models             = add("MODELS", List, "", Worker, "model folders or s3://bucket/prefix/, comma-separated; the first is the default model (required; `batchinfer api`: the models predict serves)", API)
	ModelCache         = add("MODEL_CACHE", Text, "/tmp/batchinfer-models", Worker, "where s3:// models are copied, kept by ETag")
	ResultsTable       = add("RESULTS_TABLE", Text, "", Worker, "the DynamoDB results table, key job_id (required)", API, CLI)
	ResultsBucket      = add("RESULTS_BUCKET", Text, "", Worker, "the bucket for full outputs (required)")
	ResultsPrefix      = add("RESULTS_PREFIX", Text, "results/", Worker, "key prefix of full outputs")
	DLQURL             = add("DLQ_URL", Text, "", Worker, "the dead-letter queue (required)", CLI)
	QueueURL           = add("QUEUE_URL", Text, "", Worker, "the jobs queue: reprocess requests, record-file continuations, poll, submit", Poll, API, CLI)
	InputBuckets       = add("INPUT_BUCKETS", List, "", Worker, "the only buckets S3 inputs may come from, comma-separated", API, CLI)
	MaxInputBytes      = add("MAX_INPUT_BYTES", Int, "10485760", Worker, "input size cap, checked before and during the read", API)
	MaxReceives        = add("MAX_RECEIVES", Int, "5", Worker, "the queue's maxReceiveCount: at this receive a transient failure is retries_exhausted")
	ResultTTL          = add("RESULT_TTL", Duration, "720h", Worker, "items expire (expires_at) this long after completion")
	AWSConcurrency     = add("AWS_CONCURRENCY", Int, "0", Worker, "concurrent AWS calls per invocation (0: as many as the batch has jobs, at most 256)")
	FetchConcurrency   = alias(AWSConcurrency, "FETCH_CONCURRENCY")
	Routes             = add("ROUTES", Text, "", Worker, "prefix=model,...: the model of an S3 input that names none, by longest key prefix")
	Claim              = add("CLAIM", Text, "auto", Worker, "always: claim every job before its work; auto: record files and CLAIM_MODELS only")
	ClaimModels        = add("CLAIM_MODELS", List, "", Worker, "models whose jobs are claimed under CLAIM=auto")
	MaxRecordFileBytes = add("MAX_RECORD_FILE_BYTES", Int, "1073741824", Worker, "record file size cap")
	RecordPartBytes    = add("RECORD_PART_BYTES", Int, "8388608", Worker, "a record file's output part (at least 5 MiB), each committed progress")
	Vectors            = add("VECTORS", Text, "parquet", Worker, "a record file of an embedding model also writes its vectors as parquet or npy objects (the output's vectors_uri), or off; a manifest's vectors wins")
	VectorsJSONL       = add("VECTORS_JSONL", Switch, "on", Worker, "off leaves the embeddings out of a record file's JSONL lines when its vectors have objects of their own")
	DeadlineMargin     = add("DEADLINE_MARGIN", Duration, "2s", Worker, "no new work starts with less time left in the invocation")
	IntraOpThreads     = add("INTRA_OP_THREADS", Int, "0", Worker, "ONNX Runtime threads per run (0: the CPUs the process may use)")
	MaxBatch           = add("MAX_BATCH", Int, "0", Worker, "caps rows per tensor run (0: each manifest's own)")
	LogLevel           = add("LOG_LEVEL", Text, "info", Worker, "debug, info, warn or error (JSON lines)", API)
	RetryBase          = add("RETRY_BASE", Duration, "10s", Worker, "visibility backoff of a retried message after its first receive, doubled per receive")
	RetryMax           = add("RETRY_MAX", Duration, "15m", Worker, "the backoff's ceiling (at most 12h)")
	NotifyTopicARN     = add("NOTIFY_TOPIC_ARN", Text, "", Worker, "SNS topic for completion events", CLI)
	NotifyEventBus     = add("NOTIFY_EVENT_BUS", Text, "", Worker, "EventBridge bus for completion events")
	ReuseModels        = add("REUSE_MODELS", List, "", Worker, "models whose results are reused for an input already inferred by the same model version (as a manifest's \"reuse\": true); predict reads the same entries", API)
	FeatureTables      = add("FEATURE_TABLES", List, "", Worker, "model=table,...: overrides a manifest's feature_source table per deployment", API)

	// The EMF documents and their cost (docs/observability.md).
	MetricsOn         = add("METRICS", Switch, "on", Metrics, "off writes no EMF documents")
	MetricsNamespace  = add("METRICS_NAMESPACE", Text, "batchinfer", Metrics, "CloudWatch namespace (not AWS/...)", CLI)
	MetricsFunction   = add("METRICS_FUNCTION", Text, "", Metrics, "the function dimension (unset: AWS_LAMBDA_FUNCTION_NAME, else batchinfer)")
	ContainerMemoryMB = add("CONTAINER_MEMORY_MB", Int, "1024", Metrics, "outside Lambda: the container's memory, for GB-seconds")
	ContainerVCPU     = add("CONTAINER_VCPU", Float, "", Metrics, "poll mode: the container's vCPUs, for its price (unset: the CPUs the process sees)")
	PricesFile        = add("PRICES_FILE", Text, "", Metrics, "a JSON price table laid over the built-in one")
	Price             = family("PRICE_", Float, Metrics, "one rate in USD, BATCHINFER_PRICE_<MEMBER> (members as in metrics/prices.go)")

	// The poll loop (`batchinfer poll`), on top of the worker's.
	PollBatchSize     = add("POLL_BATCH_SIZE", Int, "10", Poll, "messages per batch, at most 10000")
	PollWindow        = add("POLL_WINDOW", Duration, "1s", Poll, "longest wait to fill a batch")
	PollConcurrency   = add("POLL_CONCURRENCY", Int, "1", Poll, "batches in flight (they share the container's cost)", Metrics)
	PollWait          = add("POLL_WAIT", Duration, "20s", Poll, "long-poll wait of an idle poller, at most 20s")
	VisibilityTimeout = add("VISIBILITY_TIMEOUT", Duration, "", Poll, "visibility per receive, at least 5s (unset: the queue's)")
	PollGrace         = add("POLL_GRACE", Duration, "25s", Poll, "on SIGTERM, how long batches in flight may finish before their messages are handed back (below ECS's 30s stop timeout)")
	PollTimeout       = add("POLL_TIMEOUT", Duration, "15m", Poll, "the longest one batch may run, 5s..12h (a heartbeat keeps its messages hidden meanwhile)")

	// The HTTP API (`batchinfer api`, the uploads function).
	APIKeys        = add("API_KEYS", Text, "", API, "comma-separated keys, or sha256:HEX of a key", CLI)
	APIRate        = add("API_RATE", Float, "", API, "requests per second per key (unset: no limit)")
	APIBurst       = add("API_BURST", Int, "", API, "the rate limit's burst (unset: the rate)")
	UploadBucket   = add("UPLOAD_BUCKET", Text, "", API, "bucket of presigned uploads (unset: the first input bucket)")
	UploadPrefix   = add("UPLOAD_PREFIX", Text, "uploads/", API, "key prefix of presigned uploads")
	UploadMaxBytes = add("UPLOAD_MAX_BYTES", Int, "", API, "largest upload (unset: MAX_INPUT_BYTES, else 10 MiB)")
	UploadExpiry   = add("UPLOAD_EXPIRY", Duration, "5m", API, "how long a presigned upload URL lives, at most 168h")

	// Real-time predictions (POST /v1/predict, /v2/models/{model}/infer), in `batchinfer api` and the function.
	PredictMaxInputs  = add("PREDICT_MAX_INPUTS", Int, "64", API, "most instances in one predict request (they run as one micro-batch)", Worker)
	PredictTimeout    = add("PREDICT_TIMEOUT", Duration, "10s", API, "a predict request's deadline: past it the answer is 504 timeout (below API Gateway's 29s)", Worker)
	PredictQueueDelay = add("PREDICT_QUEUE_DELAY", Duration, "2ms", API, "`batchinfer api`: how long a predict request waits for others to share its tensor run (0: none)")

	// The operator's commands, local runs, benchmarks and scripts.
	WatchQueueURL = add("WATCH_QUEUE_URL", Text, "", CLI, "the queue subscribed to the completion topic (`watch`)")
	BenchRecords  = add("BENCH_RECORDS", List, "", Bench, "record counts of the record-file benchmark, comma-separated")
	NodeModules   = add("NODE_MODULES", Text, "", Scripts, "where the emulator launchers find fauxqs and dynalite")
	RunDir        = add("RUN_DIR", Text, "", Scripts, "pid and log folder of scripts/emulators.sh (default .cache/run)")
)
