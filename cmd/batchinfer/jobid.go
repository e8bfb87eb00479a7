package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/batchinfer/batchinfer/jobs"
	"github.com/batchinfer/batchinfer/store"
)

// jobidCmd prints the job id an S3 object gets: from the version or ETag
// given, else from the object's own (one HeadObject).
type jobidCmd struct {
	version, etag string
}

func (f *jobidCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.version, "version", "", "the object's version id (a versioned bucket)")
	fs.StringVar(&f.etag, "etag", "", "the object's ETag, with or without its quotes (an unversioned bucket)")
}

func (f *jobidCmd) run(ctx context.Context, c call) error {
	if len(c.args) == 0 || (f.version != "" && f.etag != "") || (len(c.args) > 1 && f.version+f.etag != "") {
		c.usage()
		return fmt.Errorf("%w: give s3:// URIs, and --version or --etag (not both) only with one", errUsage)
	}
	var objs *store.Objects
	for _, uri := range c.args {
		obj, err := jobs.ParseS3URI(uri)
		if err != nil {
			return fmt.Errorf("%w: %s", errUsage, jobs.MessageOf(err))
		}
		version, etag := f.version, f.etag
		if version == "" && etag == "" {
			if objs == nil {
				if objs, err = openObjects(ctx); err != nil {
					return err
				}
			}
			if version, etag, err = objs.ObjectVersion(ctx, obj.Bucket, obj.Key); err != nil {
				return fmt.Errorf("%w (give --etag or --version for an object that is gone)", err)
			}
		}
		fmt.Fprintln(c.stdout, jobs.ObjectJobID(obj.Bucket, obj.Key, version, etag))
	}
	return nil
}

// openObjects builds an S3 client from the environment.
func openObjects(ctx context.Context) (*store.Objects, error) {
	cfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return &store.Objects{Client: store.NewS3Client(cfg)}, nil
}
