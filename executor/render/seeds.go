package render

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// CheckSeeds checks a seed list for ReplaceSeeds: at least one entry, each an IP address.
func CheckSeeds(seeds []string) error {
	if len(seeds) == 0 {
		return errors.New("seeds: none given")
	}
	for _, s := range seeds {
		if net.ParseIP(s) == nil {
			return fmt.Errorf("seeds: %q is not an IP address", s)
		}
	}
	return nil
}

// ReplaceSeeds returns src (a rendered cassandra.yaml) with only the seed provider's seeds
// replaced by seeds; everything else is kept as it is.
func ReplaceSeeds(src []byte, seeds []string) (out []byte, err error) {
	if err := CheckSeeds(seeds); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("cassandra.yaml: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("cassandra.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("cassandra.yaml: top level is not a mapping")
	}
	setSeeds(doc.Content[0], strings.Join(seeds, ","))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("cassandra.yaml: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cassandra.yaml: encode: %w", err)
	}
	return spaceSections(buf.Bytes()), nil
}

// RewriteSeeds replaces the seeds of the rendered cassandra.yaml in conf (ReplaceSeeds), writing
// the new file beside the old one and renaming it over, so Cassandra never reads half a file.
func RewriteSeeds(conf string, seeds []string) error {
	path := filepath.Join(conf, "cassandra.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := ReplaceSeeds(src, seeds)
	if err != nil {
		return err
	}
	tmp := path + ".seeds.tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
