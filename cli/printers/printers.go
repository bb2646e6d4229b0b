package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"
)

// Table is a header and rows, built by a pure function and rendered by RenderTable.
type Table struct {
	Header []string
	Rows   [][]string
}

// RenderTable writes t as a borderless, left-aligned table (kubectl's look): each column as wide
// as its widest cell, three spaces between columns, no trailing spaces. A table of plain ASCII
// cells (every ring and node table) is laid out directly, in time linear in its size; any other
// goes through tablewriter (display widths, multi-line cells), which gives the same layout.
func RenderTable(w io.Writer, t Table) error {
	if plainTable(t) {
		return renderPlain(w, t)
	}
	return renderTablewriter(w, t)
}

// plainTable reports whether every cell is printable ASCII without leading or trailing spaces.
func plainTable(t Table) bool {
	plain := func(c string) bool {
		if c != strings.TrimSpace(c) {
			return false
		}
		for i := 0; i < len(c); i++ {
			if c[i] < 0x20 || c[i] > 0x7e {
				return false
			}
		}
		return true
	}
	for _, c := range t.Header {
		if !plain(c) {
			return false
		}
	}
	for _, r := range t.Rows {
		if len(r) != len(t.Header) {
			return false
		}
		for _, c := range r {
			if !plain(c) {
				return false
			}
		}
	}
	return true
}

func renderPlain(w io.Writer, t Table) error {
	widths := make([]int, len(t.Header))
	for i, c := range t.Header {
		widths[i] = len(c)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var buf bytes.Buffer
	line := func(r []string) {
		start := buf.Len()
		for i, c := range r {
			buf.WriteString(c)
			if i < len(r)-1 {
				for k := len(c); k < widths[i]+3; k++ {
					buf.WriteByte(' ')
				}
			}
		}
		// Trailing spaces of empty last cells go, as with tablewriter.
		for buf.Len() > start && buf.Bytes()[buf.Len()-1] == ' ' {
			buf.Truncate(buf.Len() - 1)
		}
		buf.WriteByte('\n')
	}
	line(t.Header)
	for _, r := range t.Rows {
		line(r)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// renderTablewriter lays t out through tablewriter.
func renderTablewriter(w io.Writer, t Table) error {
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Formatting: tw.CellFormatting{AutoFormat: tw.Off}},
			Row:    tw.CellConfig{Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone}},
		}),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
	)
	table.Header(t.Header)
	for _, r := range t.Rows {
		if err := table.Append(r); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// JSON renders a message as indented protojson (lowerCamelCase names, stable spacing).
func JSON(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// YAML renders a message as YAML: its protojson mapping, keys in field order.
func YAML(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	return JSONToYAML(raw)
}

// JSONToYAML re-encodes JSON text as block-style YAML, keeping key order.
func JSONToYAML(raw []byte) ([]byte, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(raw, &node); err != nil {
		return nil, err
	}
	clearStyle(&node)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// clearStyle drops JSON's flow style and quotes; the encoder re-quotes strings that would
// otherwise read as another type ("true", "123").
func clearStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		clearStyle(c)
	}
}

// PrintMessage writes m as json or yaml.
func PrintMessage(w io.Writer, format string, m proto.Message) error {
	var (
		b   []byte
		err error
	)
	switch format {
	case "json":
		b, err = JSON(m)
	case "yaml":
		b, err = YAML(m)
	default:
		return fmt.Errorf("printers: %q is not a message format", format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// PrintNames writes one "kind/name" per line (-o name).
func PrintNames(w io.Writer, kind string, names ...string) error {
	for _, n := range names {
		if _, err := fmt.Fprintf(w, "%s/%s\n", kind, n); err != nil {
			return err
		}
	}
	return nil
}

// List prints a list response in the -o format: resp for json and yaml, kind/name per line for
// name, else the table (the caller built it for table or wide).
func List(w io.Writer, output string, resp proto.Message, kind string, names []string, table func() Table) error {
	switch output {
	case "json", "yaml":
		return PrintMessage(w, output, resp)
	case "name":
		return PrintNames(w, kind, names...)
	}
	t := table()
	if len(t.Rows) == 0 {
		return nil
	}
	return RenderTable(w, t)
}
