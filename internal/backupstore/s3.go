package backupstore

import (
	"fmt"
	"net/url"
)

// newS3Store is the S3-compatible store. Not built yet: a URL naming one is refused with a clear
// error rather than half-working (docs/operations.md, "Backing up and restoring").
func newS3Store(u *url.URL, _ Credentials) (Store, error) {
	return nil, fmt.Errorf("backup store %s://%s: S3 stores are not supported yet; use a shared file system path (file:///...)", u.Scheme, u.Host)
}
