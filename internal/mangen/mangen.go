// Package mangen writes the man pages of cassmesos and cassmesosd (section 1) from their cobra
// command trees (cli.NewCmdRoot and daemon/mandoc.Command) with cobra/doc. The pages are
// committed under docs/man; `make man` rewrites them, and `make check` and TestManPagesCurrent
// fail when they are stale. `make install` installs them.
package mangen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/cassmesos/cassmesos/cli"
	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
	"github.com/cassmesos/cassmesos/daemon/mandoc"
)

// pageDate is the date in the pages' header: fixed, so that regenerating the pages changes them
// only when a command changes (SOURCE_DATE_EPOCH, when set, overrides it, as in reproducible
// builds).
var pageDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Trees are the command trees that get pages.
func Trees() []*cobra.Command {
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)}
	root := cli.NewCmdRoot(cmdutil.New(ios))
	root.DisableAutoGenTag = true
	return []*cobra.Command{root, mandoc.Command()}
}

// Pages renders every page: file name to content.
func Pages() (map[string][]byte, error) {
	date := pageDate
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		sec, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", e)
		}
		date = time.Unix(sec, 0).UTC()
	}
	tmp, err := os.MkdirTemp("", "mangen")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, root := range Trees() {
		disableAutoGen(root)
		hdr := &doc.GenManHeader{Title: strings.ToUpper(root.Name()), Section: "1", Source: "cassmesos", Manual: "cassmesos manual", Date: &date}
		if err := doc.GenManTree(root, hdr, tmp); err != nil {
			return nil, fmt.Errorf("man pages of %s: %w", root.Name(), err)
		}
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
}

func disableAutoGen(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, s := range c.Commands() {
		disableAutoGen(s)
	}
}

// Write replaces the pages in dir (every *.1 file there) with Pages.
func Write(dir string) error {
	pages, err := Pages()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, keep := pages[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, b := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
