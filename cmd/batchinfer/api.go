package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/batchinfer/batchinfer/api"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
	"github.com/batchinfer/batchinfer/worker"
)

// apiCmd serves the front door over HTTP.
type apiCmd struct{ addr string }

func (a *apiCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.addr, "addr", "127.0.0.1:8080", "listen address")
}

func (a *apiCmd) run(ctx context.Context, c call) error {
	srv, adapters, err := newAPIServer(ctx, c.stderr, true)
	if err != nil {
		return err
	}
	if srv.Predict, err = apiPredictor(ctx, adapters); err != nil {
		return err
	}
	if srv.Config.QueueURL == "" || srv.Config.Table == "" {
		return fmt.Errorf("%w: %s and %s are required (`batchinfer local up` prints them)", errUsage, settings.QueueURL.Name, settings.ResultsTable.Name)
	}
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.addr, err)
	}
	fmt.Fprintf(c.stderr, "serving http://%s (queue %s, table %s); Ctrl-C stops\n", ln.Addr(), srv.Config.QueueURL, srv.Config.Table)
	if srv.Predict != nil {
		fmt.Fprintf(c.stderr, "%s\n", srv.Predict)
	}
	return serve(ctx, ln, srv.Handler())
}

// serve serves h on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop the server: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newAPIServer wires the front door to the queue, the table and the inbox
// from the environment.
func newAPIServer(ctx context.Context, stderr io.Writer, needKeys bool) (*api.Server, *store.Adapters, error) {
	cfg, err := api.LoadConfig(os.Getenv, needKeys)
	if err != nil {
		return nil, nil, err
	}
	a, err := store.Open(ctx, store.OpenOptions{QueueURL: cfg.QueueURL, ResultsTable: cfg.Table, MaxInputBytes: cfg.UploadMax})
	if err != nil {
		return nil, nil, err
	}
	up := store.NewUploads(a.Objects.Client)
	return api.New(cfg, a.Queue, a.Results, up, newLogger(stderr, settings.Current(settings.LogLevel))), a, nil
}

// uploadsCmd is the stack's uploads function.
type uploadsCmd struct{ noFlags }

func (uploadsCmd) run(ctx context.Context, c call) error {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return fmt.Errorf("%w: AWS_LAMBDA_RUNTIME_API is not set; this command runs under Lambda (`batchinfer api` serves uploads locally)", errUsage)
	}
	srv, _, err := newAPIServer(ctx, c.stderr, false)
	if err != nil {
		return err
	}
	h := srv.UploadHandler()
	lambda.StartWithOptions(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		// The same http.Handler `batchinfer api` serves, so both run the same code.
		return worker.ServeProxy(ctx, h, ev), nil
	}, lambda.WithContext(ctx))
	return nil
}
