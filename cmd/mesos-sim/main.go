// Command mesos-sim runs a simulated Mesos master and agents speaking the
// real v1 HTTP scheduler and executor APIs. See docs/mesos-sim.md.
package main

import (
	"os"

	"github.com/cassmesos/cassmesos/internal/mesossim"
)

func main() { os.Exit(mesossim.Main(os.Args[1:])) }
