package cmdutil

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// ExactArgs requires exactly n positional arguments, described by what ("a ring name").
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		if len(args) < n {
			return FlagErrorf("%s needs %s (see `%s --help`)", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return FlagErrorf("%s takes %s, got %d arguments: %s", cmd.CommandPath(), what, len(args), strings.Join(args, " "))
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return FlagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
}

var ringNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// ValidateRingName checks a ring name the way the server does: [a-z][a-z0-9-]{0,39}.
func ValidateRingName(name string) error {
	if !ringNameRE.MatchString(name) {
		return FlagErrorf("ring name %q: want a lower-case letter, then lower-case letters, digits or '-', at most 40 characters", name)
	}
	return nil
}

// GroupCommand makes cmd a noun that only holds verbs: run bare it shows help; an unknown verb
// is a usage error.
func GroupCommand(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return FlagErrorf("unknown command %q for %q (see `%s --help`)", args[0], c.CommandPath(), c.CommandPath())
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return c.Help()
	}
	return cmd
}

// MutuallyExclusive returns a usage error when more than one of the named flags was set.
func MutuallyExclusive(cmd *cobra.Command, names ...string) error {
	var set []string
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 1 {
		return FlagErrorf("%s cannot be used together", strings.Join(set, " and "))
	}
	return nil
}

// FlagValueError is a usage error naming the flag whose value is wrong.
func FlagValueError(flag string, err error) error {
	return &FlagError{Err: fmt.Errorf("--%s: %w", flag, err)}
}

// FlagErrorFunc makes cobra's flag parsing errors usage errors that point at the command's help.
func FlagErrorFunc(c *cobra.Command, err error) error {
	return &FlagError{Err: fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
}
