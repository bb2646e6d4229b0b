package help

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cassmesos/cassmesos/cli/cmdutil"
	"github.com/cassmesos/cassmesos/cli/iostreams"
)

// ExitCodesText is the text of `cassmesos help exit-codes`.
func ExitCodesText() string {
	var b strings.Builder
	b.WriteString("cassmesos exits with one of these codes. They are stable: scripts may rely on them.\n\n")
	for _, c := range cmdutil.ExitCodes {
		lines := wrap(c.Meaning, 62)
		fmt.Fprintf(&b, "  %-4d %-20s %s\n", c.Code, c.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "  %-4s %-20s %s\n", "", "", l)
		}
	}
	b.WriteString("\nErrors are printed as one line, \"error: ...\", on standard error.\n")
	return b.String()
}

func wrap(s string, width int) []string {
	var (
		lines []string
		cur   string
	)
	for _, w := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return append(lines, cur)
}

// NewCmdExitCodes returns the exit-codes help topic, shown by `cassmesos help exit-codes`.
func NewCmdExitCodes(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "exit-codes",
		Short:  "Show the exit codes and what they mean",
		Long:   ExitCodesText(),
		Hidden: true,
		Args:   cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprint(ios.Out, ExitCodesText())
			return err
		},
	}
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		fmt.Fprint(ios.Out, ExitCodesText())
	})
	return cmd
}

// ExitCodesMarkdown is docs/exit-codes.md.
func ExitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("# cassmesos exit codes\n\n")
	b.WriteString("<!-- Generated from cli/cmdutil.ExitCodes by `CASSMESOS_UPDATE_DOCS=1 go test ./cli -run TestDocs`; do not edit. -->\n\n")
	b.WriteString("Every `cassmesos` command exits with one of these codes. They are part of the CLI's contract\n")
	b.WriteString("with scripts: a code is never renumbered, new ones are only added. `cassmesos help exit-codes`\n")
	b.WriteString("prints the same table. Errors are printed as one line, `error: ...`, on standard error, never\n")
	b.WriteString("as a stack trace. gRPC status codes from the daemon are mapped in one function,\n")
	b.WriteString("`cli/cmdutil.ExitCode`.\n\n")
	b.WriteString("| code | name | meaning |\n| --- | --- | --- |\n")
	for _, c := range cmdutil.ExitCodes {
		fmt.Fprintf(&b, "| %d | `%s` | %s |\n", c.Code, c.Name, c.Meaning)
	}
	b.WriteString(`
## gRPC status codes

| gRPC code from the daemon | exit code |
| --- | --- |
| OK | 0 |
| InvalidArgument, OutOfRange | 2 |
| Unavailable (and no answer before the deadline from a daemon never reached) | 3 |
| NotFound | 4 |
| AlreadyExists, FailedPrecondition, Aborted, PermissionDenied | 5 |
| FailedPrecondition from ` + "`repair run --if-idle`" + ` | 9 |
| DeadlineExceeded | 8 |
| Unimplemented | 10 |
| Canceled | 130 |
| anything else (Unknown, Internal, DataLoss, ResourceExhausted, Unauthenticated) | 1 |

## Examples

` + "```sh" + `
# Nightly repair from cron: skip quietly when one is still running.
cassmesos repair run demo --if-idle --wait --timeout 6h
case $? in
  0) echo "repair done" ;;
  9) echo "a repair is still running; skipped" ;;
  8) echo "repair still running after 6h; it goes on" ;;
  *) echo "repair failed"; exit 1 ;;
esac
` + "```" + `
`)
	return b.String()
}
