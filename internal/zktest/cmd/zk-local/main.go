// Command zk-local runs a standalone ZooKeeper server from the installed package in a directory,
// for `make demo` and for trying cassmesos by hand. See zktest.LocalMain.
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/internal/zktest"
)

func main() { os.Exit(zktest.LocalMain(os.Args[1:], os.Stdout, os.Stderr)) }
