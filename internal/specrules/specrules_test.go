package specrules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cassmesos/cassmesos/internal/specrules"
)

func TestRules(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string // "" = accepted; else the whole message
	}{
		{"jvm ok", specrules.JVMOption("spec.jvm_options[0]", "-XX:+UseG1GC"), ""},
		{"jvm space", specrules.JVMOptions("spec.", []string{"-ea", "-da", "-Xmx 4G"}),
			`spec.jvm_options[2]: "-Xmx 4G": contains a space (cassandra-env.sh splits JVM_EXTRA_OPTS on white space)`},
		{"jvm nbsp", specrules.JVMOption("f", "-Da=\u00a0"), `f: "-Da=\u00a0": contains white space '\u00a0' (cassandra-env.sh splits JVM_EXTRA_OPTS on white space)`},
		{"jvm control", specrules.JVMOption("f", "-Da=\x07"), `f: "-Da=\a": contains the control character '\a'`},
		{"jvm heap", specrules.JVMOption("f", "-Xmx4G"), `f: "-Xmx4G": set the heap with heap_mb/heap_new_mb`},
		{"jvm replace", specrules.JVMOption("f", "-Dcassandra.replace_address_first_boot=1.2.3.4"), `f: "-Dcassandra.replace_address_first_boot=1.2.3.4": replacement is cassmesos' job (cassmesos node replace)`},
		{"jvm not option", specrules.JVMOption("f", "ea"), `f: "ea": not a JVM option (must start with -)`},
		{"jvm dash", specrules.JVMOption("f", "-"), `f: "-": not a JVM option (must start with -)`},
		{"jvm utf8", specrules.JVMOption("f", "-D\xff"), `f: "-D\xff": not valid UTF-8`},
		{"cluster ok", specrules.ClusterName("f", "Prod Cluster 1"), ""},
		{"cluster blank", specrules.ClusterName("f", " \t"), `f: " \t": empty or blank`},
		{"cluster quote", specrules.ClusterName("f", "a'b"), `f: "a'b": no quotes, backslashes, line breaks or control characters`},
		{"cluster nel", specrules.ClusterName("f", "a\u0085b"), `f: "a\u0085b": no quotes, backslashes, line breaks or control characters`},
		{"cluster long", specrules.ClusterName("f", strings.Repeat("x", 129)), `f: "` + strings.Repeat("x", 129) + `": longer than 128 bytes`},
		{"tokens", specrules.NumTokens("f", 0), `f: 0: must be between 1 and 1536`},
		{"snitch", specrules.Snitch("f", "a b"), `f: "a b": not a class name`},
		{"dc", specrules.Datacenter("f", "east/1"), `f: "east/1": letters, digits, '_', '.', '-' only (1 to 64)`},
		{"rack ok", specrules.RackDC("f", "r1/a"), ""},
		{"rack newline", specrules.RackDC("f", "r1\ndc=x"), `f: "r1\ndc=x": no white space, control characters or \ = : # ! in cassandra-rackdc.properties`},
		{"rack empty", specrules.RackDC("f", ""), `f: "": empty`},
		{"ports ok", specrules.Ports("p.", specrules.PortSet{Storage: 1, SSLStorage: 2, JMX: 3, Native: 65535}), ""},
		{"ports dup", specrules.Ports("p.", specrules.PortSet{Storage: 1, SSLStorage: 2, JMX: 1, Native: 4}), `p.jmx: 1 is also p.storage`},
		{"ports skip jmx", specrules.Ports("p.", specrules.PortSet{Storage: 1, SSLStorage: 2, JMX: 1, Native: 4, SkipJMX: true}), ""},
		{"ports zero", specrules.Ports("p.", specrules.PortSet{SSLStorage: 2, JMX: 3, Native: 4}), `p.storage: 0 is not a port`},
		{"ports big", specrules.Ports("p.", specrules.PortSet{Storage: 1, SSLStorage: 2, JMX: 3, Native: 70000}), `p.native: 70000 is not a port`},
		{"key owned", specrules.YAMLKey(`f["auto_bootstrap"]`, "auto_bootstrap"), `f["auto_bootstrap"]: key is owned by cassmesos: cassmesos sets auto_bootstrap itself`},
		{"key syntax", specrules.YAMLKey(`f["A"]`, "A"), `f["A"]: not a cassandra.yaml key ([a-z_][a-z0-9_]*)`},
		{"yaml map ok", specrules.CassandraYAML("s.", map[string]string{"a": "{x: 1, y: [a, b]}", "b": "", "c": "'quoted'", "d": "64 # comment"}), ""},
		{"yaml first in key order", specrules.CassandraYAML("s.", map[string]string{"b": "[", "a": "]"}), `s.cassandra_yaml["a"]: "]": is not YAML: yaml: did not find expected node content`},
		{"yaml tag", specrules.CassandraYAML("s.", map[string]string{"a": "!!int abc"}), `s.cassandra_yaml["a"]: "!!int abc": explicit tags (!!int) are not allowed`},
		{"yaml anchor", specrules.CassandraYAML("s.", map[string]string{"a": "&x y"}), `s.cassandra_yaml["a"]: "&x y": anchors and aliases are not allowed`},
		{"yaml dup", specrules.CassandraYAML("s.", map[string]string{"a": "{k: 1, k: 2}"}), `s.cassandra_yaml["a"]: "{k: 1, k: 2}": mapping key "k" appears twice`},
		{"yaml complex key", specrules.CassandraYAML("s.", map[string]string{"a": "{[k]: 1}"}), `s.cassandra_yaml["a"]: "{[k]: 1}": mapping keys must be scalars`},
		{"yaml newline", specrules.CassandraYAML("s.", map[string]string{"a": "x\ny"}), `s.cassandra_yaml["a"]: "x\ny": has a line break '\n' (one line of YAML only)`},
		{"yaml bom", specrules.CassandraYAML("s.", map[string]string{"a": "\ufeffx"}), `s.cassandra_yaml["a"]: "\ufeffx": has the control character '\ufeff'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == "" {
				if c.err != nil {
					t.Fatalf("refused: %v", c.err)
				}
				return
			}
			var re *specrules.Error
			if !errors.As(c.err, &re) {
				t.Fatalf("err = %v, want a *specrules.Error", c.err)
			}
			if c.err.Error() != c.want {
				t.Fatalf("err  %s\nwant %s", c.err, c.want)
			}
		})
	}
	if err := specrules.YAMLKey("f", "seed_provider"); !errors.Is(err, specrules.ErrOwnedKey) {
		t.Errorf("owned key error %v does not wrap ErrOwnedKey", err)
	}
}

func TestYAMLValueParses(t *testing.T) {
	for raw, want := range map[string]string{"64": "64", "": "", "[a, b]": "", "PasswordAuthenticator": "PasswordAuthenticator", "'true'": "true"} {
		n, err := specrules.YAMLValue("f", "k", raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if n.Value != want {
			t.Errorf("%q parsed to %q, want %q", raw, n.Value, want)
		}
	}
}

func TestOwnedYAMLKeys(t *testing.T) {
	keys := specrules.OwnedYAMLKeys()
	for _, k := range []string{"listen_interface_prefer_ipv6", "rpc_interface_prefer_ipv6", "initial_token", "broadcast_address", "seed_provider"} {
		if !specrules.OwnedYAMLKey(k) || !strings.Contains(strings.Join(keys, ","), k) {
			t.Errorf("%s not owned", k)
		}
	}
}
