package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"gopkg.in/yaml.v3"
)

// File is the CLI's config file: named contexts, each naming a daemon, and the current one.
//
//	current-context: prod
//	contexts:
//	  - name: prod
//	    server: cassmesos.example.net:9090
//	    certificate-authority: /home/me/.cassmesos/ca.crt
//	    client-certificate: /home/me/.cassmesos/admin.crt
//	    client-key: /home/me/.cassmesos/admin.key
//	    token: ...
type File struct {
	CurrentContext string    `yaml:"current-context,omitempty" json:"currentContext,omitempty"`
	Contexts       []Context `yaml:"contexts,omitempty" json:"contexts,omitempty"`
}

// Context is a named daemon address and the credentials to reach it with, like a kubeconfig
// context: the CA that signed the daemon's certificate, a client certificate and key (mutual
// TLS) and a bearer token, each as a file path or inline PEM (the *-data keys).
type Context struct {
	Name   string `yaml:"name" json:"name"`
	Server string `yaml:"server" json:"server"`
	// CertificateAuthority is the CA bundle file the daemon's certificate is verified against
	// (empty: the system's roots).
	CertificateAuthority     string `yaml:"certificate-authority,omitempty" json:"certificateAuthority,omitempty"`
	CertificateAuthorityData string `yaml:"certificate-authority-data,omitempty" json:"certificateAuthorityData,omitempty"`
	// ClientCertificate and ClientKey are the client certificate presented to the daemon.
	ClientCertificate     string `yaml:"client-certificate,omitempty" json:"clientCertificate,omitempty"`
	ClientCertificateData string `yaml:"client-certificate-data,omitempty" json:"clientCertificateData,omitempty"`
	ClientKey             string `yaml:"client-key,omitempty" json:"clientKey,omitempty"`
	ClientKeyData         string `yaml:"client-key-data,omitempty" json:"clientKeyData,omitempty"`
	// Token is sent as "authorization: Bearer <token>" with every call.
	Token string `yaml:"token,omitempty" json:"token,omitempty"`
	// Insecure talks plaintext gRPC (a daemon run with --insecure).
	Insecure bool `yaml:"insecure,omitempty" json:"insecure,omitempty"`
}

// Validate checks a context's credentials: a file or inline data (not both), a certificate
// with its key, and no TLS settings together with insecure.
func (c Context) Validate() error {
	for _, p := range [][3]string{
		{"certificate-authority", c.CertificateAuthority, c.CertificateAuthorityData},
		{"client-certificate", c.ClientCertificate, c.ClientCertificateData},
		{"client-key", c.ClientKey, c.ClientKeyData},
	} {
		if p[1] != "" && p[2] != "" {
			return fmt.Errorf("%s and %s-data are both set; give one", p[0], p[0])
		}
	}
	hasCert := c.ClientCertificate != "" || c.ClientCertificateData != ""
	hasKey := c.ClientKey != "" || c.ClientKeyData != ""
	if hasCert != hasKey {
		return errors.New("client-certificate and client-key go together")
	}
	if c.Insecure && (hasCert || c.CertificateAuthority != "" || c.CertificateAuthorityData != "") {
		return errors.New("insecure cannot be combined with certificate-authority or client-certificate")
	}
	return nil
}

var contextName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// ValidateContextName checks a context name: letters, digits, '.', '_' and '-', at most 63.
func ValidateContextName(name string) error {
	if !contextName.MatchString(name) {
		return fmt.Errorf("context name %q: want letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters", name)
	}
	return nil
}

// Path is where the config file lives: $CASSMESOS_CONFIG, else $XDG_CONFIG_HOME/cassmesos/config.yaml,
// else ~/.config/cassmesos/config.yaml.
func Path() (string, error) {
	if p := os.Getenv("CASSMESOS_CONFIG"); p != "" {
		return p, nil
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "cassmesos", "config.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w (set XDG_CONFIG_HOME or CASSMESOS_CONFIG)", err)
	}
	return filepath.Join(home, ".config", "cassmesos", "config.yaml"), nil
}

// Load reads the file at path. A missing file is an empty config.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes and validates a config file. Unknown keys are errors, so a typo does not pass silently.
func Parse(data []byte) (*File, error) {
	f := &File{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s", trimYAMLError(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	return f, f.Validate()
}

func trimYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return te.Errors[0]
	}
	return err.Error()
}

// Validate checks names are valid and unique, servers are set, and the current context exists.
func (f *File) Validate() error {
	seen := map[string]bool{}
	for i, c := range f.Contexts {
		if err := ValidateContextName(c.Name); err != nil {
			return fmt.Errorf("contexts[%d]: %w", i, err)
		}
		if seen[c.Name] {
			return fmt.Errorf("contexts[%d]: context %q is defined twice", i, c.Name)
		}
		seen[c.Name] = true
		if c.Server == "" {
			return fmt.Errorf("contexts[%d] (%s): server is empty", i, c.Name)
		}
		if err := c.Validate(); err != nil {
			return fmt.Errorf("contexts[%d] (%s): %w", i, c.Name, err)
		}
	}
	if f.CurrentContext != "" && !seen[f.CurrentContext] {
		return fmt.Errorf("current-context %q is not one of the contexts", f.CurrentContext)
	}
	return nil
}

// Context returns the context called name.
func (f *File) Context(name string) (Context, bool) {
	for _, c := range f.Contexts {
		if c.Name == name {
			return c, true
		}
	}
	return Context{}, false
}

// Current returns the current context, if one is set.
func (f *File) Current() (Context, bool) {
	if f.CurrentContext == "" {
		return Context{}, false
	}
	return f.Context(f.CurrentContext)
}

// SetContext adds the context or changes its server.
func (f *File) SetContext(name, server string) {
	f.UpdateContext(name, func(c *Context) { c.Server = server })
}

// UpdateContext adds the context called name (if missing) and applies fn to it.
func (f *File) UpdateContext(name string, fn func(*Context)) {
	for i := range f.Contexts {
		if f.Contexts[i].Name == name {
			fn(&f.Contexts[i])
			return
		}
	}
	c := Context{Name: name}
	fn(&c)
	f.Contexts = append(f.Contexts, c)
}

// Redacted is a copy of f with tokens and inline client keys replaced by "REDACTED".
func (f *File) Redacted() *File {
	out := &File{CurrentContext: f.CurrentContext, Contexts: append([]Context(nil), f.Contexts...)}
	for i := range out.Contexts {
		if out.Contexts[i].Token != "" {
			out.Contexts[i].Token = "REDACTED"
		}
		if out.Contexts[i].ClientKeyData != "" {
			out.Contexts[i].ClientKeyData = "REDACTED"
		}
	}
	return out
}

// Marshal encodes the file as YAML.
func (f *File) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Save writes the file to path atomically (mode 0600, directory 0700).
func (f *File) Save(path string) error {
	data, err := f.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
