package specrules

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Defaults both the daemon (plan.ApplyDefaults) and the executor (render) fill in for zero values.
const (
	DefaultStoragePort    = 7000
	DefaultSSLStoragePort = 7001
	DefaultJMXPort        = 7199
	DefaultNativePort     = 9042
	DefaultNumTokens      = 16
	DefaultSnitch         = "GossipingPropertyFileSnitch"
	DefaultDatacenter     = "dc1"
	DefaultRack           = "rack1"
	// MaxNumTokens is the largest num_tokens accepted.
	MaxNumTokens = 1536
	// MaxClusterNameLen is the longest cluster_name accepted.
	MaxClusterNameLen = 128
)

// Error is a broken rule: the field (as the caller names it), the offending value and why.
type Error struct {
	// Field is the full field name, "spec.jvm_options[2]".
	Field string
	// Value is the offending value; shown quoted unless NoValue.
	Value string
	// NoValue leaves Value out of the message (the field already names it, as a map key does).
	NoValue bool
	// Reason says what is wrong.
	Reason string
	// Err is a sentinel the error wraps (ErrOwnedKey), nil for most rules.
	Err error
}

// ErrOwnedKey is wrapped by the error for a cassandra_yaml key cassmesos owns.
var ErrOwnedKey = errors.New("key is owned by cassmesos")

// Unwrap returns the sentinel the error wraps, if any.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.NoValue {
		return e.Field + ": " + e.Reason
	}
	return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Reason)
}

func bad(field, value, format string, args ...any) *Error {
	return &Error{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// Text checks that a string field is valid UTF-8 (protobuf refuses to encode anything else, so a
// spec with such a string could be neither stored nor sent to an executor).
func Text(field, v string) error {
	if !utf8.ValidString(v) {
		return bad(field, v, "not valid UTF-8")
	}
	return nil
}

// JVMOption checks one entry of jvm_options. cassandra-env.sh splits JVM_EXTRA_OPTS on white space
// and bin/cassandra passes it unquoted, so an option may not contain white space or control
// characters; the heap (-Xmx, -Xms, -Xmn) is set through heap_mb/heap_new_mb and node replacement
// (-Dcassandra.replace_address*) is cassmesos' own.
func JVMOption(field, o string) error {
	if err := Text(field, o); err != nil {
		return err
	}
	if !strings.HasPrefix(o, "-") || o == "-" {
		return bad(field, o, "not a JVM option (must start with -)")
	}
	for _, r := range o {
		switch {
		case r == ' ':
			return bad(field, o, "contains a space (cassandra-env.sh splits JVM_EXTRA_OPTS on white space)")
		case unicode.IsSpace(r):
			return bad(field, o, "contains white space %q (cassandra-env.sh splits JVM_EXTRA_OPTS on white space)", r)
		case unicode.IsControl(r) || r == '\uFEFF':
			return bad(field, o, "contains the control character %q", r)
		}
	}
	for _, p := range []string{"-Xmx", "-Xms", "-Xmn"} {
		if strings.HasPrefix(o, p) {
			return bad(field, o, "set the heap with heap_mb/heap_new_mb")
		}
	}
	if strings.HasPrefix(o, "-Dcassandra.replace_address") {
		return bad(field, o, "replacement is cassmesos' job (cassmesos node replace)")
	}
	return nil
}

// JVMOptions checks every option, naming them prefix+"jvm_options[i]".
func JVMOptions(prefix string, opts []string) error {
	for i, o := range opts {
		if err := JVMOption(fmt.Sprintf("%sjvm_options[%d]", prefix, i), o); err != nil {
			return err
		}
	}
	return nil
}

// ClusterName checks a cluster_name (after defaults: never empty): not blank, valid UTF-8, no
// quotes, backslashes or control characters, at most MaxClusterNameLen bytes.
func ClusterName(field, v string) error {
	if err := Text(field, v); err != nil {
		return err
	}
	if strings.TrimSpace(v) == "" {
		return bad(field, v, "empty or blank")
	}
	if len(v) > MaxClusterNameLen {
		return bad(field, v, "longer than %d bytes", MaxClusterNameLen)
	}
	for _, r := range v {
		if r == '\'' || r == '"' || r == '\\' || isLineBreak(r) || unicode.IsControl(r) {
			return bad(field, v, "no quotes, backslashes, line breaks or control characters")
		}
	}
	return nil
}

// NumTokens checks num_tokens (after defaults): 1 to MaxNumTokens.
func NumTokens(field string, n int32) error {
	if n < 1 || n > MaxNumTokens {
		return &Error{Field: field, NoValue: true, Reason: fmt.Sprintf("%d: must be between 1 and %d", n, MaxNumTokens)}
	}
	return nil
}

var snitchRE = regexp.MustCompile(`^[A-Za-z0-9_.$]+$`)

// Snitch checks endpoint_snitch (after defaults): a Java class name.
func Snitch(field, v string) error {
	if !snitchRE.MatchString(v) {
		return bad(field, v, "not a class name")
	}
	return nil
}

var datacenterRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Datacenter checks a ring's datacenter: letters, digits, '_', '.', '-', 1 to 64 of them. A value
// that passes also passes RackDC.
func Datacenter(field, v string) error {
	if !datacenterRE.MatchString(v) {
		return bad(field, v, "letters, digits, '_', '.', '-' only (1 to 64)")
	}
	return nil
}

// RackDC checks a dc or rack value written to cassandra-rackdc.properties (after defaults; the
// rack and, without spec.datacenter, the datacenter come from agent attributes): not empty, valid
// UTF-8, no white space, control characters or the properties syntax characters \ = : # !.
func RackDC(field, v string) error {
	if err := Text(field, v); err != nil {
		return err
	}
	if v == "" {
		return bad(field, v, "empty")
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`\=:#!`, r) || r == '\uFEFF' {
			return bad(field, v, "no white space, control characters or \\ = : # ! in cassandra-rackdc.properties")
		}
	}
	return nil
}

// PortSet are the ports one node binds, defaults filled in.
type PortSet struct {
	Storage, SSLStorage, JMX, Native uint32
	// SkipJMX leaves JMX out (a ring whose nodes take their JMX port from their offers).
	SkipJMX bool
}

// Ports checks that every port is between 1 and 65535 and that no two are the same, naming them
// prefix+"storage", prefix+"ssl_storage", prefix+"jmx" and prefix+"native".
func Ports(prefix string, p PortSet) error {
	seen := map[uint32]string{}
	for _, e := range []struct {
		name string
		v    uint32
	}{{"storage", p.Storage}, {"ssl_storage", p.SSLStorage}, {"jmx", p.JMX}, {"native", p.Native}} {
		if e.name == "jmx" && p.SkipJMX {
			continue
		}
		if e.v == 0 || e.v > 65535 {
			return &Error{Field: prefix + e.name, NoValue: true, Reason: fmt.Sprintf("%d is not a port", e.v)}
		}
		if other, ok := seen[e.v]; ok {
			return &Error{Field: prefix + e.name, NoValue: true, Reason: fmt.Sprintf("%d is also %s%s", e.v, prefix, other)}
		}
		seen[e.v] = e.name
	}
	return nil
}

// ownedKeys are the top-level cassandra.yaml keys cassmesos renders itself or must keep unset;
// cassandra_yaml may not name them.
var ownedKeys = map[string]bool{
	"cluster_name": true, "num_tokens": true, "initial_token": true, "seed_provider": true,
	"listen_address": true, "listen_interface": true, "listen_interface_prefer_ipv6": true,
	"broadcast_address": true, "rpc_address": true, "rpc_interface": true,
	"rpc_interface_prefer_ipv6": true, "broadcast_rpc_address": true,
	"storage_port": true, "ssl_storage_port": true, "native_transport_port": true,
	"native_transport_port_ssl": true, "endpoint_snitch": true, "auto_bootstrap": true,
	"data_file_directories": true, "commitlog_directory": true, "saved_caches_directory": true,
	"hints_directory": true, "cdc_raw_directory": true, "local_system_data_file_directory": true,
	// TLS: spec.encryption and the node's certificate from the daemon's CA (Encryption).
	"server_encryption_options": true, "client_encryption_options": true,
}

// OwnedYAMLKeys returns the cassandra.yaml keys cassmesos owns, sorted.
func OwnedYAMLKeys() []string {
	out := make([]string, 0, len(ownedKeys))
	for k := range ownedKeys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OwnedYAMLKey reports whether cassmesos owns the top-level cassandra.yaml key.
func OwnedYAMLKey(key string) bool { return ownedKeys[key] }

var yamlKeyRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// YAMLKey checks a cassandra_yaml key: a lower-case cassandra.yaml key cassmesos does not own.
func YAMLKey(field, key string) error {
	if err := Text(field, key); err != nil {
		return err
	}
	if !yamlKeyRE.MatchString(key) {
		return &Error{Field: field, NoValue: true, Reason: "not a cassandra.yaml key ([a-z_][a-z0-9_]*)"}
	}
	if ownedKeys[key] {
		return &Error{Field: field, NoValue: true, Err: ErrOwnedKey,
			Reason: fmt.Sprintf("%v: cassmesos sets %s itself", ErrOwnedKey, key)}
	}
	return nil
}

// CassandraYAML checks every cassandra_yaml entry (in key order, so the first error is always the
// same), naming them prefix+`cassandra_yaml["key"]`.
func CassandraYAML(prefix string, m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := fmt.Sprintf("%scassandra_yaml[%q]", prefix, k)
		if err := YAMLKey(f, k); err != nil {
			return err
		}
		if _, err := YAMLValue(f, k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// isLineBreak reports the characters YAML (1.1, which SnakeYAML and yaml.v3 follow) breaks lines
// on.
func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}
