package cassandrasim

import (
	"archive/tar"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

//go:embed dist
var distFS embed.FS

// DistDirName is the top directory of the tarball, as Apache's apache-cassandra-<v>-bin.tar.gz has.
const DistDirName = "apache-cassandra-4.1-sim"

// BinaryPath is where the stand-in binary lives inside a distribution.
const BinaryPath = "lib/cassandra-sim"

// distFiles returns every file of the distribution except the binary: path, mode and content.
func distFiles() ([]distFile, error) {
	var out []distFile
	err := fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := distFS.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "dist/")
		mode := int64(0o644)
		if strings.HasPrefix(rel, "bin/") && !strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		if rel == "conf/cassandra-sim.properties" {
			b = append(b, knobsProperties()...)
		}
		out = append(out, distFile{rel, mode, b})
		return nil
	})
	return out, err
}

type distFile struct {
	path string
	mode int64
	data []byte
}

func knobsProperties() []byte {
	var b strings.Builder
	for _, k := range knobNames {
		fmt.Fprintf(&b, "\n# %s\n#%s=%s\n", k.Help, k.Name, k.Default)
	}
	return []byte(b.String())
}

// WriteLayout writes the distribution into home (bin/, conf/, lib/, logs/) with binary as
// lib/cassandra-sim.
func WriteLayout(home, binary string) error {
	files, err := distFiles()
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(home, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, os.FileMode(f.mode)); err != nil {
			return err
		}
	}
	for _, d := range []string{"logs", "lib"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("reading the stand-in binary: %w", err)
	}
	return os.WriteFile(filepath.Join(home, BinaryPath), b, 0o755)
}

// WriteTarball writes apache-cassandra-4.1-sim-bin.tar.gz content to w, with binary as the
// stand-in executable.
func WriteTarball(w io.Writer, binary string) error {
	files, err := distFiles()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("reading the stand-in binary: %w", err)
	}
	files = append(files, distFile{BinaryPath, 0o755, b})
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	now := time.Now()
	dirs := map[string]bool{}
	addDir := func(d string) error {
		if dirs[d] {
			return nil
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: DistDirName + "/" + d + "/", Mode: 0o755, ModTime: now})
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: DistDirName + "/", Mode: 0o755, ModTime: now}); err != nil {
		return err
	}
	for _, d := range []string{"bin", "conf", "lib", "logs"} {
		if err := addDir(d); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := addDir(path.Dir(f.path)); err != nil {
			return err
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: DistDirName + "/" + f.path, Mode: f.mode, Size: int64(len(f.data)), ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// ModuleRoot is the cassmesos source tree this package was compiled from.
func ModuleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the cassmesos source tree")
	}
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("cannot locate the cassmesos source tree (no go.mod in %s)", root)
	}
	return root, nil
}

// BuildBinary compiles cmd/cassandra-sim into out with the go tool.
func BuildBinary(out string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building the stand-in needs the go tool on PATH: %w", err)
	}
	cmd := exec.Command(goTool, "build", "-o", out, "./cmd/cassandra-sim")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/cassandra-sim: %v\n%s", err, b)
	}
	return nil
}

// BuildDist compiles the stand-in and lays out an unpacked distribution in dir (which becomes
// CASSANDRA_HOME). It returns dir.
func BuildDist(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, ".cassandra-sim.build")
	if err := BuildBinary(bin); err != nil {
		return "", err
	}
	defer os.Remove(bin)
	if err := WriteLayout(dir, bin); err != nil {
		return "", err
	}
	return dir, nil
}
