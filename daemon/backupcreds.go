package daemon

import (
	"fmt"
	"os"
	"strings"
)

// backupCredentials reads the S3 backup store's access and secret key from path (two lines) at
// each backup or restore relay, so a rotated file takes effect without a restart; nil without a
// file. The keys go to executors in the relay only, never into ZooKeeper.
func backupCredentials(path string) func() (string, string, error) {
	if path == "" {
		return nil
	}
	return func() (string, string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", "", err
		}
		lines := strings.Fields(string(b))
		if len(lines) != 2 {
			return "", "", fmt.Errorf("%s: want two lines, the access key and the secret key; got %d fields", path, len(lines))
		}
		return lines[0], lines[1], nil
	}
}
