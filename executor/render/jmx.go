package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// JMX authentication (issue 13). Cassandra's JMX stays bound to 127.0.0.1 (LOCAL_JMX=yes) and
// requires a user and password: the executor writes the password and access files into the
// node's configuration directory, readable by the task's user only (0600), and runs nodetool with
// -u JMXUser -pwf <NodetoolCredentialsFile>.
const (
	// JMXUser is the one JMX user.
	JMXUser = "cassmesos"
	// JMXPasswordFile is Cassandra's com.sun.management.jmxremote.password.file ("user password").
	// The JVM may rewrite it with hashed passwords, so nodetool reads its own copy.
	JMXPasswordFile = "jmxremote.password"
	// JMXAccessFile is com.sun.management.jmxremote.access.file ("user readwrite").
	JMXAccessFile = "jmxremote.access"
	// NodetoolCredentialsFile is what nodetool's -pwf reads ("user password").
	NodetoolCredentialsFile = "nodetool.credentials"
	// jmxSecurityExport lets Cassandra build the JDK's file-based JMX authenticator on Java 11+
	// (its package is not exported by java.management).
	jmxSecurityExport = "--add-exports java.management/com.sun.jmx.remote.security=ALL-UNNAMED"
)

var jmxPasswordRE = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]{16,256}$`)

// CheckJMXPassword refuses a password the JMX password file cannot hold (white space would
// split it) or one too short to be a secret.
func CheckJMXPassword(pw string) error {
	if !jmxPasswordRE.MatchString(pw) {
		return fmt.Errorf("%sjmx_password: want 16 to 256 of A-Z a-z 0-9 . _ ~ + / = - (got %d characters)", configField, len(pw))
	}
	return nil
}

// JMXOpts are the JVM options that turn JMX authentication on with the files under conf. They go
// last in JVM_EXTRA_OPTS, so they win over cassandra-env.sh's LOCAL_JMX default
// (-Dcom.sun.management.jmxremote.authenticate=false): the last -D of a property is the one the
// JVM keeps.
func JMXOpts(conf string) ([]string, error) {
	if strings.ContainsAny(conf, " \t\r\n") {
		return nil, fmt.Errorf("configuration directory %q contains white space (JVM_EXTRA_OPTS is split on it)", conf)
	}
	return []string{
		"-Dcom.sun.management.jmxremote.authenticate=true",
		"-Dcom.sun.management.jmxremote.password.file=" + filepath.Join(conf, JMXPasswordFile),
		"-Dcom.sun.management.jmxremote.access.file=" + filepath.Join(conf, JMXAccessFile),
	}, nil
}

// WriteJMXFiles writes the password, access and nodetool credentials files into conf, each 0600
// (created with that mode and chmod-ed again, whatever the umask or an earlier file said).
func WriteJMXFiles(conf, password string) error {
	if err := CheckJMXPassword(password); err != nil {
		return err
	}
	files := []struct{ name, content string }{
		{JMXPasswordFile, JMXUser + " " + password + "\n"},
		{JMXAccessFile, JMXUser + " readwrite\n"},
		{NodetoolCredentialsFile, JMXUser + " " + password + "\n"},
	}
	for _, f := range files {
		p := filepath.Join(conf, f.name)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(p, []byte(f.content), 0o600); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return err
		}
	}
	// Java 11+ reads jvm<version>-server.options; Java 8 has none and needs no export.
	for _, name := range []string{"jvm11-server.options", "jvm17-server.options"} {
		p := filepath.Join(conf, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(jmxSecurityExport)) {
			continue
		}
		if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
			b = append(b, '\n')
		}
		b = append(b, "# cassmesos: JMX authentication with a password file (JMXPluggableAuthenticator).\n"+jmxSecurityExport+"\n"...)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
