// Command mktarball builds the Cassandra stand-in and packages it as an Apache-style tarball
// (apache-cassandra-4.1-sim/bin, conf, lib): `make cassandra-sim-tarball`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cassmesos/cassmesos/internal/cassandrasim"
)

func main() {
	out := flag.String("o", "apache-cassandra-4.1-sim-bin.tar.gz", "output tarball path")
	binary := flag.String("binary", "", "use this stand-in binary instead of building cmd/cassandra-sim")
	flag.Parse()
	if err := run(*out, *binary); err != nil {
		fmt.Fprintf(os.Stderr, "mktarball: %v\n", err)
		os.Exit(1)
	}
}

func run(out, binary string) error {
	if binary == "" {
		tmp, err := os.MkdirTemp("", "mktarball")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		binary = filepath.Join(tmp, "cassandra-sim")
		if err := cassandrasim.BuildBinary(binary); err != nil {
			return err
		}
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	if err := cassandrasim.WriteTarball(f, binary); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
