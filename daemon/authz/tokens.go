package authz

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Tokens is the bearer tokens file: one "token,name,role" per line ('#' starts a comment line).
// Only the tokens' SHA-256 hashes are kept in memory; a presented token is hashed and compared
// with every entry in constant time. The file must not be readable by group or others (0600); it
// is reloaded when its modification time, size or mode changes. A file that becomes unreadable, too
// open or malformed refuses every token until it is fixed (fail closed).
type Tokens struct {
	path string

	mu      sync.Mutex
	mtime   time.Time
	size    int64
	mode    os.FileMode
	entries []tokenEntry
	err     error // the last load's error: every token is refused while set
}

type tokenEntry struct {
	hash [sha256.Size]byte
	name string
	role Role
}

// LoadTokens reads the tokens file at path; an error names what is wrong with it.
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokens) reload() error {
	fi, err := os.Stat(t.path)
	if err != nil {
		return t.fail(fmt.Errorf("tokens file: %w", err))
	}
	if !fi.ModTime().Equal(t.mtime) || fi.Size() != t.size || fi.Mode() != t.mode || t.err != nil {
		t.mtime, t.size, t.mode = fi.ModTime(), fi.Size(), fi.Mode()
		entries, err := parseTokens(t.path, fi)
		if err != nil {
			return t.fail(err)
		}
		t.entries, t.err = entries, nil
	}
	return nil
}

func (t *Tokens) fail(err error) error {
	t.entries, t.err = nil, err
	return err
}

func parseTokens(path string, fi os.FileInfo) ([]tokenEntry, error) {
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tokens file %s: mode %04o lets group or others in; chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	var out []tokenEntry
	seen := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 3 {
			return nil, fmt.Errorf("tokens file %s line %d: want token,name,role", path, n)
		}
		tok, name := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
		if len(tok) < 16 {
			return nil, fmt.Errorf("tokens file %s line %d: token shorter than 16 characters", path, n)
		}
		if name == "" {
			return nil, fmt.Errorf("tokens file %s line %d: empty name", path, n)
		}
		role, err := ParseRole(strings.TrimSpace(f[2]))
		if err != nil {
			return nil, fmt.Errorf("tokens file %s line %d: %w", path, n, err)
		}
		h := sha256.Sum256([]byte(tok))
		if seen[h] {
			return nil, fmt.Errorf("tokens file %s line %d: token repeated", path, n)
		}
		seen[h] = true
		out = append(out, tokenEntry{hash: h, name: name, role: role})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return out, nil
}

// errUnknownToken: no entry matches.
var errUnknownToken = errors.New("unknown bearer token")

// Lookup returns the name and role of token (reloading the file first if it changed).
func (t *Tokens) Lookup(token string) (string, Role, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.reload(); err != nil {
		return "", RoleNone, err
	}
	h := sha256.Sum256([]byte(token))
	name, role, found := "", RoleNone, 0
	for _, e := range t.entries { // every entry, so the time taken says nothing about which matched
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			name, role, found = e.name, e.role, 1
		}
	}
	if found == 0 {
		return "", RoleNone, errUnknownToken
	}
	return name, role, nil
}
