package specrules

import (
	"bytes"
	"unicode"

	"gopkg.in/yaml.v3"
)

// YAMLValue checks one cassandra_yaml value and returns it parsed, the node the executor merges
// into cassandra.yaml (an empty value is YAML null, as Cassandra's own file writes unset keys).
// The value must be one line of YAML (a scalar, "[a, b]" or "{a: 1}"), valid UTF-8, without
// control characters, explicit tags, anchors, aliases or duplicate mapping keys, and must survive
// being written into a cassandra.yaml and read back. field names it in errors; key is the
// cassandra.yaml key it is set under.
func YAMLValue(field, key, raw string) (node *yaml.Node, err error) {
	if err := Text(field, raw); err != nil {
		return nil, err
	}
	for _, r := range raw {
		switch {
		case isLineBreak(r):
			return nil, bad(field, raw, "has a line break %q (one line of YAML only)", r)
		case r == '\t':
		case unicode.IsControl(r) || r == '\uFEFF':
			return nil, bad(field, raw, "has the control character %q", r)
		}
	}
	defer func() {
		// yaml.v3 has panicked on hostile input in the past: a bad value is an error, never a crash.
		if r := recover(); r != nil {
			node, err = nil, bad(field, raw, "is not YAML: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, bad(field, raw, "is not YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}, nil
	}
	v := doc.Content[0]
	if err := checkNode(field, raw, v); err != nil {
		return nil, err
	}
	clearPositions(v)
	// Round trip: the value written under its key must read back as the same data.
	var want any
	if err := v.Decode(&want); err != nil {
		return nil, bad(field, raw, "cannot be read as YAML data: %v", err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	wrapped := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v}}
	if err := enc.Encode(wrapped); err != nil {
		return nil, bad(field, raw, "cannot be written to cassandra.yaml: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, bad(field, raw, "cannot be written to cassandra.yaml: %v", err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
		return nil, bad(field, raw, "does not read back from cassandra.yaml: %v", err)
	}
	if _, ok := back[key]; !ok || len(back) != 1 {
		return nil, bad(field, raw, "does not read back from cassandra.yaml as one key")
	}
	return v, nil
}

// checkNode refuses what yaml.v3 parses but Cassandra's loader (SnakeYAML, into typed Config
// fields) would not take the same way: explicit tags, anchors and aliases, complex and duplicate
// mapping keys.
func checkNode(field, raw string, n *yaml.Node) error {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return bad(field, raw, "anchors and aliases are not allowed")
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return bad(field, raw, "explicit tags (%s) are not allowed", n.Tag)
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return bad(field, raw, "mapping keys must be scalars")
			}
			if seen[k.Value] {
				return bad(field, raw, "mapping key %q appears twice", k.Value)
			}
			seen[k.Value] = true
		}
	}
	for _, c := range n.Content {
		if err := checkNode(field, raw, c); err != nil {
			return err
		}
	}
	return nil
}

func clearPositions(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		clearPositions(c)
	}
}
