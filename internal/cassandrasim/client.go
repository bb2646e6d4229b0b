package cassandrasim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nodetoolArgs are the connection options nodetool accepts anywhere on its command line.
type nodetoolArgs struct {
	host, port string
	printPort  bool
	rest       []string
}

// ParseNodetoolArgs separates nodetool's connection options (-h, -p, -u, -pw, -pwf, -pp, --ssl)
// from the command and its arguments. The last -h or -p wins, as bin/nodetool passes -p first.
func ParseNodetoolArgs(args []string) (host, port string, printPort bool, rest []string, err error) {
	a := nodetoolArgs{host: "127.0.0.1", port: "7199"}
	for i := 0; i < len(args); i++ {
		switch x := args[i]; x {
		case "-h", "--host", "-p", "--port", "-u", "--username", "-pw", "--password", "-pwf", "--password-file":
			if i+1 >= len(args) {
				return "", "", false, nil, fmt.Errorf("Required values for option '%s' not provided", x)
			}
			i++
			switch x {
			case "-h", "--host":
				a.host = args[i]
			case "-p", "--port":
				if _, e := strconv.Atoi(args[i]); e != nil {
					return "", "", false, nil, fmt.Errorf("Unable to convert '%s' to type int", args[i])
				}
				a.port = args[i]
			}
		case "-pp", "--print-port":
			a.printPort = true
		case "--ssl":
		default:
			a.rest = append(a.rest, x)
		}
	}
	return a.host, a.port, a.printPort, a.rest, nil
}

// nodetoolCredentials returns the JMX user (-u) and password: -pw, or with -pwf the second word of
// the file's first line whose first word is the user (as nodetool's readUserPasswordFromFile
// reads it). A -pwf file that cannot be read is an error, as in nodetool.
func nodetoolCredentials(args []string) (user, password string, err error) {
	var file string
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-u", "--username":
			user = args[i+1]
		case "-pw", "--password":
			password = args[i+1]
		case "-pwf", "--password-file":
			file = args[i+1]
		default:
			continue
		}
		i++
	}
	if file != "" && password == "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", "", fmt.Errorf("java.io.FileNotFoundException: %s", file)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == user {
				password = f[1]
				break
			}
		}
	}
	return user, password, nil
}

// RunNodetool is the stand-in's nodetool: it sends the command to the node's JMX port and prints
// what the node answers. Exit codes follow nodetool: 1 for bad use and connection failures, 2 for
// errors raised by the node.
func RunNodetool(args []string, stdout, stderr io.Writer) int {
	host, port, printPort, rest, err := ParseNodetoolArgs(args)
	if err != nil {
		fmt.Fprintf(stdout, "nodetool: %s\nSee 'nodetool help' or 'nodetool help <command>'.\n", err)
		return 1
	}
	if len(rest) == 0 || rest[0] == "help" {
		printNodetoolHelp(stdout)
		return 0
	}
	if _, ok := nodetoolCommands[rest[0]]; !ok {
		fmt.Fprintf(stdout, "nodetool: Found unexpected parameters: [%s]\nSee 'nodetool help' or 'nodetool help <command>'.\n", strings.Join(rest, ", "))
		return 1
	}
	user, password, err := nodetoolCredentials(args)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n-- StackTrace --\njava.lang.RuntimeException: %v\n", err, err)
		return 1
	}
	addr := net.JoinHostPort(host, port)
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		cls, msg := "ConnectException", "Connection refused"
		var ne net.Error
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
		case errors.As(err, &ne) && ne.Timeout():
			msg = "Connection timed out"
		default:
			cls, msg = "UnknownHostException", host
			if net.ParseIP(host) != nil {
				cls, msg = "ConnectException", err.Error()
			}
		}
		fmt.Fprintf(stderr, "nodetool: Failed to connect to '%s:%s' - %s: '%s'.\n", host, port, cls, msg)
		return 1
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(jmxRequest{Args: rest, PrintPort: printPort, User: user, Password: password}); err != nil {
		fmt.Fprintf(stderr, "nodetool: Failed to connect to '%s:%s' - IOException: '%v'.\n", host, port, err)
		return 1
	}
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var f jmxFrame
		if err := dec.Decode(&f); err != nil {
			fmt.Fprintf(stderr, "error: [%s] JMX connection closed. You should check server log for status of the operation on %s.\n", time.Now().Format(javaTime), rest[0])
			return 2
		}
		if f.AuthError != "" {
			fmt.Fprintf(stderr, "nodetool: Failed to connect to '%s:%s' - SecurityException: '%s'.\n", host, port, f.AuthError)
			return 1
		}
		if f.Out != "" {
			_, _ = io.WriteString(stdout, f.Out)
		}
		if f.Err != "" {
			_, _ = io.WriteString(stderr, f.Err)
		}
		if f.Exit != nil {
			return *f.Exit
		}
	}
}

func printNodetoolHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: nodetool [(-h <host> | --host <host>)] [(-p <port> | --port <port>)]\n        [(-pp | --print-port)] <command> [<args>]\n\nThe most commonly used nodetool commands are:\n")
	names := make([]string, 0, len(nodetoolCommands))
	for k := range nodetoolCommands {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "    %-28s %s\n", k, nodetoolCommands[k])
	}
	fmt.Fprintf(w, "\nSee 'nodetool help <command>' for more information on a specific command.\n\n")
}

// RunCqlsh is the stand-in's cqlsh: `cqlsh [host [port]] -e "<statements>"` or `-f file`.
func RunCqlsh(args []string, stdout, stderr io.Writer) int {
	host, port, stmt := "127.0.0.1", "9042", ""
	var pos []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-e", "--execute", "-f", "--file":
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "Usage: cqlsh [options] [host [port]]\n\ncqlsh: error: %s option requires an argument\n", args[i])
				return 2
			}
			if args[i] == "-f" || args[i] == "--file" {
				b, err := os.ReadFile(args[i+1])
				if err != nil {
					fmt.Fprintf(stderr, "Could not open %q: %v\n", args[i+1], err)
					return 1
				}
				stmt = string(b)
			} else {
				stmt = args[i+1]
			}
			i++
		default:
			if strings.HasPrefix(args[i], "-") {
				continue // -u, --cqlversion and friends are accepted and ignored
			}
			pos = append(pos, args[i])
		}
	}
	if len(pos) > 0 {
		host = pos[0]
	}
	if len(pos) > 1 {
		port = pos[1]
	}
	if stmt == "" {
		fmt.Fprintf(stderr, "the stand-in's cqlsh has no interactive mode; use -e \"<statements>\" or -f <file>\n")
		return 2
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 10*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "Connection error: ('Unable to connect to any servers', {'%s:%s': ConnectionRefusedError(111, \"Tried connecting to [('%s', %s)]. Last error: Connection refused\")})\n", host, port, host, port)
		return 1
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(cqlRequest{CQL: stmt}); err != nil {
		fmt.Fprintf(stderr, "Connection error: %v\n", err)
		return 1
	}
	var resp cqlResponse
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		fmt.Fprintf(stderr, "Connection error: %v\n", err)
		return 1
	}
	if resp.Error != "" {
		fmt.Fprintf(stderr, "<stdin>:1:%s\n", resp.Error)
		return 2
	}
	return 0
}

// Main dispatches on the first argument: `cassandra`, `nodetool`, `cqlsh` or `version`.
func Main() int {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: cassandra-sim {cassandra [JVM options and -D properties]|nodetool [args]|cqlsh [args]|version}")
		return 2
	}
	switch args[0] {
	case "cassandra":
		return RunCassandra(args[1:], os.Environ(), os.Stdout, os.Stderr)
	case "nodetool":
		return RunNodetool(args[1:], os.Stdout, os.Stderr)
	case "cqlsh":
		return RunCqlsh(args[1:], os.Stdout, os.Stderr)
	case "version":
		fmt.Println(releaseVersion)
		return 0
	}
	fmt.Fprintf(os.Stderr, "cassandra-sim: unknown mode %q; want cassandra, nodetool, cqlsh or version\n", args[0])
	return 2
}
