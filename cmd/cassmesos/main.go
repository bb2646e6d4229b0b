// Command cassmesos is the operator CLI of cassmesos; see cli.
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/cli"
)

func main() { os.Exit(cli.Main()) }
