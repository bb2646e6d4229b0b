package backupstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Store keeps objects in a bucket of an S3-compatible object store, under a key prefix.
type S3Store struct {
	c              *minio.Client
	bucket, prefix string
	name           string
}

// newS3Store opens s3://bucket[/prefix]?endpoint=http(s)://host:port[&region=r]. The bucket must
// exist. Credentials come from the daemon's credentials file (never from the URL).
func newS3Store(u *url.URL, creds Credentials) (Store, error) {
	q := u.Query()
	ep, _ := url.Parse(q.Get("endpoint"))
	c, err := minio.New(ep.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, ""),
		Secure:       ep.Scheme == "https",
		Region:       q.Get("region"),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("backup store s3://%s: %w", u.Host, err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3Store{c: c, bucket: u.Host, prefix: prefix, name: "s3://" + u.Host + "/" + prefix + " at " + ep.Host}, nil
}

func (s *S3Store) String() string { return s.name }

func (s *S3Store) key(k string) (string, error) {
	if err := CheckKey(k); err != nil {
		return "", err
	}
	return s.prefix + k, nil
}

func notFound(err error) bool {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r.Code == "NoSuchKey" || r.StatusCode == 404 && r.Code != "NoSuchBucket"
	}
	return false
}

// Put uploads r (multipart for large objects); S3 makes the object visible only once complete.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if _, err := s.c.PutObject(ctx, s.bucket, k, r, -1, minio.PutObjectOptions{PartSize: 16 << 20}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get opens the object; a missing one is ErrNotFound (at the first read, S3 answers lazily, so
// Get checks with a Stat first).
func (s *S3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, err
	}
	if _, err := s.Stat(ctx, key); err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return o, nil
}

// Stat gives the object's size.
func (s *S3Store) Stat(ctx context.Context, key string) (int64, error) {
	k, err := s.key(key)
	if err != nil {
		return 0, err
	}
	info, err := s.c.StatObject(ctx, s.bucket, k, minio.StatObjectOptions{})
	if notFound(err) {
		return 0, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", key, err)
	}
	return info.Size, nil
}

// List gives the keys under prefix, sorted.
func (s *S3Store) List(ctx context.Context, prefix string) ([]string, error) {
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		if err := CheckKey(p); err != nil {
			return nil, err
		}
	}
	var out []string
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue // a directory marker (some servers list them)
		}
		out = append(out, strings.TrimPrefix(o.Key, s.prefix))
	}
	sort.Strings(out)
	return out, nil
}

// Delete removes the object (a missing one is no error in S3).
func (s *S3Store) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	return s.c.RemoveObject(ctx, s.bucket, k, minio.RemoveObjectOptions{})
}
