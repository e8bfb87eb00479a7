package jobs

import (
	"strings"
	"unicode/utf8"
)

// ParseS3URI parses "s3://bucket/key". The key is taken literally (not
// URL-decoded), as the AWS CLI does.
func ParseS3URI(uri string) (S3Object, error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return S3Object{}, Errorf(CodeMalformedJob, "S3 URI %q does not start with s3://", truncate(uri))
	}
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || key == "" {
		return S3Object{}, Errorf(CodeMalformedJob, "S3 URI %q has no object key (want s3://bucket/key)", truncate(uri))
	}
	if err := checkBucket(bucket); err != nil {
		return S3Object{}, err
	}
	if err := checkKey(key); err != nil {
		return S3Object{}, err
	}
	return S3Object{Bucket: bucket, Key: key}, nil
}

// checkBucket applies S3's bucket naming rules: 3-63 characters of
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit.
func checkBucket(b string) error {
	bad := len(b) < 3 || len(b) > 63
	for i := 0; !bad && i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		bad = !alnum && (c != '.' && c != '-' || i == 0 || i == len(b)-1)
	}
	if bad {
		return Errorf(CodeMalformedJob, "invalid S3 bucket name %q", truncate(b))
	}
	return nil
}

func checkKey(k string) error {
	switch {
	case k == "":
		return Errorf(CodeMalformedJob, "empty S3 object key")
	case len(k) > MaxS3KeyBytes:
		return Errorf(CodeMalformedJob, "S3 object key is %d bytes, more than %d", len(k), MaxS3KeyBytes)
	case !utf8.ValidString(k):
		return Errorf(CodeMalformedJob, "S3 object key %q is not valid UTF-8", truncate(k))
	}
	return nil
}
