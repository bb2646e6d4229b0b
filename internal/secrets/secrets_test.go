package secrets

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDerive(t *testing.T) {
	k1, k2 := []byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32))
	base := Derive(k1, PurposeTaskAPI, "fw", "uid", "n-0", "task.1")
	if len(base) != 43 || strings.ContainsAny(base, "+/=") {
		t.Fatalf("Derive = %q; want 43 characters of base64url", base)
	}
	if again := Derive(k1, PurposeTaskAPI, "fw", "uid", "n-0", "task.1"); again != base {
		t.Fatalf("not deterministic: %q then %q", base, again)
	}
	for name, other := range map[string]string{
		"other key":     Derive(k2, PurposeTaskAPI, "fw", "uid", "n-0", "task.1"),
		"other purpose": Derive(k1, PurposeJMX, "fw", "uid", "n-0", "task.1"),
		"other task":    Derive(k1, PurposeTaskAPI, "fw", "uid", "n-0", "task.2"),
		"shifted ids":   Derive(k1, PurposeTaskAPI, "fwu", "id", "n-0", "task.1"),
		"fewer ids":     Derive(k1, PurposeTaskAPI, "fw", "uid", "n-0"),
	} {
		if other == base {
			t.Errorf("%s gives the same secret", name)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "secret.key")
	if err := GenerateKeyFile(p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode(), err)
	}
	key, err := LoadKeyFile(p)
	if err != nil || len(key) != KeySize {
		t.Fatalf("LoadKeyFile = %d bytes, %v", len(key), err)
	}
	before, _ := os.ReadFile(p)
	if err := GenerateKeyFile(p); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second GenerateKeyFile = %v; want a refusal to overwrite", err)
	}
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Fatal("the existing key was changed")
	}

	bad := func(name, content string, mode os.FileMode) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, mode); err != nil {
			t.Fatal(err)
		}
		return f
	}
	good := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct{ file, want string }{
		{bad("open", good, 0o644), "chmod 600"},
		{bad("short", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0o600), "at least 32"},
		{bad("text", "not base64!", 0o600), "base64"},
		{filepath.Join(dir, "missing"), "no such file"},
		{dir, "not a regular file"},
	} {
		if _, err := LoadKeyFile(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadKeyFile(%s) = %v; want an error containing %q", tc.file, err, tc.want)
		}
	}
}
