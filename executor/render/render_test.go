package render

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"gopkg.in/yaml.v3"

	cassmesosv1 "github.com/cassmesos/cassmesos/rpc/cassmesos/v1"
)

func sampleYAML(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/cassandra-4.1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func baseSettings() Settings {
	return Settings{
		ClusterName: "demo", NumTokens: 8, Seeds: []string{"10.0.0.1", "10.0.0.2"},
		Address: "10.0.0.3", StoragePort: 7100, SSLStoragePort: 7101, NativePort: 9142,
		Snitch: "GossipingPropertyFileSnitch", DataDir: "/vol/cass", AutoBootstrap: true,
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("rendered yaml does not parse: %v\n%s", err, b)
	}
	return m
}

func TestOverlayYAMLOwnedKeys(t *testing.T) {
	out, err := OverlayYAML(sampleYAML(t), baseSettings())
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, out)
	want := map[string]any{
		"cluster_name":           "demo",
		"num_tokens":             8,
		"listen_address":         "10.0.0.3",
		"rpc_address":            "10.0.0.3",
		"broadcast_rpc_address":  "10.0.0.3",
		"storage_port":           7100,
		"ssl_storage_port":       7101,
		"native_transport_port":  9142,
		"endpoint_snitch":        "GossipingPropertyFileSnitch",
		"data_file_directories":  []any{"/vol/cass/data"},
		"commitlog_directory":    "/vol/cass/commitlog",
		"hints_directory":        "/vol/cass/hints",
		"saved_caches_directory": "/vol/cass/saved_caches",
		"cdc_raw_directory":      "/vol/cass/cdc_raw",
		"auto_bootstrap":         true,
		// Untouched keys keep their values.
		"partitioner":      "org.apache.cassandra.dht.Murmur3Partitioner",
		"max_hint_window":  "3h",
		"concurrent_reads": 32,
		"key_cache_size":   nil,
		"cdc_enabled":      false,
		"allocate_tokens_for_local_replication_factor": 3,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	seeds := got["seed_provider"].([]any)[0].(map[string]any)
	if seeds["class_name"] != "org.apache.cassandra.locator.SimpleSeedProvider" {
		t.Errorf("seed provider class changed: %v", seeds["class_name"])
	}
	if s := seeds["parameters"].([]any)[0].(map[string]any)["seeds"]; s != "10.0.0.1,10.0.0.2" {
		t.Errorf("seeds = %v", s)
	}
	nested := got["server_encryption_options"].(map[string]any)
	if nested["internode_encryption"] != "none" || nested["keystore_password"] != "cassandra" {
		t.Errorf("nested mapping changed: %v", nested)
	}
	text := string(out)
	for _, c := range []string{
		"# The name of the cluster. This is mainly used to prevent machines in",
		"# seeds is actually a comma-delimited list of addresses.",
		"# data_file_directories:",
		"# Set listen_address OR listen_interface, not both.",
		"# Min unit: ms",
		"seeds: \"10.0.0.1,10.0.0.2\"",
		"cluster_name: 'demo'",
	} {
		if !strings.Contains(text, c) {
			t.Errorf("output lacks %q", c)
		}
	}
	// Order: untouched keys stay where they were relative to each other.
	if strings.Index(text, "hinted_handoff_enabled:") > strings.Index(text, "partitioner:") {
		t.Error("key order changed")
	}
	if strings.Index(text, "cluster_name:") > strings.Index(text, "num_tokens:") {
		t.Error("owned key moved")
	}
}

func TestOverlayYAMLTable(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		mod     func(*Settings)
		check   func(*testing.T, map[string]any)
		wantErr string
	}{
		{
			name: "interfaces removed",
			src:  "listen_interface: eth0\nrpc_interface: eth1\n",
			check: func(t *testing.T, m map[string]any) {
				if _, ok := m["listen_interface"]; ok {
					t.Error("listen_interface kept")
				}
				if _, ok := m["rpc_interface"]; ok {
					t.Error("rpc_interface kept")
				}
			},
		},
		{
			name: "missing seed_provider is created",
			src:  "cluster_name: x\n",
			check: func(t *testing.T, m map[string]any) {
				sp := m["seed_provider"].([]any)[0].(map[string]any)
				if sp["parameters"].([]any)[0].(map[string]any)["seeds"] != "10.0.0.1,10.0.0.2" {
					t.Errorf("seed_provider = %v", sp)
				}
			},
		},
		{
			name: "odd seed_provider is replaced",
			src:  "seed_provider: nope\n",
			check: func(t *testing.T, m map[string]any) {
				if _, ok := m["seed_provider"].([]any); !ok {
					t.Errorf("seed_provider = %v", m["seed_provider"])
				}
			},
		},
		{
			name: "extras parsed as YAML and merged",
			src:  "concurrent_reads: 32\n",
			mod: func(s *Settings) {
				s.Extras = map[string]string{"concurrent_reads": "64", "authenticator": "PasswordAuthenticator",
					"new_list": "[a, b]", "empty": "", "quoted": "'true'"}
			},
			check: func(t *testing.T, m map[string]any) {
				if m["concurrent_reads"] != 64 || m["authenticator"] != "PasswordAuthenticator" ||
					!reflect.DeepEqual(m["new_list"], []any{"a", "b"}) || m["empty"] != nil || m["quoted"] != "true" {
					t.Errorf("extras: %v", m)
				}
			},
		},
		{
			name:  "string values that look like other types stay strings",
			src:   "cluster_name: x\n",
			mod:   func(s *Settings) { s.ClusterName = "true" },
			check: func(t *testing.T, m map[string]any) { eq(t, m["cluster_name"], "true") },
		},
		{
			name:  "auto_bootstrap false",
			src:   "cluster_name: x\n",
			mod:   func(s *Settings) { s.AutoBootstrap = false },
			check: func(t *testing.T, m map[string]any) { eq(t, m["auto_bootstrap"], false) },
		},
		{name: "owned extra refused", src: "a: 1\n", mod: func(s *Settings) { s.Extras = map[string]string{"listen_address": "1.2.3.4"} }, wantErr: "owned by cassmesos"},
		{name: "bad extra value", src: "a: 1\n", mod: func(s *Settings) { s.Extras = map[string]string{"x": "[unclosed"} }, wantErr: "is not YAML"},
		{name: "empty file", src: "", wantErr: "empty document"},
		{name: "comment-only file", src: "# nothing\n", wantErr: "empty document"},
		{name: "top-level list", src: "- a\n- b\n", wantErr: "not a mapping"},
		{name: "broken yaml", src: "a: [\n", wantErr: "cassandra.yaml"},
		{name: "duplicate key", src: "a: 1\na: 2\n", wantErr: "cassandra.yaml"},
		{name: "no seeds", src: "a: 1\n", mod: func(s *Settings) { s.Seeds = nil }, wantErr: "seeds"},
		{name: "relative data dir", src: "a: 1\n", mod: func(s *Settings) { s.DataDir = "vol" }, wantErr: "absolute"},
		{name: "zero tokens", src: "a: 1\n", mod: func(s *Settings) { s.NumTokens = 0 }, wantErr: "num_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSettings()
			if tt.mod != nil {
				tt.mod(&s)
			}
			out, err := OverlayYAML([]byte(tt.src), s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, decode(t, out))
		})
	}
}

func eq(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestOwnedExtraIsErrOwnedKey(t *testing.T) {
	s := baseSettings()
	s.Extras = map[string]string{"data_file_directories": "[/x]"}
	if _, err := OverlayYAML([]byte("a: 1\n"), s); !errors.Is(err, ErrOwnedKey) {
		t.Fatalf("err = %v", err)
	}
}

func TestOverlayIsIdempotent(t *testing.T) {
	once, err := OverlayYAML(sampleYAML(t), baseSettings())
	if err != nil {
		t.Fatal(err)
	}
	twice, err := OverlayYAML(once, baseSettings())
	if err != nil {
		t.Fatal(err)
	}
	if string(once) != string(twice) {
		t.Error("rendering a rendered file changes it")
	}
}

func FuzzOverlayYAML(f *testing.F) {
	f.Add(sampleYAML(f), "concurrent_reads", "64")
	f.Add([]byte("a: 1\n"), "x", "[1, 2]")
	f.Add([]byte("seed_provider:\n  - parameters: 3\n"), "", "")
	f.Add([]byte("- 1\n"), "k", "{a: b}")
	f.Add([]byte("&a [*a]"), "k", "*x")
	f.Fuzz(func(t *testing.T, src []byte, k, v string) {
		s := baseSettings()
		s.Extras = map[string]string{k: v}
		out, err := OverlayYAML(src, s)
		if err != nil {
			return
		}
		var m map[string]any
		if err := yaml.Unmarshal(out, &m); err != nil {
			t.Fatalf("rendered output does not parse: %v", err)
		}
		if m["listen_address"] != "10.0.0.3" {
			t.Fatalf("listen_address = %v", m["listen_address"])
		}
	})
}

func TestSettingsForDefaults(t *testing.T) {
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r1", Address: "127.0.0.2"}
	s := SettingsFor(cfg, "/v", false)
	want := Settings{ClusterName: "r1", NumTokens: 16, Seeds: []string{"127.0.0.2"}, Address: "127.0.0.2",
		StoragePort: 7000, SSLStoragePort: 7001, NativePort: 9042, Snitch: "GossipingPropertyFileSnitch", DataDir: "/v"}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name    string
		cfg     *cassmesosv1.NodeTaskConfig
		paths   Paths
		want    []string
		wantErr string
	}{
		{
			name:  "defaults",
			cfg:   &cassmesosv1.NodeTaskConfig{},
			paths: Paths{Home: "/s/apache-cassandra-4.1.5", Conf: "/s/conf", Logs: "/s/logs"},
			want: []string{"CASSANDRA_CONF=/s/conf", "CASSANDRA_HOME=/s/apache-cassandra-4.1.5",
				"CASSANDRA_LOG_DIR=/s/logs", "JMX_PORT=7199", "JVM_EXTRA_OPTS=" + jmxOpts("/s/conf/"), "LOCAL_JMX=yes"},
		},
		{
			name: "everything",
			cfg: &cassmesosv1.NodeTaskConfig{HeapMb: 2048, HeapNewMb: 400, Ports: &cassmesosv1.Ports{Jmx: 7299},
				JvmOptions: []string{"-XX:+UseG1GC", "-Dfoo=bar"}, ReplaceAddress: "10.0.0.9",
				KillGrace: durationpb.New(time.Second)},
			paths: Paths{Home: "/h", Conf: "/c", Logs: "/l", JavaHome: "/s/jdk"},
			want: []string{"CASSANDRA_CONF=/c", "CASSANDRA_HOME=/h", "CASSANDRA_LOG_DIR=/l", "HEAP_NEWSIZE=400M",
				"JAVA_HOME=/s/jdk", "JMX_PORT=7299",
				"JVM_EXTRA_OPTS=-XX:+UseG1GC -Dfoo=bar -Dcassandra.replace_address_first_boot=10.0.0.9 " + jmxOpts("/c/"),
				"LOCAL_JMX=yes", "MAX_HEAP_SIZE=2048M"},
		},
		{
			name: "heap without new size",
			cfg:  &cassmesosv1.NodeTaskConfig{HeapMb: 1024},
			want: []string{"CASSANDRA_CONF=", "CASSANDRA_HOME=", "CASSANDRA_LOG_DIR=", "HEAP_NEWSIZE=256M",
				"JMX_PORT=7199", "JVM_EXTRA_OPTS=" + jmxOpts(""), "LOCAL_JMX=yes", "MAX_HEAP_SIZE=1024M"},
		},
		{
			name:  "direct memory from the task's memory",
			cfg:   &cassmesosv1.NodeTaskConfig{HeapMb: 512, HeapNewMb: 128, JvmOptions: []string{"-Dcassandra.ring_delay_ms=1000"}},
			paths: Paths{TaskMemMB: 1536},
			want: []string{"CASSANDRA_CONF=", "CASSANDRA_HOME=", "CASSANDRA_LOG_DIR=", "HEAP_NEWSIZE=128M",
				"JMX_PORT=7199", "JVM_EXTRA_OPTS=-XX:MaxDirectMemorySize=512M -Dcassandra.ring_delay_ms=1000 " + jmxOpts(""),
				"LOCAL_JMX=yes", "MAX_HEAP_SIZE=512M"},
		},
		{
			name:  "direct memory at least 64M",
			cfg:   &cassmesosv1.NodeTaskConfig{HeapMb: 1000, HeapNewMb: 100},
			paths: Paths{TaskMemMB: 1024},
			want: []string{"CASSANDRA_CONF=", "CASSANDRA_HOME=", "CASSANDRA_LOG_DIR=", "HEAP_NEWSIZE=100M",
				"JMX_PORT=7199", "JVM_EXTRA_OPTS=-XX:MaxDirectMemorySize=64M " + jmxOpts(""), "LOCAL_JMX=yes", "MAX_HEAP_SIZE=1000M"},
		},
		{
			name:  "the ring's own direct memory option wins",
			cfg:   &cassmesosv1.NodeTaskConfig{HeapMb: 512, HeapNewMb: 128, JvmOptions: []string{"-XX:MaxDirectMemorySize=1G"}},
			paths: Paths{TaskMemMB: 4096},
			want: []string{"CASSANDRA_CONF=", "CASSANDRA_HOME=", "CASSANDRA_LOG_DIR=", "HEAP_NEWSIZE=128M",
				"JMX_PORT=7199", "JVM_EXTRA_OPTS=-XX:MaxDirectMemorySize=1G " + jmxOpts(""), "LOCAL_JMX=yes", "MAX_HEAP_SIZE=512M"},
		},
		{name: "option with space", cfg: &cassmesosv1.NodeTaskConfig{JvmOptions: []string{"-Da=b c"}}, wantErr: "white space"},
		{name: "conf dir with space", cfg: &cassmesosv1.NodeTaskConfig{}, paths: Paths{Conf: "/s b/conf"}, wantErr: "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Env(tt.cfg, tt.paths)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// jmxOpts are the JMX authentication options Env appends for a conf dir (with its trailing slash).
func jmxOpts(conf string) string {
	return "-Dcom.sun.management.jmxremote.authenticate=true -Dcom.sun.management.jmxremote.password.file=" + conf +
		"jmxremote.password -Dcom.sun.management.jmxremote.access.file=" + conf + "jmxremote.access"
}

func TestEnvSh(t *testing.T) {
	src := "# comment\nJMX_PORT=\"7199\"\nif [ x ]; then\n  echo JMX_PORT=1\nfi\n"
	got := string(EnvSh([]byte(src), 7299))
	want := "# comment\nJMX_PORT=\"7299\"\nif [ x ]; then\n  echo JMX_PORT=1\nfi\n"
	if got != want {
		t.Errorf("got %q", got)
	}
}

func TestRackDC(t *testing.T) {
	if got := string(RackDC("", "")); !strings.Contains(got, "dc=dc1\nrack=rack1\n") {
		t.Errorf("defaults: %q", got)
	}
	if got := string(RackDC("east", "r2")); !strings.Contains(got, "dc=east\nrack=r2\n") {
		t.Errorf("got %q", got)
	}
}

func TestMaterialize(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "apache-cassandra-4.1.5")
	if err := os.MkdirAll(filepath.Join(home, "conf", "triggers"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"conf/cassandra.yaml":      string(sampleYAML(t)),
		"conf/cassandra-env.sh":    "JMX_PORT=\"7199\"\n",
		"conf/logback.xml":         "<configuration/>\n",
		"conf/triggers/README.txt": "x\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := Paths{Home: home, Conf: filepath.Join(dir, "conf"), Data: filepath.Join(dir, "volume"), Logs: filepath.Join(dir, "logs")}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", Datacenter: "dc9", Rack: "r3",
		Ports: &cassmesosv1.Ports{Jmx: 7300}, JmxPassword: testJMXPassword}
	for range 2 { // idempotent: a restart renders again over the old copy
		if err := Materialize(cfg, p, true); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(p.Conf, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if !strings.Contains(read("cassandra.yaml"), "listen_address: 127.0.0.2") {
		t.Error("cassandra.yaml not rendered")
	}
	if read("logback.xml") != "<configuration/>\n" || read("triggers/README.txt") != "x\n" {
		t.Error("conf dir not copied")
	}
	if !strings.Contains(read("cassandra-rackdc.properties"), "dc=dc9\nrack=r3") {
		t.Error("rackdc")
	}
	if read("cassandra-env.sh") != "JMX_PORT=\"7300\"\n" {
		t.Errorf("env.sh = %q", read("cassandra-env.sh"))
	}
	for _, d := range []string{"volume/data", "volume/commitlog", "volume/hints", "volume/saved_caches", "logs"} {
		if st, err := os.Stat(filepath.Join(dir, d)); err != nil || !st.IsDir() {
			t.Errorf("%s not created: %v", d, err)
		}
	}
	// The distribution's own file is untouched.
	if b, _ := os.ReadFile(filepath.Join(home, "conf/cassandra.yaml")); string(b) != string(sampleYAML(t)) {
		t.Error("distribution conf modified")
	}
	if err := Materialize(cfg, Paths{Home: filepath.Join(dir, "nope"), Conf: p.Conf}, true); err == nil {
		t.Error("missing distribution accepted")
	}
}

const testJMXPassword = "Zm9vYmFyYmF6cXV4LXNlY3JldA"

// Issue 13: the JMX password, access and nodetool credentials files are written 0600 (whatever
// the umask, and over an earlier, looser file) with the ring's password; Java 11+ option files
// get the export JMX authentication needs, once; a password the file cannot hold writes nothing.
func TestMaterializeWritesJMXFilesOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "apache-cassandra-5.0.8")
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"cassandra.yaml": string(sampleYAML(t)), "jvm17-server.options": "-XX:+UseG1GC",
		// A distribution shipping a world-readable password file of its own: replaced, 0600.
		JMXPasswordFile: "monitorRole QED\n",
	} {
		if err := os.WriteFile(filepath.Join(home, "conf", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	p := Paths{Home: home, Conf: filepath.Join(dir, "conf"), Data: filepath.Join(dir, "volume"), Logs: filepath.Join(dir, "logs")}
	cfg := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", JmxPassword: testJMXPassword}
	for range 2 {
		if err := Materialize(cfg, p, true); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		JMXPasswordFile:         "cassmesos " + testJMXPassword + "\n",
		JMXAccessFile:           "cassmesos readwrite\n",
		NodetoolCredentialsFile: "cassmesos " + testJMXPassword + "\n",
	} {
		path := filepath.Join(p.Conf, name)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	b, _ := os.ReadFile(filepath.Join(p.Conf, "jvm17-server.options"))
	if strings.Count(string(b), "--add-exports java.management/com.sun.jmx.remote.security=ALL-UNNAMED") != 1 || !strings.HasPrefix(string(b), "-XX:+UseG1GC\n") {
		t.Errorf("jvm17-server.options = %q", b)
	}
	for _, bad := range []string{"", "short", "has a space in it ok", "new\nline-0123456789abc"} {
		conf := filepath.Join(dir, "conf-bad")
		c := &cassmesosv1.NodeTaskConfig{Ring: "r", Address: "127.0.0.2", JmxPassword: bad}
		if err := Materialize(c, Paths{Home: home, Conf: conf, Data: p.Data, Logs: p.Logs}, true); err == nil || !strings.Contains(err.Error(), "jmx_password") {
			t.Errorf("password %q: %v", bad, err)
		}
		if _, err := os.Stat(filepath.Join(conf, JMXPasswordFile)); err == nil {
			t.Errorf("password %q: a password file was written", bad)
		}
	}
}
