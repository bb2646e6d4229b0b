package render

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

// Materialize writes the node's configuration: it copies the distribution's whole conf/ directory
// to p.Conf (replacing an earlier copy), renders cassandra.yaml over the distribution's own file,
// writes cassandra-rackdc.properties, the JMX password, access and nodetool credentials files
// (0600, WriteJMXFiles) and, when the ring is encrypted, the node's TLS keystore and truststore
// (0600, WriteTLSFiles), rewrites cassandra-env.sh's JMX port, and creates the data
// and log directories. It checks cfg with CheckConfig first and writes nothing when that fails.
func Materialize(cfg *cassmesosv1.NodeTaskConfig, p Paths, autoBootstrap bool) error {
	if err := CheckConfig(cfg); err != nil {
		return err
	}
	if err := CheckJMXPassword(cfg.GetJmxPassword()); err != nil {
		return err
	}
	src := filepath.Join(p.Home, "conf")
	yamlSrc, err := os.ReadFile(filepath.Join(src, "cassandra.yaml"))
	if err != nil {
		return fmt.Errorf("distribution: %w", err)
	}
	settings := SettingsFor(cfg, p.Data, autoBootstrap)
	settings.TLS = TLSSettingsFor(cfg, p.Conf)
	rendered, err := OverlayYAML(yamlSrc, settings)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(p.Conf); err != nil {
		return fmt.Errorf("conf dir: %w", err)
	}
	if err := copyDir(src, p.Conf); err != nil {
		return fmt.Errorf("copy conf: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.Conf, "cassandra.yaml"), rendered, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.Conf, "cassandra-rackdc.properties"), RackDC(cfg.GetDatacenter(), cfg.GetRack()), 0o644); err != nil {
		return err
	}
	if err := WriteJMXFiles(p.Conf, cfg.GetJmxPassword()); err != nil {
		return fmt.Errorf("JMX authentication: %w", err)
	}
	if err := WriteTLSFiles(settings.TLS, cfg); err != nil {
		return fmt.Errorf("the node's TLS files: %w", err)
	}
	envSh := filepath.Join(p.Conf, "cassandra-env.sh")
	if b, err := os.ReadFile(envSh); err == nil {
		if err := os.WriteFile(envSh, EnvSh(b, PortsOf(cfg).JMX), 0o755); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, d := range []string{DataSubdir, CommitlogSubdir, HintsSubdir, SavedCachesSubdir, CDCRawSubdir} {
		if err := os.MkdirAll(filepath.Join(p.Data, d), 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(p.Logs, 0o755)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !d.Type().IsRegular():
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
