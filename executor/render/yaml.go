package render

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cassmesos/cassmesos/internal/specrules"
)

// Settings are the cassandra.yaml values cassmesos owns for one node.
type Settings struct {
	ClusterName    string
	NumTokens      int
	Seeds          []string
	Address        string
	StoragePort    uint32
	SSLStoragePort uint32
	NativePort     uint32
	Snitch         string
	// DataDir is the absolute directory (on the persistent volume) under which data, commitlog,
	// hints, saved_caches and cdc_raw live.
	DataDir       string
	AutoBootstrap bool
	// InitialTokens, when set, renders initial_token (comma-separated) and num_tokens is then
	// their count; empty removes initial_token (Cassandra picks the tokens).
	InitialTokens []string
	// Extras are further top-level keys; each value is parsed as YAML ("64" is a number,
	// "[a, b]" a list). Keys cassmesos owns are refused.
	Extras map[string]string
	// TLS, when set, renders server_encryption_options and client_encryption_options; nil leaves
	// the distribution's (unencrypted) ones.
	TLS *TLSSettings
	// AutoRepair, when set, renders the auto_repair section (Cassandra 5's Auto Repair on for
	// these types); nil removes the section.
	AutoRepair *AutoRepair
}

// AutoRepair is the auto_repair section cassmesos renders.
type AutoRepair struct {
	// Types to enable ("full", ...); the others are rendered disabled.
	Types []string
	// MinInterval is min_repair_interval of each enabled type.
	MinInterval time.Duration
}

// ErrOwnedKey is wrapped by the error for an extra cassandra.yaml key cassmesos owns.
var ErrOwnedKey = specrules.ErrOwnedKey

// OwnedKey reports whether cassmesos owns the top-level cassandra.yaml key (specrules' list,
// the one the daemon refuses too).
func OwnedKey(key string) bool { return specrules.OwnedYAMLKey(key) }

// Directory names under Settings.DataDir.
const (
	DataSubdir        = "data"
	CommitlogSubdir   = "commitlog"
	HintsSubdir       = "hints"
	SavedCachesSubdir = "saved_caches"
	CDCRawSubdir      = "cdc_raw"
)

// Validate checks the settings before rendering, with the rules the daemon checks ring specs
// with (internal/specrules) where the two overlap.
func (s Settings) Validate() error {
	if err := specrules.ClusterName("cluster_name", s.ClusterName); err != nil {
		return err
	}
	if s.NumTokens < 0 || s.NumTokens > specrules.MaxNumTokens {
		return fmt.Errorf("num_tokens: %d is out of range", s.NumTokens)
	}
	if err := specrules.NumTokens("num_tokens", int32(s.NumTokens)); err != nil {
		return err
	}
	if err := specrules.Snitch("endpoint_snitch", s.Snitch); err != nil {
		return err
	}
	if err := specrules.InitialTokens("initial_token", s.InitialTokens); err != nil {
		return err
	}
	if n := len(s.InitialTokens); n > 0 && n != s.NumTokens {
		return fmt.Errorf("initial_token: %d tokens but num_tokens is %d", n, s.NumTokens)
	}
	if err := specrules.Ports("", specrules.PortSet{Storage: s.StoragePort, SSLStorage: s.SSLStoragePort,
		Native: s.NativePort, SkipJMX: true}); err != nil {
		return err
	}
	switch {
	case s.Address == "":
		return errors.New("address: empty")
	case len(s.Seeds) == 0:
		return errors.New("seeds: none given")
	case s.DataDir == "" || !strings.HasPrefix(s.DataDir, "/"):
		return fmt.Errorf("data directory %q: must be absolute", s.DataDir)
	}
	for _, seed := range s.Seeds {
		if strings.TrimSpace(seed) == "" || strings.Contains(seed, ",") {
			return fmt.Errorf("seeds: bad seed %q", seed)
		}
	}
	if err := s.TLS.validate(); err != nil {
		return err
	}
	keys := make([]string, 0, len(s.Extras))
	for k := range s.Extras {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := specrules.YAMLKey(fmt.Sprintf("cassandra_yaml[%q]", k), k); err != nil {
			return err
		}
	}
	if s.AutoRepair != nil {
		if err := specrules.AutoRepair("auto_repair.", s.AutoRepair.Types, s.AutoRepair.MinInterval); err != nil {
			return err
		}
	}
	return nil
}

// OverlayYAML returns src (a cassandra.yaml) with the owned keys set from s and the extras
// merged in. Comments, key order and every key cassmesos does not own are kept. Keys missing from
// src (data_file_directories is commented out in Apache's file) are appended at the end.
func OverlayYAML(src []byte, s Settings) (out []byte, err error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	defer func() {
		// yaml.v3 has panicked on hostile input in the past; a bad file is an error, never a crash.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("cassandra.yaml: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("cassandra.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("cassandra.yaml: empty document")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("cassandra.yaml: top level is not a mapping (line %d)", root.Line)
	}
	if err := checkUniqueKeys(root); err != nil {
		return nil, err
	}

	dir := strings.TrimRight(s.DataDir, "/")
	setScalar(root, "cluster_name", strNode(s.ClusterName))
	setScalar(root, "num_tokens", intNode(int64(s.NumTokens)))
	setSeeds(root, strings.Join(s.Seeds, ","))
	setScalar(root, "storage_port", intNode(int64(s.StoragePort)))
	setScalar(root, "ssl_storage_port", intNode(int64(s.SSLStoragePort)))
	deleteKey(root, "listen_interface")
	deleteKey(root, "rpc_interface")
	setScalar(root, "listen_address", strNode(s.Address))
	setScalar(root, "native_transport_port", intNode(int64(s.NativePort)))
	setScalar(root, "rpc_address", strNode(s.Address))
	setScalar(root, "broadcast_rpc_address", strNode(s.Address))
	setScalar(root, "endpoint_snitch", strNode(s.Snitch))
	setScalar(root, "data_file_directories", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq",
		Content: []*yaml.Node{strNode(dir + "/" + DataSubdir)}})
	setScalar(root, "commitlog_directory", strNode(dir+"/"+CommitlogSubdir))
	setScalar(root, "hints_directory", strNode(dir+"/"+HintsSubdir))
	setScalar(root, "saved_caches_directory", strNode(dir+"/"+SavedCachesSubdir))
	setScalar(root, "cdc_raw_directory", strNode(dir+"/"+CDCRawSubdir))
	setScalar(root, "auto_bootstrap", boolNode(s.AutoBootstrap))
	if len(s.InitialTokens) > 0 {
		setScalar(root, "initial_token", strNode(strings.Join(s.InitialTokens, ",")))
	} else {
		deleteKey(root, "initial_token")
	}
	if s.TLS != nil {
		setEncryption(root, s.TLS)
	}
	if s.AutoRepair != nil {
		setScalar(root, "auto_repair", autoRepairNode(*s.AutoRepair))
	} else {
		deleteKey(root, "auto_repair")
	}

	keys := make([]string, 0, len(s.Extras))
	for k := range s.Extras {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := extraValue(k, s.Extras[k])
		if err != nil {
			return nil, err
		}
		setScalar(root, k, v)
	}

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

// autoRepairNode renders the auto_repair mapping: the scheduler on, each repair type enabled or
// not, the enabled ones with min_repair_interval.
func autoRepairNode(a AutoRepair) *yaml.Node {
	on := map[string]bool{}
	for _, t := range a.Types {
		on[t] = true
	}
	mapping := func(kv ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
	}
	var overrides []*yaml.Node
	for _, t := range specrules.AutoRepairTypes {
		tm := mapping(strNode("enabled"), boolNode(on[t]))
		if on[t] {
			tm.Content = append(tm.Content, strNode("min_repair_interval"), strNode(DurationSpec(a.MinInterval)))
		}
		overrides = append(overrides, strNode(t), tm)
	}
	return mapping(strNode("enabled"), boolNode(true), strNode("repair_type_overrides"), mapping(overrides...))
}

// DurationSpec writes d as Cassandra's duration settings take it: whole hours, minutes or seconds
// ("24h", "90m", "45s"); at least one second.
func DurationSpec(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(max(int64(d/time.Second), 1), 10) + "s"
}

// spaceSections puts back the blank line yaml.v3 drops before a top-level comment block, so the
// rendered file reads like the distribution's.
func spaceSections(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	out := make([]byte, 0, len(b)+len(lines))
	prevCode := false
	for _, l := range lines {
		isComment := bytes.HasPrefix(l, []byte("#"))
		if isComment && prevCode {
			out = append(out, '\n')
		}
		out = append(out, l...)
		prevCode = len(bytes.TrimSpace(l)) > 0 && !isComment
	}
	return out
}

func checkUniqueKeys(m *yaml.Node) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("cassandra.yaml: line %d: non-scalar key", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("cassandra.yaml: line %d: key %q appears twice", k.Line, k.Value)
		}
		seen[k.Value] = true
	}
	return nil
}

// extraValue parses one extra value as a YAML fragment, with the daemon's rule for it.
func extraValue(key, raw string) (*yaml.Node, error) {
	return specrules.YAMLValue(fmt.Sprintf("cassandra_yaml[%q]", key), key, raw)
}

func strNode(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
func intNode(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}
func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

// find returns the index of key's value node in mapping m, or -1.
func find(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return i + 1
		}
	}
	return -1
}

// setScalar sets key to v in mapping m, keeping the old value's line comment, or appends it.
func setScalar(m *yaml.Node, key string, v *yaml.Node) {
	if i := find(m, key); i >= 0 {
		old := m.Content[i]
		if v.Kind == yaml.ScalarNode && old.Kind == yaml.ScalarNode {
			v.LineComment = old.LineComment
			if v.Tag == "!!str" && (old.Style == yaml.SingleQuotedStyle || old.Style == yaml.DoubleQuotedStyle) {
				v.Style = old.Style
			}
		}
		m.Content[i] = v
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func deleteKey(m *yaml.Node, key string) {
	if i := find(m, key); i >= 0 {
		m.Content = append(m.Content[:i-1], m.Content[i+1:]...)
	}
}

// setSeeds sets seed_provider[0].parameters[0].seeds, keeping the provider's class and its
// comments. A seed_provider of another shape is replaced by SimpleSeedProvider.
func setSeeds(root *yaml.Node, seeds string) {
	seedNode := strNode(seeds)
	seedNode.Style = yaml.DoubleQuotedStyle
	if i := find(root, "seed_provider"); i >= 0 {
		sp := root.Content[i]
		if sp.Kind == yaml.SequenceNode && len(sp.Content) > 0 && sp.Content[0].Kind == yaml.MappingNode {
			prov := sp.Content[0]
			if j := find(prov, "parameters"); j >= 0 {
				params := prov.Content[j]
				if params.Kind == yaml.SequenceNode && len(params.Content) > 0 && params.Content[0].Kind == yaml.MappingNode {
					setScalar(params.Content[0], "seeds", seedNode)
					return
				}
			}
		}
	}
	provider := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		strNode("class_name"), strNode("org.apache.cassandra.locator.SimpleSeedProvider"),
		strNode("parameters"), {Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{
			{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode("seeds"), seedNode}},
		}},
	}}
	setScalar(root, "seed_provider", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{provider}})
}
