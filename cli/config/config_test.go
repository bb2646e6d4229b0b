package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := "current-context: prod\ncontexts:\n  - name: prod\n    server: a:9090\n  - name: dev\n    server: b:9090\n"
	f, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := f.Current(); !ok || c.Server != "a:9090" {
		t.Fatalf("current = %+v %v", c, ok)
	}
	if _, err := Parse(nil); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"contexts: [", "yaml"},
		{"current-contxt: a\n", "field current-contxt not found"},
		{"contexts:\n  - name: a\n    server: x\n  - name: a\n    server: y\n", `context "a" is defined twice`},
		{"contexts:\n  - name: a\n", "server is empty"},
		{"contexts:\n  - name: 'bad name'\n    server: x\n", "context name"},
		{"current-context: nope\n", `current-context "nope" is not one of the contexts`},
		{"contexts: 3\n", "cannot unmarshal"},
		{"a: 1\n---\nb: 2\n", "field a not found"},
		{"{}\n---\n{}\n", "more than one YAML document"},
		{"contexts:\n  - name: a\n    server: x\n    client-certificate: c\n", "client-certificate and client-key go together"},
		{"contexts:\n  - name: a\n    server: x\n    certificate-authority: c\n    certificate-authority-data: d\n", "both set"},
		{"contexts:\n  - name: a\n    server: x\n    insecure: true\n    certificate-authority: c\n", "insecure cannot be combined"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.yaml")
	f := &File{}
	f.SetContext("prod", "a:1")
	f.SetContext("prod", "a:2")
	f.CurrentContext = "prod"
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := g.Current(); c.Server != "a:2" || len(g.Contexts) != 1 {
		t.Fatalf("loaded %+v", g)
	}
	if h, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err != nil || len(h.Contexts) != 0 {
		t.Fatalf("missing file: %+v %v", h, err)
	}
}

func TestPath(t *testing.T) {
	t.Setenv("CASSMESOS_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", "/x")
	if p, _ := Path(); p != "/x/cassmesos/config.yaml" {
		t.Fatalf("Path = %s", p)
	}
	t.Setenv("CASSMESOS_CONFIG", "/y.yaml")
	if p, _ := Path(); p != "/y.yaml" {
		t.Fatalf("Path = %s", p)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("current-context: a\ncontexts:\n  - name: a\n    server: x\n"))
	f.Add([]byte("contexts: ["))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err == nil && file.Validate() != nil {
			t.Fatal("Parse accepted an invalid file")
		}
	})
}

func TestContextCarriesCredentials(t *testing.T) {
	in := "contexts:\n  - name: prod\n    server: a:9090\n    certificate-authority: /ca.crt\n    client-certificate: /admin.crt\n    client-key: /admin.key\n    token: t0k\n"
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.Context("prod")
	if c.CertificateAuthority != "/ca.crt" || c.ClientCertificate != "/admin.crt" || c.ClientKey != "/admin.key" || c.Token != "t0k" {
		t.Fatalf("context %+v", c)
	}
	f.SetContext("prod", "b:9090")
	if c, _ = f.Context("prod"); c.Server != "b:9090" || c.Token != "t0k" {
		t.Fatalf("SetContext dropped the credentials: %+v", c)
	}
}
