// Command cassmesosd is the cassmesos scheduler daemon (see daemon.Main and docs/daemon.md).
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/daemon"
)

func main() { os.Exit(daemon.Main()) }
