// Package secrets derives per-task secrets from a key that lives only in a file on the daemon's
// host, so that no secret has to be stored anywhere else (ZooKeeper in particular): whoever holds
// the key recomputes a secret from public IDs, whoever does not cannot.
//
// A secret is HMAC-SHA256(key, purpose ‖ ids), base64url without padding (43 characters). The
// purpose separates uses (the executor's API secret, a ring's JMX password, ...), so one
// derived secret never equals another; the IDs name what it belongs to (framework, ring UID,
// node, task ID).
package secrets

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size of a generated key in bytes; MinKeySize the least a key file may hold.
const (
	KeySize    = 32
	MinKeySize = 32
)

// Purposes of derived secrets. Each use has its own, so that secrets of different uses never
// coincide.
const (
	// PurposeTaskAPI is the bearer secret of an executor's NodeAgentService.
	PurposeTaskAPI = "cassmesos/task-api/v1"
	// PurposeJMX is a ring's JMX password.
	PurposeJMX = "cassmesos/jmx/v1"
)

// Derive returns the secret for purpose and ids under key: HMAC-SHA256 over the purpose and
// the IDs, each length-prefixed (so ("ab","c") and ("a","bc") differ), base64url-encoded without
// padding. An empty key still gives a value, but anyone who knows the IDs can compute it: use
// one only when the operator opted out of secrets (--secrets-insecure).
func Derive(key []byte, purpose string, ids ...string) string {
	m := hmac.New(sha256.New, key)
	var n [binary.MaxVarintLen64]byte
	for _, s := range append([]string{purpose}, ids...) {
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		m.Write([]byte(s))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// GenerateKeyFile writes a new random key to path (KeySize bytes, base64 text and a newline),
// readable and writable by the owner only (0600). It refuses to overwrite an existing file: a
// new key changes every derived secret, and running executors would refuse the daemon's calls.
func GenerateKeyFile(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("secret key: %s exists; it is kept (a new key would change every task's secret)", path)
	}
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("secret key: write %s: %w", path, err)
	}
	return nil
}

// LoadKeyFile reads a key written by GenerateKeyFile (base64 text; surrounding white space is
// ignored). It refuses a file that others than its owner may read or write (mode & 0077), a
// file that is not base64, and a key shorter than MinKeySize bytes; the error names the file.
func LoadKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key: %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret key: %s has mode %04o: others than its owner may access it (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("secret key: %s is not a key written by `cassmesosd secret-key init` (want base64 text): %v", path, err)
	}
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("secret key: %s holds %d bytes; want at least %d", path, len(key), MinKeySize)
	}
	return key, nil
}
