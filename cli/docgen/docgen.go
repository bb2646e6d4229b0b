// Package docgen renders the CLI reference (docs/cli.md) from the cobra command tree, so the
// reference cannot drift from the code: a test in package cli fails when the file is stale.
//
// It imports cobra only; the tree is passed in.
package docgen

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Markdown renders every visible command under root as one Markdown page.
func Markdown(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("# cassmesos CLI reference\n\n")
	b.WriteString("<!-- Generated from the command tree by `CASSMESOS_UPDATE_DOCS=1 go test ./cli -run TestDocs`; do not edit. -->\n\n")
	b.WriteString("Exit codes: see [exit-codes.md](exit-codes.md) or `cassmesos help exit-codes`.\n\n")
	b.WriteString("## Contents\n\n")
	walk(root, func(c *cobra.Command) {
		depth := strings.Count(c.CommandPath(), " ")
		fmt.Fprintf(&b, "%s- [%s](#%s)\n", strings.Repeat("  ", depth), c.CommandPath(), anchor(c.CommandPath()))
	})
	b.WriteString("\n")
	walk(root, func(c *cobra.Command) {
		fmt.Fprintf(&b, "## %s\n\n", c.CommandPath())
		fmt.Fprintf(&b, "%s\n\n", c.Short)
		if c.Long != "" && c.Long != c.Short {
			fmt.Fprintf(&b, "```text\n%s\n```\n\n", strings.TrimRight(c.Long, "\n"))
		}
		fmt.Fprintf(&b, "Usage: `%s`\n\n", c.UseLine())
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, "Aliases: %s\n\n", strings.Join(c.Aliases, ", "))
		}
		if v, ok := c.Annotations["cassmesos/output"]; ok {
			fmt.Fprintf(&b, "Output formats (`-o`): %s\n\n", strings.ReplaceAll(v, ",", ", "))
		}
		if c.Example != "" {
			fmt.Fprintf(&b, "Examples:\n\n```sh\n%s\n```\n\n", strings.TrimRight(c.Example, "\n"))
		}
		if fl := c.LocalNonPersistentFlags(); fl.HasAvailableFlags() {
			fmt.Fprintf(&b, "Flags:\n\n```text\n%s```\n\n", fl.FlagUsagesWrapped(100))
		}
		if c == root {
			fmt.Fprintf(&b, "Global flags (every command):\n\n```text\n%s```\n\n", c.PersistentFlags().FlagUsagesWrapped(100))
		}
		var subs []string
		for _, s := range c.Commands() {
			if visible(s) {
				subs = append(subs, fmt.Sprintf("[%s](#%s)", s.Name(), anchor(s.CommandPath())))
			}
		}
		if len(subs) > 0 {
			fmt.Fprintf(&b, "Commands: %s\n\n", strings.Join(subs, ", "))
		}
	})
	return b.String()
}

func visible(c *cobra.Command) bool {
	return c.IsAvailableCommand() && c.Name() != "help"
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		if visible(s) {
			walk(s, fn)
		}
	}
}

func anchor(path string) string {
	return strings.ReplaceAll(strings.ToLower(path), " ", "-")
}
