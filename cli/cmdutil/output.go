package cmdutil

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// OutputAnnotation lists, on a command, the -o formats it accepts (comma-separated). A command
// without it accepts only the default table output.
const OutputAnnotation = "cassmesos/output"

// Output formats.
const (
	OutputTable = "table"
	OutputWide  = "wide"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
	OutputName  = "name"
)

// AllOutputs are every format a command may accept.
var AllOutputs = []string{OutputTable, OutputWide, OutputJSON, OutputYAML, OutputName}

// EnableOutput declares the -o formats cmd accepts.
func EnableOutput(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[OutputAnnotation] = strings.Join(formats, ",")
}

// OutputFormats returns the -o formats cmd accepts.
func OutputFormats(cmd *cobra.Command) []string {
	v, ok := cmd.Annotations[OutputAnnotation]
	if !ok || v == "" {
		return []string{OutputTable}
	}
	return strings.Split(v, ",")
}

// ValidateOutput checks -o against what cmd accepts. An empty value means table.
func ValidateOutput(cmd *cobra.Command, value string) error {
	if value == "" {
		return nil
	}
	formats := OutputFormats(cmd)
	if slices.Contains(formats, value) {
		return nil
	}
	if len(formats) == 1 {
		return FlagErrorf("invalid value %q for -o: %q does not take -o", value, cmd.CommandPath())
	}
	return FlagErrorf("invalid value %q for -o: want one of %s", value, strings.Join(formats, "|"))
}

// IsStructured reports whether an -o value asks for machine output (json, yaml, name), which
// turns progress output off.
func IsStructured(output string) bool {
	return output == OutputJSON || output == OutputYAML || output == OutputName
}
