package nodetool

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseReplication(t *testing.T) {
	for _, tc := range []struct {
		in, class string
		opts      map[string]string
	}{
		{"SimpleStrategy {replication_factor=3}", "SimpleStrategy", map[string]string{"replication_factor": "3"}},
		{"NetworkTopologyStrategy {dc1=3, dc2=2}", "NetworkTopologyStrategy", map[string]string{"dc1": "3", "dc2": "2"}},
		{"LocalStrategy {}", "LocalStrategy", map[string]string{}},
		{"org.apache.cassandra.locator.SimpleStrategy {replication_factor=1}", "SimpleStrategy", map[string]string{"replication_factor": "1"}},
		// Transient replication (4.0+) prints "3/1".
		{"NetworkTopologyStrategy {dc1=3/1}", "NetworkTopologyStrategy", map[string]string{"dc1": "3/1"}},
	} {
		class, opts, err := ParseReplication(tc.in)
		if err != nil || class != tc.class || !reflect.DeepEqual(opts, tc.opts) {
			t.Errorf("%q: %q %v %v", tc.in, class, opts, err)
		}
	}
	for _, bad := range []string{"", "SimpleStrategy", "{replication_factor=3}", "SimpleStrategy {replication_factor}", "S {a=1, a=2}", "S {a=1,}", "S {a=1} x", "A B {a=1}"} {
		if _, _, err := ParseReplication(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The real 5.0.8 describecluster's keyspaces all parse, and the system ones are recognised.
func TestReplicationOfRealDescribeCluster(t *testing.T) {
	b, err := os.ReadFile("testdata/real-5.0.8/describecluster.txt")
	if err != nil {
		t.Fatal(err)
	}
	cd, err := ParseDescribeCluster(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var user []string
	for _, k := range cd.Keyspaces {
		class, _, err := ParseReplication(k.Replication)
		if err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
		if class == "LocalStrategy" && !IsSystemKeyspace(k.Name) {
			t.Errorf("%s is LocalStrategy but not a system keyspace", k.Name)
		}
		if !IsSystemKeyspace(k.Name) {
			user = append(user, k.Name)
		}
	}
	if strings.Join(user, ",") != "ks" {
		t.Errorf("non-system keyspaces %v, want [ks]", user)
	}
}

func FuzzParseReplication(f *testing.F) {
	for _, s := range []string{"SimpleStrategy {replication_factor=3}", "NetworkTopologyStrategy {dc1=3, dc2=2}", "LocalStrategy {}", "a.b.C {x=1/1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		class, opts, err := ParseReplication(s)
		if err != nil {
			return
		}
		if class == "" || strings.ContainsAny(class, " {}=,.") {
			t.Fatalf("class %q", class)
		}
		for k, v := range opts {
			if k == "" || v == "" || strings.ContainsAny(k+v, "{}=, ") {
				t.Fatalf("option %q=%q", k, v)
			}
		}
	})
}
