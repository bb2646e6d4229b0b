package backup

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cassmesos/cassmesos/internal/backupstore"
)

// DeleteStats counts what Delete removed.
type DeleteStats struct {
	Manifests, Files, Bytes int64
}

// Delete removes backup id's manifests, then every blob no remaining manifest of the store
// references. It reads every remaining manifest first and removes no blob when one cannot be
// read. A backup running into the same store meanwhile could lose blobs it has uploaded but not
// yet listed in its manifest: the daemon never runs a deletion beside a backup.
func Delete(ctx context.Context, st backupstore.Store, id string) (DeleteStats, error) {
	var ds DeleteStats
	if !IDRE.MatchString(id) {
		return ds, fmt.Errorf("%w: backup ID %q", ErrInvalid, id)
	}
	keys, err := st.List(ctx, "backups/")
	if err != nil {
		return ds, err
	}
	others := map[string]string{} // manifest key -> its node, of other backups
	for _, k := range keys {
		parts := strings.Split(k, "/")
		if len(parts) != 4 || parts[3] != "manifest.json" {
			continue
		}
		if parts[1] == id {
			if err := st.Delete(ctx, k); err != nil {
				return ds, err
			}
			ds.Manifests++
			continue
		}
		others[parts[1]+"/"+parts[2]] = k
	}
	used := map[string]bool{}
	for bn := range others {
		b, n, _ := strings.Cut(bn, "/")
		m, _, err := ReadManifest(ctx, st, b, n, "")
		if err != nil {
			return ds, fmt.Errorf("not removing any stored file: %w", err)
		}
		for _, f := range m.Files {
			used[f.SHA256] = true
		}
	}
	blobs, err := st.List(ctx, "blobs/")
	if err != nil {
		return ds, err
	}
	for _, k := range blobs {
		sum := strings.TrimPrefix(k, "blobs/")
		if used[sum] || !sumRE.MatchString(sum) {
			continue
		}
		size, err := st.Stat(ctx, k)
		if err != nil && !errors.Is(err, backupstore.ErrNotFound) {
			return ds, err
		}
		if err := st.Delete(ctx, k); err != nil {
			return ds, err
		}
		ds.Files++
		ds.Bytes += size
	}
	return ds, nil
}
